package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Bars and their capacity (store/bars.go).

func newBar(id string) *presso.Bar {
	return &presso.Bar{
		ID: id, Name: "Bar " + id, Open: true, SignInMode: "code", Timezone: "Europe/Madrid", DailyReset: true,
		Menu: []presso.MenuItem{
			{ID: "latte", Name: "Latte", Icon: "latte.svg", Available: true, Modifiers: []presso.ModifierGroup{
				{ID: "milk", Name: "Milk", Default: "whole", Options: []presso.Option{{ID: "whole", Name: "Whole"}, {ID: "oat", Name: "Oat"}}},
				{ID: "shots", Name: "Shots", Default: "1", Options: []presso.Option{{ID: "1", Name: "Single"}, {ID: "2", Name: "Double"}}},
			}},
			{ID: "tea", Name: "Tea", Icon: "tea.svg", Available: false, Modifiers: []presso.ModifierGroup{}},
		},
		Limits:   presso.Limits{DrinksPerCode: 10, WindowSeconds: 300, MaxQueue: 20, MaxPerCustomer: 2},
		Timeouts: presso.Timeouts{CustomerSeconds: 300, BaristaSeconds: 900},
	}
}

func createBar(t *testing.T, db *store.DB, id string) *presso.Bar {
	t.Helper()
	b := newBar(id)
	tx(t, db, func(tx *store.Tx) error { return tx.CreateBar(t.Context(), b, t0) })
	b.CreatedAt = t0
	return b
}

func barJSON(b *presso.Bar) string {
	j, _ := json.Marshal(b)
	return fmt.Sprintf("%s createdAt=%v", j, b.CreatedAt)
}

func wantBar(t *testing.T, what string, got, want *presso.Bar) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s =\n  %s\nwant\n  %s", what, barJSON(got), barJSON(want))
	}
}

// createBarB creates bar "b" at a time below the millisecond and returns
// the bar as it must read back.
func createBarB(t *testing.T, db *store.DB) *presso.Bar {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.CreateBar(t.Context(), newBar("b"), t0.Add(truncated)) })
	want := newBar("b")
	want.CreatedAt = t0
	return want
}

func testBarCreate(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got, err := db.ListBars(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListBars() on an empty database = %d bars, %v; want 0, nil", len(got), err)
	}
	want := createBarB(t, db)
	got, err := db.GetBar(ctx, "b")
	if err != nil {
		t.Fatalf("GetBar() = %v, want nil", err)
	}
	wantBar(t, "GetBar()", got, want)
	tx(t, db, func(tx *store.Tx) error {
		got, err := tx.GetBar(ctx, "b")
		if err != nil {
			return err
		}
		wantBar(t, "tx.GetBar()", got, want)
		return nil
	})
}

func testBarDuplicate(t *testing.T, db *store.DB) {
	ctx := t.Context()
	want := createBarB(t, db)
	dup := newBar("b")
	dup.Name = "Impostor"
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.CreateBar(ctx, dup, t0) })
	wantKind(t, "CreateBar() of an existing id", err, presso.KindConflict)
	got, err := db.GetBar(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	wantBar(t, "GetBar() after a duplicate CreateBar", got, want)
}

func testBarNotFound(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBarB(t, db) // another bar exists
	_, err := db.GetBar(ctx, "nope")
	wantKind(t, "GetBar(nope)", err, presso.KindNotFound)
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateBar(ctx, newBar("nope"), t0) })
	wantKind(t, "UpdateBar(nope)", err, presso.KindNotFound)
	_, err = db.ActiveOrders(ctx, "nope")
	wantKind(t, "ActiveOrders(nope)", err, presso.KindNotFound)
}

func testBarUpdate(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBarB(t, db)
	u := newBar("b")
	u.Name, u.Open, u.SignInMode, u.Timezone, u.DailyReset = "Renamed", false, "name", "America/New_York", false
	u.Menu = []presso.MenuItem{{ID: "mocha", Name: "Mocha", Icon: "m.svg", Available: true, Modifiers: []presso.ModifierGroup{
		{ID: "size", Name: "Size", Default: "s", Options: []presso.Option{{ID: "s", Name: "Small"}}}}}}
	u.Limits = presso.Limits{DrinksPerCode: 3, WindowSeconds: 60, MaxQueue: 5, MaxPerCustomer: 4}
	u.Timeouts = presso.Timeouts{CustomerSeconds: 30, BaristaSeconds: 90}
	tx(t, db, func(tx *store.Tx) error { return tx.UpdateBar(ctx, u, at(time.Hour)) })
	got, err := db.GetBar(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	u.CreatedAt = t0 // UpdateBar keeps the creation time
	wantBar(t, "GetBar() after UpdateBar", got, u)
}

func testBarList(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBarB(t, db)
	createBar(t, db, "c")
	createBar(t, db, "a")
	bars, err := db.ListBars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range bars {
		ids = append(ids, b.ID)
	}
	if got, want := strings.Join(ids, ","), "a,b,c"; got != want {
		t.Fatalf("ListBars() ids = %s, want %s", got, want)
	}
	wantBar(t, "ListBars()[0]", bars[0], &presso.Bar{ID: "a", Name: "Bar a", Open: true, SignInMode: "code",
		Timezone: "Europe/Madrid", DailyReset: true, Menu: newBar("a").Menu, Limits: newBar("a").Limits,
		Timeouts: newBar("a").Timeouts, CreatedAt: t0})
}

func testBarEmptyConfig(t *testing.T, db *store.DB) {
	e := &presso.Bar{ID: "empty", Name: "Empty"}
	tx(t, db, func(tx *store.Tx) error { return tx.CreateBar(t.Context(), e, t0) })
	got, err := db.GetBar(t.Context(), "empty")
	if err != nil {
		t.Fatal(err)
	}
	wantBar(t, "GetBar(empty)", got, &presso.Bar{ID: "empty", Name: "Empty", CreatedAt: t0})
}

func reserve(t *testing.T, db *store.DB, eventID string, max int) bool {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) (bool, error) {
		return tx.ReserveCapacity(t.Context(), eventID, max)
	})
}

func active(t *testing.T, db *store.DB, eventID string) int {
	t.Helper()
	n, err := db.ActiveOrders(t.Context(), eventID)
	if err != nil {
		t.Fatalf("ActiveOrders(%s) = %v", eventID, err)
	}
	return n
}

func release(t *testing.T, db *store.DB, eventID string) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.ReleaseCapacity(t.Context(), eventID) })
}

func testCapacityConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBar(t, db, "e1")
	createBar(t, db, "e2")
	if got, want := active(t, db, "e1"), 0; got != want {
		t.Fatalf("ActiveOrders() of a new bar = %d, want %d", got, want)
	}
	const n, max = 30, 7
	granted := wins(race(t, db, "ReserveCapacity()", n, func(tx *store.Tx, _ int) (bool, error) {
		return tx.ReserveCapacity(ctx, "e1", max)
	}))
	if granted != max {
		t.Fatalf("ReserveCapacity() granted %d of %d, want exactly %d", granted, n, max)
	}
	if got := active(t, db, "e1"); got != max {
		t.Fatalf("ActiveOrders() = %d, want %d", got, max)
	}
	if got := reserve(t, db, "e1", max); got {
		t.Fatalf("ReserveCapacity() at max = true, want false")
	}
	if got := active(t, db, "e2"); got != 0 {
		t.Fatalf("ActiveOrders(e2) = %d, want 0: capacity is per bar", got)
	}
	release(t, db, "e1")
	if got := active(t, db, "e1"); got != max-1 {
		t.Fatalf("ActiveOrders() after ReleaseCapacity = %d, want %d", got, max-1)
	}
	if got := reserve(t, db, "e1", max); !got {
		t.Fatalf("ReserveCapacity() after a release = false, want true")
	}
	if got := active(t, db, "e1"); got != max {
		t.Fatalf("ActiveOrders() = %d, want %d", got, max)
	}
}

func testCapacityClosed(t *testing.T, db *store.DB) {
	ctx := t.Context()
	b := createBar(t, db, "e2")
	b.Open = false
	tx(t, db, func(tx *store.Tx) error { return tx.UpdateBar(ctx, b, t0) })
	if got := reserve(t, db, "e2", 100); got {
		t.Fatalf("ReserveCapacity() on a closed bar = true, want false")
	}
	if got := active(t, db, "e2"); got != 0 {
		t.Fatalf("ActiveOrders() of a closed bar = %d, want 0", got)
	}
	b.Open = true
	tx(t, db, func(tx *store.Tx) error { return tx.UpdateBar(ctx, b, t0) })
	if got := reserve(t, db, "e2", 100); !got {
		t.Fatalf("ReserveCapacity() on a reopened bar = false, want true")
	}
	if got := active(t, db, "e2"); got != 1 {
		t.Fatalf("ActiveOrders() of the reopened bar = %d, want 1", got)
	}
}

func testCapacityUnknownBar(t *testing.T, db *store.DB) {
	createBar(t, db, "e1") // another bar has room
	if got := reserve(t, db, "nope", 100); got {
		t.Fatalf("ReserveCapacity(nope) = true, want false")
	}
	if got := active(t, db, "e1"); got != 0 {
		t.Fatalf("ActiveOrders(e1) after ReserveCapacity(nope) = %d, want 0", got)
	}
}

func testCapacityReleaseNeverBelowZero(t *testing.T, db *store.DB) {
	createBar(t, db, "e3")
	for range 3 {
		release(t, db, "e3")
	}
	if got := active(t, db, "e3"); got != 0 {
		t.Fatalf("ActiveOrders() after releasing an empty bar = %d, want 0", got)
	}
	if !reserve(t, db, "e3", 10) {
		t.Fatalf("ReserveCapacity() after the releases = false, want true")
	}
	if got := active(t, db, "e3"); got != 1 {
		t.Fatalf("ActiveOrders() = %d, want 1", got)
	}
	release(t, db, "nope") // an unknown bar is not an error
}
