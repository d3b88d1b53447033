// Package storetest is the conformance suite for presso's store: one set of
// tests that every engine (SQLite, PostgreSQL) must pass unchanged. An
// engine's test file calls Run with a function that opens a fresh, empty,
// migrated database for each test.
//
// Writes go through DB.Tx, as in the services; reads are checked through
// both the DB (the read pool) and a Tx. Concurrency tests start many
// goroutines that each run their own transaction, and assert exact counts,
// so a check-then-act race in any statement shows up as a wrong number.
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Run runs the whole suite. open must return a fresh, empty database opened
// with store.Open, and close it (and remove it) when the test ends.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Basics", testBasics},
		{"Tx", testTx},
		{"Bars", testBars},
		{"Capacity", testCapacity},
		{"CustomerLimit", testCustomerLimit},
		{"Codes", testCodes},
		{"NextNumber", testNextNumber},
		{"Orders", testOrders},
		{"OrderNumbersUnique", testOrderNumbersUnique},
		{"ListOrders", testListOrders},
		{"UserOrders", testUserOrders},
		{"QueuePosition", testQueuePosition},
		{"Deadlines", testDeadlines},
		{"History", testHistory},
		{"Outbox", testOutbox},
		{"RelayBatch", testRelayBatch},
		{"Staff", testStaff},
		{"Customers", testCustomers},
		{"Sessions", testSessions},
		{"SigninCodes", testSigninCodes},
		{"Migrations", testMigrations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	t.Run("ExportImport", func(t *testing.T) { testExportImport(t, open(t), open(t)) })
}

// t0 is the suite's "now": a whole millisecond, as stored.
var t0 = time.UnixMilli(1_767_225_600_123).UTC() // 2026-01-01T00:00:00.123Z

// subMilli is added to times the suite writes, to check they are stored at
// millisecond precision (truncated) and come back in UTC.
const subMilli = 456789 * time.Nanosecond

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

// tx runs fn in one write transaction and fails the test if it fails.
func tx(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.Tx(t.Context(), fn); err != nil {
		t.Fatalf("Tx() = %v, want nil", err)
	}
}

// wantKind fails unless err is a *presso.Error of kind k.
func wantKind(t *testing.T, what string, err error, k presso.Kind) {
	t.Helper()
	if got := presso.KindOf(err); err == nil || got != k {
		t.Fatalf("%s: error = %v (kind %d), want kind %d", what, err, got, k)
	}
}

// concurrently runs fn(i) for i in [0, n) in n goroutines released at once.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

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

func testBasics(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got := db.Engine(); got != "sqlite" && got != "postgres" {
		t.Fatalf("Engine() = %q, want sqlite or postgres", got)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	if got := db.SchemaVersion(); got < 1 {
		t.Fatalf("SchemaVersion() = %d, want >= 1", got)
	}
	if got := db.DSN(); got == "" {
		t.Fatalf("DSN() = %q, want the DSN Open was given", got)
	}
}

func testTx(t *testing.T, db *store.DB) {
	ctx := t.Context()
	t.Run("CommitAndReadYourWrites", func(t *testing.T) {
		tx(t, db, func(tx *store.Tx) error {
			if err := tx.CreateBar(ctx, newBar("committed"), t0); err != nil {
				return err
			}
			if _, err := tx.GetBar(ctx, "committed"); err != nil {
				t.Errorf("tx.GetBar() inside the creating Tx = %v, want nil", err)
			}
			// The read pool must not see uncommitted writes.
			_, err := db.GetBar(ctx, "committed")
			if presso.KindOf(err) != presso.KindNotFound {
				t.Errorf("db.GetBar() before commit = %v, want not found", err)
			}
			return nil
		})
		if _, err := db.GetBar(ctx, "committed"); err != nil {
			t.Fatalf("db.GetBar() after commit = %v, want nil", err)
		}
	})
	t.Run("ErrorRollsBack", func(t *testing.T) {
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateBar(ctx, newBar("rolled"), t0); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx() = %v, want the error fn returned", err)
		}
		_, err = db.GetBar(ctx, "rolled")
		wantKind(t, "GetBar() of a rolled-back bar", err, presso.KindNotFound)
	})
	t.Run("PanicRollsBack", func(t *testing.T) {
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("recover() = %v, want the panic value boom", r)
				}
			}()
			db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateBar(ctx, newBar("panicked"), t0); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		// The next transaction must not wait for the abandoned one.
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		err := db.Tx(tctx, func(tx *store.Tx) error { return tx.CreateBar(tctx, newBar("after-panic"), t0) })
		if err != nil {
			t.Fatalf("Tx() after a panicking Tx = %v, want nil", err)
		}
		_, err = db.GetBar(ctx, "panicked")
		wantKind(t, "GetBar() of a bar created by a panicking Tx", err, presso.KindNotFound)
	})
}

func testBars(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got, err := db.ListBars(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListBars() on an empty database = %d bars, %v; want 0, nil", len(got), err)
	}
	b := newBar("b")
	tx(t, db, func(tx *store.Tx) error { return tx.CreateBar(ctx, b, t0.Add(subMilli)) })
	want := newBar("b")
	want.CreatedAt = t0

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

	t.Run("Duplicate", func(t *testing.T) {
		dup := newBar("b")
		dup.Name = "Impostor"
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.CreateBar(ctx, dup, t0) })
		wantKind(t, "CreateBar() of an existing id", err, presso.KindConflict)
		got, err := db.GetBar(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		wantBar(t, "GetBar() after a duplicate CreateBar", got, want)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := db.GetBar(ctx, "nope")
		wantKind(t, "GetBar(nope)", err, presso.KindNotFound)
		err = db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateBar(ctx, newBar("nope"), t0) })
		wantKind(t, "UpdateBar(nope)", err, presso.KindNotFound)
		_, err = db.ActiveOrders(ctx, "nope")
		wantKind(t, "ActiveOrders(nope)", err, presso.KindNotFound)
	})
	t.Run("Update", func(t *testing.T) {
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
	})
	t.Run("List", func(t *testing.T) {
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
	})
	t.Run("EmptyConfig", func(t *testing.T) {
		e := &presso.Bar{ID: "empty", Name: "Empty"}
		tx(t, db, func(tx *store.Tx) error { return tx.CreateBar(ctx, e, t0) })
		got, err := db.GetBar(ctx, "empty")
		if err != nil {
			t.Fatal(err)
		}
		wantBar(t, "GetBar(empty)", got, &presso.Bar{ID: "empty", Name: "Empty", CreatedAt: t0})
	})
}

func reserve(t *testing.T, db *store.DB, eventID string, max int) bool {
	t.Helper()
	var ok bool
	tx(t, db, func(tx *store.Tx) error {
		var err error
		ok, err = tx.ReserveCapacity(t.Context(), eventID, max)
		return err
	})
	return ok
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

func testCapacity(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBar(t, db, "e1")
	createBar(t, db, "e2")
	if got, want := active(t, db, "e1"), 0; got != want {
		t.Fatalf("ActiveOrders() of a new bar = %d, want %d", got, want)
	}
	t.Run("Concurrent", func(t *testing.T) {
		const n, max = 30, 7
		oks := make([]bool, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				oks[i], err = tx.ReserveCapacity(ctx, "e1", max)
				return err
			})
		})
		granted := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("ReserveCapacity() #%d = %v", i, errs[i])
			}
			if oks[i] {
				granted++
			}
		}
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
	})
	t.Run("Closed", func(t *testing.T) {
		b := newBar("e2")
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
	})
	t.Run("UnknownBar", func(t *testing.T) {
		if got := reserve(t, db, "nope", 100); got {
			t.Fatalf("ReserveCapacity(nope) = true, want false")
		}
	})
	t.Run("ReleaseNeverBelowZero", func(t *testing.T) {
		createBar(t, db, "e3")
		for range 3 {
			release(t, db, "e3")
		}
		if got := active(t, db, "e3"); got != 0 {
			t.Fatalf("ActiveOrders() after releasing an empty bar = %d, want 0", got)
		}
		reserve(t, db, "e3", 10)
		if got := active(t, db, "e3"); got != 1 {
			t.Fatalf("ActiveOrders() = %d, want 1", got)
		}
		release(t, db, "nope") // an unknown bar is not an error
	})
}

func countOrder(t *testing.T, db *store.DB, eventID, userID, day string, max int) bool {
	t.Helper()
	var ok bool
	tx(t, db, func(tx *store.Tx) error {
		var err error
		ok, err = tx.CountCustomerOrder(t.Context(), eventID, userID, day, max)
		return err
	})
	return ok
}

func uncountOrder(t *testing.T, db *store.DB, eventID, userID, day string) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.UncountCustomerOrder(t.Context(), eventID, userID, day) })
}

func testCustomerLimit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const day = "2026-01-01"
	t.Run("Concurrent", func(t *testing.T) {
		const n = 20
		oks := make([]bool, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				oks[i], err = tx.CountCustomerOrder(ctx, "e1", "u1", day, 1)
				return err
			})
		})
		granted := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("CountCustomerOrder() #%d = %v", i, errs[i])
			}
			if oks[i] {
				granted++
			}
		}
		if granted != 1 {
			t.Fatalf("CountCustomerOrder(max 1) granted %d of %d, want exactly 1", granted, n)
		}
	})
	t.Run("Uncount", func(t *testing.T) {
		uncountOrder(t, db, "e1", "u1", day)
		if !countOrder(t, db, "e1", "u1", day, 1) {
			t.Fatalf("CountCustomerOrder() after an uncount = false, want true")
		}
		if countOrder(t, db, "e1", "u1", day, 1) {
			t.Fatalf("CountCustomerOrder() over max = true, want false")
		}
	})
	t.Run("Separate", func(t *testing.T) {
		for _, k := range []struct{ event, user, day string }{
			{"e1", "u1", "2026-01-02"}, // another day
			{"e1", "u2", day},          // another user
			{"e2", "u1", day},          // another bar
		} {
			if !countOrder(t, db, k.event, k.user, k.day, 1) {
				t.Fatalf("CountCustomerOrder(%s, %s, %s) = false, want true: limits are per bar, user and day", k.event, k.user, k.day)
			}
		}
	})
	t.Run("MaxThree", func(t *testing.T) {
		var got []bool
		for range 4 {
			got = append(got, countOrder(t, db, "e1", "u3", day, 3))
		}
		if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
			t.Fatalf("CountCustomerOrder(max 3) x4 = %v, want %v", got, want)
		}
	})
	t.Run("UncountNeverBelowZero", func(t *testing.T) {
		uncountOrder(t, db, "e1", "u4", day) // no row yet: not an error
		if !countOrder(t, db, "e1", "u4", day, 1) {
			t.Fatalf("CountCustomerOrder() = false, want true")
		}
		uncountOrder(t, db, "e1", "u4", day)
		uncountOrder(t, db, "e1", "u4", day)
		var got []bool
		for range 2 {
			got = append(got, countOrder(t, db, "e1", "u4", day, 1))
		}
		if want := []bool{true, false}; !slices.Equal(got, want) {
			t.Fatalf("CountCustomerOrder() after two uncounts of one = %v, want %v", got, want)
		}
	})
	t.Run("MaxZero", func(t *testing.T) {
		if countOrder(t, db, "e1", "u5", day, 0) {
			t.Fatalf("CountCustomerOrder(max 0) = true, want false")
		}
		if !countOrder(t, db, "e1", "u5", day, 1) {
			t.Fatalf("CountCustomerOrder(max 1) after a refused max 0 = false, want true: a refusal must not count")
		}
	})
}

func wantCode(t *testing.T, what string, got, want store.Code) {
	t.Helper()
	if got.EventID != want.EventID || got.Code != want.Code || !got.WindowStart.Equal(want.WindowStart) ||
		!got.WindowEnd.Equal(want.WindowEnd) || got.UsesLeft != want.UsesLeft {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
	if got.WindowStart.Location() != time.UTC || got.WindowEnd.Location() != time.UTC {
		t.Fatalf("%s window = %v..%v, want UTC", what, got.WindowStart, got.WindowEnd)
	}
}

func useCode(t *testing.T, db *store.DB, eventID, code string, now time.Time) (store.Code, bool, error) {
	t.Helper()
	var c store.Code
	var ok bool
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		c, ok, err = tx.UseCode(t.Context(), eventID, code, now)
		return err
	})
	return c, ok, err
}

func testCodes(t *testing.T, db *store.DB) {
	ctx := t.Context()
	start, end := t0, at(5*time.Minute)
	stored := store.Code{EventID: "e1", WindowStart: start, WindowEnd: end, UsesLeft: 10}
	t.Run("EnsureConcurrent", func(t *testing.T) {
		const n = 12
		got := make([]store.Code, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				got[i], err = tx.EnsureCode(ctx, store.Code{EventID: "e1", Code: fmt.Sprintf("CODE%02d", i),
					WindowStart: start.Add(subMilli), WindowEnd: end.Add(subMilli), UsesLeft: 10})
				return err
			})
		})
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("EnsureCode() #%d = %v", i, errs[i])
			}
		}
		stored.Code = got[0].Code
		if !strings.HasPrefix(stored.Code, "CODE") {
			t.Fatalf("EnsureCode().Code = %q, want one of the proposed codes", stored.Code)
		}
		for i := range n {
			wantCode(t, fmt.Sprintf("EnsureCode() #%d", i), got[i], stored)
		}
	})
	t.Run("EnsureExisting", func(t *testing.T) {
		var got store.Code
		tx(t, db, func(tx *store.Tx) error {
			var err error
			got, err = tx.EnsureCode(ctx, store.Code{EventID: "e1", Code: "LATER", WindowStart: start, WindowEnd: end, UsesLeft: 99})
			return err
		})
		wantCode(t, "EnsureCode() of an existing window", got, stored)
	})
	t.Run("EnsureSeparate", func(t *testing.T) {
		for _, want := range []store.Code{
			{EventID: "e1", Code: "NEXT", WindowStart: end, WindowEnd: at(10 * time.Minute), UsesLeft: 3}, // next window
			{EventID: "e2", Code: "OTHER", WindowStart: start, WindowEnd: end, UsesLeft: 4},               // another bar
		} {
			var got store.Code
			tx(t, db, func(tx *store.Tx) error {
				var err error
				got, err = tx.EnsureCode(ctx, want)
				return err
			})
			wantCode(t, "EnsureCode("+want.Code+")", got, want)
		}
	})
	t.Run("UseConcurrent", func(t *testing.T) {
		const n = 50
		got := make([]store.Code, n)
		oks := make([]bool, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				got[i], oks[i], err = tx.UseCode(ctx, "e1", stored.Code, at(time.Minute))
				return err
			})
		})
		var left []int
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("UseCode() #%d = %v", i, errs[i])
			}
			if got[i].UsesLeft < 0 {
				t.Fatalf("UseCode() #%d UsesLeft = %d, want >= 0", i, got[i].UsesLeft)
			}
			if oks[i] {
				left = append(left, got[i].UsesLeft)
				want := stored
				want.UsesLeft = got[i].UsesLeft
				wantCode(t, fmt.Sprintf("UseCode() #%d", i), got[i], want)
			} else if got[i].UsesLeft != 0 {
				t.Fatalf("UseCode() #%d refused with UsesLeft = %d, want 0", i, got[i].UsesLeft)
			}
		}
		slices.Sort(left)
		if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(left, want) {
			t.Fatalf("UseCode() x%d of a 10-use code: UsesLeft of the granted = %v, want %v", n, left, want)
		}
	})
	t.Run("SoldOut", func(t *testing.T) {
		c, ok, err := useCode(t, db, "e1", stored.Code, at(time.Minute))
		if err != nil || ok {
			t.Fatalf("UseCode() of a used-up code = ok %v, err %v; want false, nil", ok, err)
		}
		want := stored
		want.UsesLeft = 0
		wantCode(t, "UseCode() of a used-up code", c, want)
	})
	t.Run("Expired", func(t *testing.T) {
		next := store.Code{EventID: "e1", Code: "NEXT", WindowStart: end, WindowEnd: at(10 * time.Minute), UsesLeft: 3}
		c, ok, err := useCode(t, db, "e1", "NEXT", next.WindowEnd)
		if err != nil || ok {
			t.Fatalf("UseCode() at the window end = ok %v, err %v; want false, nil", ok, err)
		}
		wantCode(t, "UseCode() at the window end", c, next)
		c, ok, err = useCode(t, db, "e1", "NEXT", next.WindowEnd.Add(-time.Millisecond))
		if err != nil || !ok {
			t.Fatalf("UseCode() 1 ms before the window end = ok %v, err %v; want true, nil", ok, err)
		}
		next.UsesLeft = 2
		wantCode(t, "UseCode() 1 ms before the window end", c, next)
	})
	t.Run("Unknown", func(t *testing.T) {
		c, ok, err := useCode(t, db, "e1", "NOPE", at(time.Minute))
		wantKind(t, "UseCode(NOPE)", err, presso.KindNotFound)
		if ok {
			t.Fatalf("UseCode(NOPE) ok = true, want false")
		}
		if c.EventID != "e1" || c.Code != "NOPE" {
			t.Fatalf("UseCode(NOPE) = %+v, want the event and code asked for", c)
		}
		// Another bar's code is unknown here.
		_, ok, err = useCode(t, db, "e1", "OTHER", at(time.Minute))
		wantKind(t, "UseCode() of another bar's code", err, presso.KindNotFound)
		if ok {
			t.Fatalf("UseCode() of another bar's code ok = true, want false")
		}
	})
}

func testNextNumber(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 200
	got := make([]int64, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			got[i], err = tx.NextNumber(ctx, "e1", "")
			return err
		})
	})
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("NextNumber() #%d = %v", i, errs[i])
		}
	}
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("NextNumber() x%d sorted[%d] = %d, want %d: numbers must be exactly 1..%d", n, i, v, i+1, n)
		}
	}
	next := func(eventID, day string) int64 {
		var v int64
		tx(t, db, func(tx *store.Tx) error {
			var err error
			v, err = tx.NextNumber(ctx, eventID, day)
			return err
		})
		return v
	}
	for _, c := range []struct {
		event, day string
		want       int64
	}{
		{"e2", "", 1},
		{"e1", "2026-01-01", 1},
		{"e1", "2026-01-01", 2},
		{"e1", "2026-01-02", 1},
		{"e2", "2026-01-01", 1},
		{"e1", "", n + 1},
	} {
		if got := next(c.event, c.day); got != c.want {
			t.Fatalf("NextNumber(%s, %q) = %d, want %d", c.event, c.day, got, c.want)
		}
	}
}

// ---- orders ----

func fmtTime(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.Format(time.RFC3339Nano) + "(" + p.Location().String() + ")"
}

func fmtOrder(o *presso.Order) string {
	if o == nil {
		return "nil"
	}
	d, _ := json.Marshal(o.Drink)
	return fmt.Sprintf("{ID:%s EventID:%s UserID:%s UserName:%s State:%s Cause:%s Number:%d Drink:%s BaristaID:%s BaristaName:%s "+
		"CreatedAt:%s SubmittedAt:%s MadeAt:%s FinishedAt:%s Deadline:%s Position:%d Day:%s Exempt:%v Version:%d}",
		o.ID, o.EventID, o.UserID, o.UserName, o.State, o.Cause, o.Number, d, o.BaristaID, o.BaristaName,
		fmtTime(&o.CreatedAt), fmtTime(o.SubmittedAt), fmtTime(o.MadeAt), fmtTime(o.FinishedAt), fmtTime(o.Deadline),
		o.Position, o.Day, o.Exempt, o.Version)
}

func wantOrder(t *testing.T, what string, got, want *presso.Order) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s =\n  %s\nwant\n  %s", what, fmtOrder(got), fmtOrder(want))
	}
}

func insertOrder(t *testing.T, db *store.DB, o *presso.Order) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.InsertOrder(t.Context(), o) })
}

func getOrder(t *testing.T, db *store.DB, id string) *presso.Order {
	t.Helper()
	o, err := db.GetOrder(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOrder(%s) = %v", id, err)
	}
	return o
}

func updateOrder(t *testing.T, db *store.DB, o *presso.Order, prev int64, numberDay string) (bool, error) {
	t.Helper()
	var ok bool
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		ok, err = tx.UpdateOrder(t.Context(), o, prev, numberDay)
		return err
	})
	return ok, err
}

// order is a minimal order; the tests set what they need.
func order(id, eventID, userID string, state presso.State, number int64, created time.Time) *presso.Order {
	return &presso.Order{ID: id, EventID: eventID, UserID: userID, UserName: "name-" + userID, State: state,
		Number: number, Day: "2026-01-01", CreatedAt: created, Version: 1}
}

func drink() *presso.Drink {
	return &presso.Drink{ID: "latte", Name: "Latte", Icon: "latte.svg", Modifiers: []presso.Modifier{
		{Group: "milk", GroupName: "Milk", Option: "oat", OptionName: "Oat"},
		{Group: "shots", GroupName: "Shots", Option: "2", OptionName: "Double"},
	}}
}

func testOrders(t *testing.T, db *store.DB) {
	ctx := t.Context()
	full := &presso.Order{ID: "o-full", EventID: "e1", UserID: "u1", UserName: "Ada", State: presso.StateMaking,
		Cause: presso.CauseBarista, Number: 42, Drink: drink(), BaristaID: "s1", BaristaName: "Bob",
		CreatedAt: t0.Add(subMilli), SubmittedAt: ptr(at(time.Minute + subMilli)), MadeAt: ptr(at(2*time.Minute + subMilli)),
		FinishedAt: ptr(at(3*time.Minute + subMilli)), Deadline: ptr(at(4*time.Minute + subMilli)),
		Day: "2026-01-01", Exempt: true, Version: 7}
	t.Run("RoundTrip", func(t *testing.T) {
		insertOrder(t, db, full)
		want := *full
		want.Drink = drink()
		want.CreatedAt = t0
		want.SubmittedAt, want.MadeAt, want.FinishedAt, want.Deadline = ptr(at(time.Minute)), ptr(at(2*time.Minute)),
			ptr(at(3*time.Minute)), ptr(at(4*time.Minute))
		wantOrder(t, "GetOrder()", getOrder(t, db, "o-full"), &want)
		tx(t, db, func(tx *store.Tx) error {
			got, err := tx.GetOrder(ctx, "o-full")
			if err != nil {
				return err
			}
			wantOrder(t, "tx.GetOrder()", got, &want)
			return nil
		})
	})
	t.Run("RoundTripNil", func(t *testing.T) {
		o := order("o-min", "e1", "u2", presso.StateWaiting, 0, t0)
		insertOrder(t, db, o)
		wantOrder(t, "GetOrder() of a minimal order", getOrder(t, db, "o-min"), order("o-min", "e1", "u2", presso.StateWaiting, 0, t0))
	})
	t.Run("DrinkWithoutModifiers", func(t *testing.T) {
		o := order("o-plain", "e1", "u2", presso.StateQueued, 0, t0)
		o.Drink = &presso.Drink{ID: "tea", Name: "Tea", Icon: "tea.svg", Modifiers: []presso.Modifier{}}
		insertOrder(t, db, o)
		want := order("o-plain", "e1", "u2", presso.StateQueued, 0, t0)
		want.Drink = &presso.Drink{ID: "tea", Name: "Tea", Icon: "tea.svg", Modifiers: []presso.Modifier{}}
		wantOrder(t, "GetOrder() of a drink without modifiers", getOrder(t, db, "o-plain"), want)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := db.GetOrder(ctx, "nope")
		wantKind(t, "GetOrder(nope)", err, presso.KindNotFound)
	})
	t.Run("DuplicateID", func(t *testing.T) {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertOrder(ctx, order("o-min", "e1", "u9", presso.StateWaiting, 0, t0))
		})
		wantKind(t, "InsertOrder() of an existing id", err, presso.KindConflict)
		if got := getOrder(t, db, "o-min"); got.UserID != "u2" {
			t.Fatalf("GetOrder().UserID after a duplicate insert = %s, want u2", got.UserID)
		}
	})
	t.Run("Update", func(t *testing.T) {
		before := getOrder(t, db, "o-min")
		after := *before
		after.State, after.Cause, after.Number, after.Drink = presso.StateQueued, "", 3, drink()
		after.BaristaID, after.BaristaName = "s2", "Cy"
		after.SubmittedAt, after.MadeAt, after.FinishedAt, after.Deadline = ptr(at(time.Second+subMilli)), ptr(at(2*time.Second)), ptr(at(3*time.Second)), ptr(at(4*time.Second))
		after.Version = before.Version + 1
		ok, err := updateOrder(t, db, &after, before.Version, "")
		if err != nil || !ok {
			t.Fatalf("UpdateOrder() at the current version = %v, %v; want true, nil", ok, err)
		}
		want := after
		want.SubmittedAt = ptr(at(time.Second))
		wantOrder(t, "GetOrder() after UpdateOrder", getOrder(t, db, "o-min"), &want)

		// A stale version loses and changes nothing.
		stale := after
		stale.State, stale.Version = presso.StateCancelled, before.Version+1
		ok, err = updateOrder(t, db, &stale, before.Version, "")
		if err != nil || ok {
			t.Fatalf("UpdateOrder() at a stale version = %v, %v; want false, nil", ok, err)
		}
		wantOrder(t, "GetOrder() after a stale UpdateOrder", getOrder(t, db, "o-min"), &want)

		// Pointers can be cleared again.
		cleared := want
		cleared.Drink, cleared.SubmittedAt, cleared.MadeAt, cleared.FinishedAt, cleared.Deadline = nil, nil, nil, nil, nil
		cleared.Version++
		ok, err = updateOrder(t, db, &cleared, want.Version, "")
		if err != nil || !ok {
			t.Fatalf("UpdateOrder() clearing fields = %v, %v; want true, nil", ok, err)
		}
		wantOrder(t, "GetOrder() after clearing fields", getOrder(t, db, "o-min"), &cleared)

		ok, err = updateOrder(t, db, order("nope", "e1", "u1", presso.StateQueued, 0, t0), 1, "")
		if err != nil || ok {
			t.Fatalf("UpdateOrder(nope) = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("ConcurrentUpdates", func(t *testing.T) {
		insertOrder(t, db, order("o-race", "e1", "u3", presso.StateQueued, 0, t0))
		const n = 10
		oks := make([]bool, n)
		errs := make([]error, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				o, err := tx.GetOrder(ctx, "o-race")
				if err != nil {
					return err
				}
				prev := o.Version
				o.State, o.BaristaID, o.Version = presso.StateMaking, "s"+strconv.Itoa(i), prev+1
				oks[i], err = tx.UpdateOrder(ctx, o, 1, "")
				return err
			})
		})
		won := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("UpdateOrder() #%d = %v", i, errs[i])
			}
			if oks[i] {
				won++
			}
		}
		if won != 1 {
			t.Fatalf("%d concurrent UpdateOrder() from version 1: %d won, want exactly 1", n, won)
		}
		if got := getOrder(t, db, "o-race"); got.Version != 2 || got.State != presso.StateMaking {
			t.Fatalf("GetOrder() after the race = version %d state %s, want 2 making", got.Version, got.State)
		}
	})
}

func testOrderNumbersUnique(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for _, o := range []*presso.Order{
		order("a", "e1", "u1", presso.StateWaiting, 0, t0),
		order("b", "e1", "u2", presso.StateWaiting, 0, t0),
		order("c", "e2", "u3", presso.StateWaiting, 0, t0),
		order("d", "e1", "u4", presso.StateWaiting, 0, t0), // several unnumbered orders may share number 0
	} {
		insertOrder(t, db, o)
	}
	number := func(id string, n int64, day string) (bool, error) {
		o := getOrder(t, db, id)
		prev := o.Version
		o.Number, o.State, o.Version = n, presso.StateQueued, prev+1
		return updateOrder(t, db, o, prev, day)
	}
	if ok, err := number("a", 5, ""); err != nil || !ok {
		t.Fatalf("UpdateOrder(a, number 5) = %v, %v; want true, nil", ok, err)
	}
	ok, err := number("b", 5, "")
	if err == nil || ok {
		t.Fatalf("UpdateOrder(b, number 5 again) = %v, %v; want false and an error", ok, err)
	}
	if got := getOrder(t, db, "b"); got.Number != 0 || got.Version != 1 {
		t.Fatalf("GetOrder(b) after a refused number = number %d version %d, want 0 1", got.Number, got.Version)
	}
	for _, c := range []struct {
		id, day string
	}{
		{"b", "2026-01-02"}, // the same number on another number day
		{"c", ""},           // the same number at another bar
	} {
		if ok, err := number(c.id, 5, c.day); err != nil || !ok {
			t.Fatalf("UpdateOrder(%s, number 5, day %q) = %v, %v; want true, nil", c.id, c.day, ok, err)
		}
	}
	_ = ctx
}

func ids(orders []*presso.Order) string {
	var s []string
	for _, o := range orders {
		s = append(s, o.ID)
	}
	return strings.Join(s, ",")
}

func testListOrders(t *testing.T, db *store.DB) {
	ctx := t.Context()
	finished := func(o *presso.Order, d time.Duration) *presso.Order {
		o.FinishedAt = ptr(at(d))
		return o
	}
	for _, o := range []*presso.Order{
		order("waiting", "e1", "u1", presso.StateWaiting, 0, at(5*time.Second)),
		order("q2", "e1", "u2", presso.StateQueued, 2, at(1*time.Second)),
		order("q1", "e1", "u3", presso.StateQueued, 1, at(2*time.Second)),
		order("m3", "e1", "u4", presso.StateMaking, 3, at(3*time.Second)),
		finished(order("done4", "e1", "u5", presso.StateCompleted, 4, at(4*time.Second)), 10*time.Minute),
		finished(order("done6", "e1", "u6", presso.StateCompleted, 6, at(4*time.Second)), 20*time.Minute),
		finished(order("timeout5", "e1", "u7", presso.StateTimedOut, 5, at(4*time.Second)), 5*time.Minute),
		finished(order("old", "e1", "u8", presso.StateCancelled, 0, at(-3*time.Hour)), -2*time.Hour),
		order("other", "e2", "u1", presso.StateQueued, 1, at(time.Second)),
	} {
		insertOrder(t, db, o)
	}
	for _, c := range []struct {
		name   string
		event  string
		states []presso.State
		since  time.Time
		want   string
	}{
		{"All", "e1", nil, t0, "waiting,q1,q2,m3,done6,done4,timeout5"},
		{"SinceInclusive", "e1", nil, at(10 * time.Minute), "waiting,q1,q2,m3,done6,done4"},
		{"Queued", "e1", []presso.State{presso.StateQueued}, t0, "q1,q2"},
		{"Finished", "e1", []presso.State{presso.StateCompleted, presso.StateCancelled}, at(-3 * time.Hour), "done6,done4,old"},
		{"Active", "e1", []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking}, at(time.Hour), "waiting,q1,q2,m3"},
		{"OtherBar", "e2", nil, t0, "other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := db.ListOrders(ctx, c.event, c.states, c.since)
			if err != nil {
				t.Fatalf("ListOrders() = %v", err)
			}
			if g := ids(got); g != c.want {
				t.Fatalf("ListOrders(%s, %v, since %v) = %s, want %s", c.event, c.states, c.since, g, c.want)
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		got, err := db.ListOrders(ctx, "nope", nil, t0)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("ListOrders(nope) = %v (nil %v), %v; want an empty, non-nil list", len(got), got == nil, err)
		}
	})
	t.Run("FullRows", func(t *testing.T) {
		got, err := db.ListOrders(ctx, "e1", []presso.State{presso.StateCompleted}, at(15*time.Minute))
		if err != nil || len(got) != 1 {
			t.Fatalf("ListOrders() = %d orders, %v; want 1", len(got), err)
		}
		wantOrder(t, "ListOrders()[0]", got[0], finished(order("done6", "e1", "u6", presso.StateCompleted, 6, at(4*time.Second)), 20*time.Minute))
	})
}

func testUserOrders(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for _, o := range []*presso.Order{
		order("u1-first", "e1", "u1", presso.StateCompleted, 0, at(0)),
		order("u1-second", "e2", "u1", presso.StateQueued, 1, at(time.Minute)),
		order("u1-third-b", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)),
		order("u1-third-a", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)),
		order("u2-only", "e1", "u2", presso.StateQueued, 2, at(3*time.Minute)),
	} {
		insertOrder(t, db, o)
	}
	for _, c := range []struct {
		user  string
		limit int
		want  string
	}{
		{"u1", 10, "u1-third-a,u1-third-b,u1-second,u1-first"},
		{"u1", 2, "u1-third-a,u1-third-b"},
		{"u2", 10, "u2-only"},
		{"nope", 10, ""},
	} {
		got, err := db.UserOrders(ctx, c.user, c.limit)
		if err != nil {
			t.Fatalf("UserOrders(%s, %d) = %v", c.user, c.limit, err)
		}
		if got == nil {
			t.Fatalf("UserOrders(%s, %d) = nil, want a non-nil list", c.user, c.limit)
		}
		if g := ids(got); g != c.want {
			t.Fatalf("UserOrders(%s, %d) = %s, want %s", c.user, c.limit, g, c.want)
		}
	}
	got, err := db.UserOrders(ctx, "u1", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("UserOrders(u1, 1) = %d, %v", len(got), err)
	}
	wantOrder(t, "UserOrders(u1, 1)[0]", got[0], order("u1-third-a", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)))
}

func testQueuePosition(t *testing.T, db *store.DB) {
	ctx := t.Context()
	queued := func(id, event string, state presso.State, number int64, at time.Time) *presso.Order {
		o := order(id, event, "u-"+id, state, number, t0)
		if number > 0 {
			o.SubmittedAt = &at
		}
		return o
	}
	orders := map[string]*presso.Order{}
	for _, o := range []*presso.Order{
		queued("w", "e1", presso.StateWaiting, 0, t0),
		queued("q1", "e1", presso.StateQueued, 10, at(time.Minute)),
		queued("m2", "e1", presso.StateMaking, 20, at(2*time.Minute)),
		queued("c3", "e1", presso.StateCompleted, 30, at(3*time.Minute)),
		queued("q4", "e1", presso.StateQueued, 40, at(4*time.Minute)),
		queued("x5", "e1", presso.StateCancelled, 50, at(5*time.Minute)),
		// Queued last with the lowest number, as after midnight on a bar
		// that numbers by day: it is still behind everything queued before.
		queued("q1b", "e1", presso.StateQueued, 5, at(6*time.Minute)),
		// Queued at the same millisecond as q4: the number breaks the tie.
		queued("q7", "e1", presso.StateQueued, 70, at(4*time.Minute)),
		queued("other", "e2", presso.StateQueued, 1, at(time.Minute)),
	} {
		insertOrder(t, db, o)
		orders[o.ID] = o
	}
	for _, c := range []struct {
		id   string
		want int
	}{
		{"q1", 1},
		{"m2", 2},
		{"q4", 3},
		{"q7", 4},
		{"q1b", 5},
		{"other", 1},
		{"w", 0},
	} {
		got, err := db.QueuePosition(ctx, orders[c.id])
		if err != nil {
			t.Fatalf("QueuePosition(%s) = %v", c.id, err)
		}
		if got != c.want {
			t.Fatalf("QueuePosition(%s) = %d, want %d", c.id, got, c.want)
		}
	}
}

func claimDue(t *testing.T, db *store.DB, now time.Time, limit int) []string {
	t.Helper()
	var got []string
	tx(t, db, func(tx *store.Tx) error {
		var err error
		got, err = tx.ClaimDue(t.Context(), now, limit)
		return err
	})
	return got
}

func testDeadlines(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if _, ok, err := db.NextDeadline(ctx); err != nil || ok {
		t.Fatalf("NextDeadline() on no orders = ok %v, %v; want false, nil", ok, err)
	}
	if got := claimDue(t, db, at(time.Hour), 10); len(got) != 0 {
		t.Fatalf("ClaimDue() on no orders = %v, want none", got)
	}
	due := func(id, event string, d *time.Duration) *presso.Order {
		o := order(id, event, "u-"+id, presso.StateWaiting, 0, t0)
		if d != nil {
			o.Deadline = ptr(at(*d))
		}
		return o
	}
	for _, o := range []*presso.Order{
		due("d3", "e1", ptr(3*time.Minute)),
		due("d1", "e1", ptr(1*time.Minute)),
		due("none", "e1", nil),
		due("d2", "e1", ptr(2*time.Minute)),
		due("d0", "e2", ptr(30*time.Second)),
	} {
		insertOrder(t, db, o)
	}
	next, ok, err := db.NextDeadline(ctx)
	if err != nil || !ok || !next.Equal(at(30*time.Second)) {
		t.Fatalf("NextDeadline() = %v, %v, %v; want %v, true, nil", next, ok, err, at(30*time.Second))
	}
	for _, c := range []struct {
		now   time.Time
		limit int
		want  string
	}{
		{t0, 10, ""},
		{at(30*time.Second - time.Millisecond), 10, ""},
		{at(30 * time.Second), 10, "d0"}, // a deadline is due at its instant
		{at(2 * time.Minute), 10, "d0,d1,d2"},
		{at(2 * time.Minute), 2, "d0,d1"},
		{at(time.Hour), 10, "d0,d1,d2,d3"},
	} {
		if got := strings.Join(claimDue(t, db, c.now, c.limit), ","); got != c.want {
			t.Fatalf("ClaimDue(%v, %d) = %s, want %s", c.now, c.limit, got, c.want)
		}
	}

	t.Run("ConcurrentSweepers", func(t *testing.T) {
		// Sweepers each claim one due order and clear its deadline in the
		// same transaction, as orders.Sweep does: every order fires once.
		const orders, sweepers = 40, 8
		for i := range orders {
			insertOrder(t, db, due(fmt.Sprintf("s%02d", i), "e3", ptr(time.Duration(i)*time.Millisecond-time.Hour)))
		}
		var mu sync.Mutex
		fired := map[string]int{}
		errs := make([]error, sweepers)
		concurrently(sweepers, func(i int) {
			for {
				n := 0
				err := db.Tx(ctx, func(tx *store.Tx) error {
					ids, err := tx.ClaimDue(ctx, at(-time.Minute), 1)
					if err != nil || len(ids) == 0 {
						return err
					}
					n = 1
					o, err := tx.GetOrder(ctx, ids[0])
					if err != nil {
						return err
					}
					prev := o.Version
					o.Deadline, o.State, o.Version = nil, presso.StateTimedOut, prev+1
					ok, err := tx.UpdateOrder(ctx, o, prev, "")
					if err != nil {
						return err
					}
					if !ok {
						return fmt.Errorf("order %s changed under the sweeper that claimed it", o.ID)
					}
					mu.Lock()
					fired[o.ID]++
					mu.Unlock()
					return nil
				})
				if err != nil {
					errs[i] = err
					return
				}
				if n == 0 {
					return
				}
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("sweeper %d: %v", i, err)
			}
		}
		if len(fired) != orders {
			t.Fatalf("sweepers fired %d distinct orders, want %d", len(fired), orders)
		}
		for id, n := range fired {
			if n != 1 {
				t.Fatalf("order %s fired %d times, want once", id, n)
			}
		}
	})

	if db.Engine() == "postgres" {
		t.Run("SkipLocked", func(t *testing.T) {
			// While one transaction holds a claimed order, another claimer
			// passes over it rather than waiting or taking it too.
			claimed := make(chan []string)
			finish := make(chan struct{})
			done := make(chan error)
			go func() {
				done <- db.Tx(ctx, func(tx *store.Tx) error {
					ids, err := tx.ClaimDue(ctx, at(time.Hour), 1)
					claimed <- ids
					<-finish
					return err
				})
			}()
			first := <-claimed
			second := claimDue(t, db, at(time.Hour), 10)
			close(finish)
			if err := <-done; err != nil {
				t.Fatalf("first claimer: %v", err)
			}
			if got, want := strings.Join(first, ","), "d0"; got != want {
				t.Fatalf("first ClaimDue(limit 1) = %s, want %s", got, want)
			}
			if got, want := strings.Join(second, ","), "d1,d2,d3"; got != want {
				t.Fatalf("concurrent ClaimDue() = %s, want %s (skipping the held d0)", got, want)
			}
		})
	}
}

func testHistory(t *testing.T, db *store.DB) {
	ctx := t.Context()
	steps := map[int64]store.Step{
		1: {At: at(subMilli), From: "", To: presso.StateWaiting, Trigger: "redeem", Actor: "u1"},
		2: {At: at(time.Minute), From: presso.StateWaiting, To: presso.StateQueued, Trigger: "submit", Actor: "u1"},
		3: {At: at(2 * time.Minute), From: presso.StateQueued, To: presso.StateMaking, Trigger: "make", Actor: "s1"},
	}
	tx(t, db, func(tx *store.Tx) error {
		for _, seq := range []int64{3, 1, 2} {
			if err := tx.AppendHistory(ctx, "o1", seq, steps[seq]); err != nil {
				return err
			}
		}
		return tx.AppendHistory(ctx, "o2", 1, steps[1])
	})
	got, err := db.History(ctx, "o1")
	if err != nil {
		t.Fatalf("History() = %v", err)
	}
	want := []store.Step{steps[1], steps[2], steps[3]}
	want[0].At = t0
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("History(o1) =\n  %+v\nwant\n  %+v", got, want)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendHistory(ctx, "o1", 2, steps[2]) })
	if err == nil {
		t.Fatalf("AppendHistory() of an existing seq = nil, want an error")
	}
	got, err = db.History(ctx, "nope")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("History(nope) = %v, %v; want an empty, non-nil list", got, err)
	}
}

// ---- outbox ----

func envelope(i int, eventID string) presso.Envelope {
	return presso.Envelope{ID: fmt.Sprintf("ev%02d", i), Source: "OrderManager", DetailType: "OrderManager.MakeOrder",
		Time: at(time.Duration(i)*time.Second + subMilli), EventID: eventID,
		Detail: map[string]any{"orderId": "o1", "n": float64(i), "eventId": eventID}}
}

func appendOutbox(t *testing.T, db *store.DB, envs []presso.Envelope, orderIDs []string) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error {
		for i, e := range envs {
			if err := tx.AppendOutbox(t.Context(), e, orderIDs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func outboxIDs(batch []store.Outboxed) string {
	var s []string
	for _, o := range batch {
		s = append(s, o.ID)
	}
	return strings.Join(s, ",")
}

func pending(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.PendingOutbox(t.Context())
	if err != nil {
		t.Fatalf("PendingOutbox() = %v", err)
	}
	return n
}

func unpublished(t *testing.T, db *store.DB, limit int) []store.Outboxed {
	t.Helper()
	got, err := db.Unpublished(t.Context(), limit)
	if err != nil {
		t.Fatalf("Unpublished() = %v", err)
	}
	return got
}

func testOutbox(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got := pending(t, db); got != 0 {
		t.Fatalf("PendingOutbox() on an empty outbox = %d, want 0", got)
	}
	var envs []presso.Envelope
	for i := range 5 {
		envs = append(envs, envelope(i, "e1"))
	}
	orderIDs := []string{"o1", "o2", "o1", "", "o1"}
	appendOutbox(t, db, envs, orderIDs)

	all := unpublished(t, db, 10)
	if got, want := outboxIDs(all), "ev00,ev01,ev02,ev03,ev04"; got != want {
		t.Fatalf("Unpublished(10) = %s, want %s", got, want)
	}
	for i, o := range all {
		payload, _ := json.Marshal(envs[i])
		if i > 0 && o.Seq <= all[i-1].Seq {
			t.Fatalf("Unpublished()[%d].Seq = %d after %d, want increasing", i, o.Seq, all[i-1].Seq)
		}
		if o.ID != envs[i].ID || o.EventID != "e1" || o.OrderID != orderIDs[i] || o.DetailType != envs[i].DetailType ||
			!o.CreatedAt.Equal(at(time.Duration(i)*time.Second)) || o.CreatedAt.Location() != time.UTC || string(o.Payload) != string(payload) {
			t.Fatalf("Unpublished()[%d] = %+v (payload %s), want id %s order %q created %v payload %s",
				i, o, o.Payload, envs[i].ID, orderIDs[i], at(time.Duration(i)*time.Second), payload)
		}
	}
	var back presso.Envelope
	if err := json.Unmarshal(all[0].Payload, &back); err != nil || back.ID != "ev00" || back.Detail["n"] != float64(0) {
		t.Fatalf("payload decodes to %+v, %v; want the envelope", back, err)
	}
	if got, want := outboxIDs(unpublished(t, db, 2)), "ev00,ev01"; got != want {
		t.Fatalf("Unpublished(2) = %s, want %s", got, want)
	}
	if got := pending(t, db); got != 5 {
		t.Fatalf("PendingOutbox() = %d, want 5", got)
	}
	evs, err := db.OrderEvents(ctx, "o1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outboxIDs(evs), "ev00,ev02,ev04"; got != want {
		t.Fatalf("OrderEvents(o1) = %s, want %s", got, want)
	}
	if evs, err := db.OrderEvents(ctx, "nope"); err != nil || len(evs) != 0 {
		t.Fatalf("OrderEvents(nope) = %v, %v; want none", evs, err)
	}

	t.Run("DuplicateID", func(t *testing.T) {
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendOutbox(ctx, envs[0], "o9") })
		if err == nil {
			t.Fatalf("AppendOutbox() of an existing event id = nil, want an error")
		}
		if got := pending(t, db); got != 5 {
			t.Fatalf("PendingOutbox() = %d, want 5", got)
		}
	})
	t.Run("MarkPublished", func(t *testing.T) {
		tx(t, db, func(tx *store.Tx) error {
			if err := tx.MarkPublished(ctx, nil, t0); err != nil {
				return err
			}
			return tx.MarkPublished(ctx, []int64{all[0].Seq, all[2].Seq}, t0)
		})
		if got := pending(t, db); got != 3 {
			t.Fatalf("PendingOutbox() after marking 2 of 5 = %d, want 3", got)
		}
		if got, want := outboxIDs(unpublished(t, db, 10)), "ev01,ev03,ev04"; got != want {
			t.Fatalf("Unpublished() = %s, want %s", got, want)
		}
		// Published events stay in the order's journey.
		if evs, err := db.OrderEvents(ctx, "o1"); err != nil || outboxIDs(evs) != "ev00,ev02,ev04" {
			t.Fatalf("OrderEvents(o1) = %s, %v; want ev00,ev02,ev04", outboxIDs(evs), err)
		}
	})
	t.Run("LockRelay", func(t *testing.T) {
		tx(t, db, func(tx *store.Tx) error {
			ok, err := tx.LockRelay(ctx)
			if err != nil || !ok {
				t.Errorf("LockRelay() = %v, %v; want true, nil", ok, err)
			}
			return err
		})
		if db.Engine() != "postgres" {
			return // one writer: there is never a second holder
		}
		held := make(chan struct{})
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- db.Tx(ctx, func(tx *store.Tx) error {
				ok, err := tx.LockRelay(ctx)
				if !ok && err == nil {
					err = errors.New("first LockRelay() = false")
				}
				close(held)
				<-release
				return err
			})
		}()
		<-held
		tx(t, db, func(tx *store.Tx) error {
			ok, err := tx.LockRelay(ctx)
			if err != nil || ok {
				t.Errorf("LockRelay() while another Tx holds it = %v, %v; want false, nil", ok, err)
			}
			return err
		})
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// ---- accounts and sessions ----

func testStaff(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if n, err := db.CountStaff(ctx); err != nil || n != 0 {
		t.Fatalf("CountStaff() on an empty database = %d, %v; want 0, nil", n, err)
	}
	admin := store.Staff{ID: "st-admin", Username: "root", PasswordHash: "h-root", Role: presso.RoleAdmin}
	barista := store.Staff{ID: "st-b", Username: "bob", PasswordHash: "h-bob", Role: presso.RoleBarista, EventID: "e1"}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateStaff(ctx, admin, t0); err != nil {
			return err
		}
		return tx.CreateStaff(ctx, barista, t0)
	})
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateStaff(ctx, store.Staff{ID: "st-other", Username: "bob", PasswordHash: "x", Role: presso.RoleDisplay}, t0)
	})
	wantKind(t, "CreateStaff() of a taken username", err, presso.KindConflict)
	if n, err := db.CountStaff(ctx); err != nil || n != 2 {
		t.Fatalf("CountStaff() = %d, %v; want 2, nil", n, err)
	}
	for _, want := range []store.Staff{admin, barista} {
		got, err := db.StaffByUsername(ctx, want.Username)
		if err != nil || got != want {
			t.Fatalf("StaffByUsername(%s) = %+v, %v; want %+v", want.Username, got, err, want)
		}
	}
	_, err = db.StaffByUsername(ctx, "nope")
	wantKind(t, "StaffByUsername(nope)", err, presso.KindNotFound)

	tx(t, db, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, "bob", "h-new") })
	barista.PasswordHash = "h-new"
	if got, err := db.StaffByUsername(ctx, "bob"); err != nil || got != barista {
		t.Fatalf("StaffByUsername(bob) after SetStaffPassword = %+v, %v; want %+v", got, err, barista)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, "nope", "h") })
	wantKind(t, "SetStaffPassword(nope)", err, presso.KindNotFound)
}

func testCustomers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ada := store.Customer{ID: "cu-ada", Email: "ada@example.com", Name: "Ada"}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateCustomer(ctx, ada, t0); err != nil {
			return err
		}
		// Name-mode customers have no email, and never collide.
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-n1", Name: "Sam"}, t0); err != nil {
			return err
		}
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-n2", Name: "Sam"}, t0)
	})
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-other", Email: "ada@example.com", Name: "Other"}, t0)
	})
	wantKind(t, "CreateCustomer() of a taken email", err, presso.KindConflict)
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-ada", Name: "Again"}, t0)
	})
	wantKind(t, "CreateCustomer() of a taken id", err, presso.KindConflict)
	got, err := db.CustomerByEmail(ctx, "ada@example.com")
	if err != nil || got != ada {
		t.Fatalf("CustomerByEmail() = %+v, %v; want %+v", got, err, ada)
	}
	_, err = db.CustomerByEmail(ctx, "nope@example.com")
	wantKind(t, "CustomerByEmail(nope)", err, presso.KindNotFound)
	_, err = db.CustomerByEmail(ctx, "")
	wantKind(t, "CustomerByEmail(\"\")", err, presso.KindNotFound)
}

func identity(t *testing.T, db *store.DB, token string, now time.Time) (presso.Identity, error) {
	t.Helper()
	return db.SessionIdentity(t.Context(), token, now)
}

func testSessions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		for _, s := range []store.Staff{
			{ID: "st-b", Username: "bob", PasswordHash: "h", Role: presso.RoleBarista, EventID: "e1"},
			{ID: "st-a", Username: "root", PasswordHash: "h", Role: presso.RoleAdmin},
		} {
			if err := tx.CreateStaff(ctx, s, t0); err != nil {
				return err
			}
		}
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-1", Email: "ada@example.com", Name: "Ada"}, t0); err != nil {
			return err
		}
		for _, s := range []struct {
			token, user, kind string
			ttl               time.Duration
		}{
			{"tok-barista", "st-b", "staff", time.Hour},
			{"tok-admin", "st-a", "staff", time.Hour},
			{"tok-customer", "cu-1", "customer", time.Hour},
			{"tok-short", "cu-1", "customer", time.Minute},
		} {
			if err := tx.CreateSession(ctx, s.token, s.user, s.kind, t0, at(s.ttl)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		token string
		want  presso.Identity
	}{
		{"tok-barista", presso.Identity{ID: "st-b", Kind: "staff", Name: "bob", Role: presso.RoleBarista, EventID: "e1"}},
		{"tok-admin", presso.Identity{ID: "st-a", Kind: "staff", Name: "root", Role: presso.RoleAdmin}},
		{"tok-customer", presso.Identity{ID: "cu-1", Kind: "customer", Name: "Ada", Role: presso.RoleCustomer}},
	} {
		got, err := identity(t, db, c.token, at(time.Minute))
		if err != nil || got != c.want {
			t.Fatalf("SessionIdentity(%s) = %+v, %v; want %+v", c.token, got, err, c.want)
		}
	}
	// A session ends at its expiry instant.
	if _, err := identity(t, db, "tok-customer", at(time.Hour-time.Millisecond)); err != nil {
		t.Fatalf("SessionIdentity() 1 ms before expiry = %v, want nil", err)
	}
	_, err := identity(t, db, "tok-customer", at(time.Hour))
	wantKind(t, "SessionIdentity() at expiry", err, presso.KindUnauthenticated)
	_, err = identity(t, db, "nope", t0)
	wantKind(t, "SessionIdentity(nope)", err, presso.KindUnauthenticated)

	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSession(ctx, "tok-admin") })
	_, err = identity(t, db, "tok-admin", t0)
	wantKind(t, "SessionIdentity() after DeleteSession", err, presso.KindUnauthenticated)
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSession(ctx, "nope") }) // not an error

	// DeleteExpiredSessions removes what expired (and expired sign-in
	// codes); a removed session is gone even at an earlier time.
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.PutSigninCode(ctx, "old@example.com", "h-old", at(time.Minute)); err != nil {
			return err
		}
		if err := tx.PutSigninCode(ctx, "new@example.com", "h-new", at(time.Hour)); err != nil {
			return err
		}
		return tx.DeleteExpiredSessions(ctx, at(time.Minute))
	})
	_, err = identity(t, db, "tok-short", t0)
	wantKind(t, "SessionIdentity() of a swept session", err, presso.KindUnauthenticated)
	if _, err := identity(t, db, "tok-barista", t0); err != nil {
		t.Fatalf("SessionIdentity() of a live session after the sweep = %v, want nil", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.TakeSigninAttempt(ctx, "old@example.com", t0, 5)
		return err
	})
	wantKind(t, "TakeSigninAttempt() of a swept code", err, presso.KindInvalid)
	var hash string
	tx(t, db, func(tx *store.Tx) error {
		var err error
		hash, err = tx.TakeSigninAttempt(ctx, "new@example.com", t0, 5)
		return err
	})
	if hash != "h-new" {
		t.Fatalf("TakeSigninAttempt() of a live code after the sweep = %q, want h-new", hash)
	}
}

func takeAttempt(t *testing.T, db *store.DB, email string, now time.Time, max int) (string, error) {
	t.Helper()
	var hash string
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		hash, err = tx.TakeSigninAttempt(t.Context(), email, now, max)
		return err
	})
	return hash, err
}

func testSigninCodes(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const email = "ada@example.com"
	put := func(hash string, expires time.Time) {
		tx(t, db, func(tx *store.Tx) error { return tx.PutSigninCode(ctx, email, hash, expires) })
	}
	_, err := takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() with no code", err, presso.KindInvalid)

	put("h1", at(10*time.Minute))
	for i := range 3 {
		if got, err := takeAttempt(t, db, email, t0, 3); err != nil || got != "h1" {
			t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want h1, nil", i+1, got, err)
		}
	}
	_, err = takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() after max attempts", err, presso.KindInvalid)

	// A new code replaces the old one and resets the attempts.
	put("h2", at(10*time.Minute))
	if got, err := takeAttempt(t, db, email, t0, 3); err != nil || got != "h2" {
		t.Fatalf("TakeSigninAttempt() after a new code = %q, %v; want h2, nil", got, err)
	}
	if got, err := takeAttempt(t, db, email, at(10*time.Minute-time.Millisecond), 3); err != nil || got != "h2" {
		t.Fatalf("TakeSigninAttempt() 1 ms before expiry = %q, %v; want h2, nil", got, err)
	}
	_, err = takeAttempt(t, db, email, at(10*time.Minute), 3)
	wantKind(t, "TakeSigninAttempt() at expiry", err, presso.KindInvalid)

	t.Run("Concurrent", func(t *testing.T) {
		put("h3", at(10*time.Minute))
		const n, max = 12, 3
		errs := make([]error, n)
		hashes := make([]string, n)
		concurrently(n, func(i int) {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				hashes[i], err = tx.TakeSigninAttempt(ctx, email, t0, max)
				return err
			})
		})
		okN := 0
		for i := range n {
			switch {
			case errs[i] == nil && hashes[i] == "h3":
				okN++
			case presso.KindOf(errs[i]) != presso.KindInvalid:
				t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want h3 or an invalid-code error", i, hashes[i], errs[i])
			}
		}
		if okN != max {
			t.Fatalf("%d concurrent TakeSigninAttempt(max %d): %d succeeded, want exactly %d", n, max, okN, max)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		put("h4", at(10*time.Minute))
		tx(t, db, func(tx *store.Tx) error { return tx.DeleteSigninCode(ctx, email) })
		_, err := takeAttempt(t, db, email, t0, 3)
		wantKind(t, "TakeSigninAttempt() after DeleteSigninCode", err, presso.KindInvalid)
	})
}

// ---- migrations ----

// rawDB opens the database behind db with database/sql directly, to inspect
// or tamper with what the store does not expose.
func rawDB(t *testing.T, db *store.DB) *sql.DB {
	t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[db.Engine()]
	raw, err := sql.Open(driver, db.DSN())
	if err != nil {
		t.Fatalf("sql.Open(%s) = %v", driver, err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func migrationRows(t *testing.T, raw *sql.DB) (count, max int) {
	t.Helper()
	if err := raw.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&count, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return count, max
}

func testMigrations(t *testing.T, db *store.DB) {
	ctx := t.Context()
	version := db.SchemaVersion()
	raw := rawDB(t, db)
	count, max := migrationRows(t, raw)
	if max != version || count < 1 || count > version {
		t.Fatalf("schema_migrations holds %d rows up to version %d, want up to SchemaVersion() %d", count, max, version)
	}
	createBar(t, db, "kept")
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	t.Run("ReopenIsIdempotent", func(t *testing.T) {
		for i := range 2 {
			db2, err := store.Open(ctx, db.DSN())
			if err != nil {
				t.Fatalf("Open() #%d of a migrated database = %v, want nil", i+2, err)
			}
			if got := db2.SchemaVersion(); got != version {
				t.Errorf("SchemaVersion() after reopening = %d, want %d", got, version)
			}
			if _, err := db2.GetBar(ctx, "kept"); err != nil {
				t.Errorf("GetBar() after reopening = %v, want the bar kept", err)
			}
			db2.Close()
			if c, m := migrationRows(t, raw); c != count || m != max {
				t.Fatalf("schema_migrations after reopening = %d rows up to %d, want %d up to %d", c, m, count, max)
			}
		}
	})
	t.Run("NewerSchemaRefused", func(t *testing.T) {
		newer := version + 1000
		if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			newer, fmt.Sprintf("%04d_future.sql", newer), t0.UnixMilli()); err != nil {
			t.Fatalf("insert a future migration: %v", err)
		}
		db2, err := store.Open(ctx, db.DSN())
		if err == nil {
			db2.Close()
			t.Fatalf("Open() of a database at version %d (binary knows %d) = nil, want an error", newer, version)
		}
		var pe *presso.Error
		if !errors.As(err, &pe) || pe.Code != "schema_too_new" {
			t.Fatalf("Open() of a newer schema = %v, want a schema_too_new error", err)
		}
		if !strings.Contains(err.Error(), strconv.Itoa(newer)) || !strings.Contains(err.Error(), strconv.Itoa(version)) {
			t.Fatalf("Open() error = %q, want it to name versions %d and %d", err, newer, version)
		}
		// Refusing changed nothing.
		if c, m := migrationRows(t, raw); c != count+1 || m != newer {
			t.Fatalf("schema_migrations after a refused Open = %d rows up to %d, want %d up to %d", c, m, count+1, newer)
		}
	})
}

// ---- moving a bar between databases ----

func testExportImport(t *testing.T, from, to *store.DB) {
	ctx := t.Context()
	createBar(t, from, "e1")
	createBar(t, from, "e2")
	createBar(t, to, "taken")
	tx(t, from, func(tx *store.Tx) error {
		for _, c := range []store.Customer{{ID: "cu-1", Email: "ada@example.com", Name: "Ada"}, {ID: "cu-2", Name: "Sam"}, {ID: "cu-3", Name: "Elsewhere"}} {
			if err := tx.CreateCustomer(ctx, c, t0); err != nil {
				return err
			}
		}
		for _, day := range []string{"", "2026-01-01"} {
			if _, err := tx.NextNumber(ctx, "e1", day); err != nil {
				return err
			}
		}
		if _, err := tx.NextNumber(ctx, "e2", ""); err != nil {
			return err
		}
		queued := order("o-q", "e1", "cu-1", presso.StateQueued, 1, at(time.Second))
		queued.Drink, queued.SubmittedAt, queued.Deadline = drink(), ptr(at(2*time.Second)), ptr(at(15*time.Minute))
		done := order("o-done", "e1", "cu-2", presso.StateCompleted, 2, t0)
		done.FinishedAt = ptr(at(time.Minute))
		gone := order("o-x", "e1", "cu-2", presso.StateCancelled, 0, at(3*time.Second))
		gone.FinishedAt = ptr(at(4 * time.Second))
		staff := order("o-staff", "e1", "st-1", presso.StateWaiting, 0, at(4*time.Second))
		staff.Exempt = true
		for _, o := range []*presso.Order{queued, done, gone, staff, order("o-other", "e2", "cu-3", presso.StateQueued, 1, t0)} {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		ok, err := tx.UpdateOrder(ctx, &presso.Order{ID: "o-done", State: presso.StateCompleted, Number: 2, FinishedAt: done.FinishedAt, Version: 2}, 1, "2026-01-01")
		if err != nil || !ok {
			return fmt.Errorf("UpdateOrder(o-done) = %v, %v", ok, err)
		}
		if err := tx.AppendHistory(ctx, "o-q", 1, store.Step{At: at(time.Second), To: presso.StateWaiting, Trigger: "redeem", Actor: "cu-1"}); err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, "o-q", 2, store.Step{At: at(2 * time.Second), From: presso.StateWaiting, To: presso.StateQueued, Trigger: "submit", Actor: "cu-1"}); err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, "o-other", 1, store.Step{At: t0, To: presso.StateQueued, Trigger: "redeem", Actor: "cu-3"}); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, envelope(1, "e1"), "o-q"); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, envelope(2, "e1"), ""); err != nil {
			return err
		}
		return tx.AppendOutbox(ctx, envelope(3, "e2"), "o-other")
	})

	exportedAt := at(time.Hour + subMilli)
	x, err := from.ExportBar(ctx, "e1", exportedAt)
	if err != nil {
		t.Fatalf("ExportBar() = %v", err)
	}
	if !x.ExportedAt.Equal(exportedAt) || x.Format != 1 || x.Bar.ID != "e1" {
		t.Fatalf("ExportBar() = format %d bar %s at %v, want 1 e1 %v", x.Format, x.Bar.ID, x.ExportedAt, exportedAt)
	}
	var got []string
	for _, o := range x.Orders {
		got = append(got, o.ID)
	}
	for _, c := range []struct{ what, got, want string }{
		{"orders", strings.Join(got, ","), "o-done,o-q,o-x,o-staff"},
		{"events", fmt.Sprint(len(x.Events)), "2"},
		{"history", fmt.Sprint(len(x.History)), "2"},
		{"counters", fmt.Sprintf("%+v", x.Counters), "[{Day: Value:1} {Day:2026-01-01 Value:1}]"},
		{"customers", fmt.Sprintf("%+v", x.Customers), "[{ID:cu-1 Email:ada@example.com Name:Ada} {ID:cu-2 Email: Name:Sam}]"},
	} {
		if c.got != c.want {
			t.Fatalf("ExportBar() %s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if _, err := from.ExportBar(ctx, "nope", t0); presso.KindOf(err) != presso.KindNotFound {
		t.Fatalf("ExportBar(nope) = %v, want not found", err)
	}

	// Through JSON, as the export travels.
	j, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var back store.BarExport
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if err := to.ImportBar(ctx, &back, at(2*time.Hour)); err != nil {
		t.Fatalf("ImportBar() = %v", err)
	}
	y, err := to.ExportBar(ctx, "e1", exportedAt)
	if err != nil {
		t.Fatalf("ExportBar() after ImportBar = %v", err)
	}
	j2, _ := json.Marshal(y)
	if string(j2) != string(j) {
		t.Fatalf("ExportBar() after ImportBar =\n  %s\nwant\n  %s", j2, j)
	}
	for _, id := range []string{"o-q", "o-done", "o-staff"} {
		a, b := getOrder(t, from, id), getOrder(t, to, id)
		wantOrder(t, "GetOrder("+id+") after ImportBar", b, a)
	}
	// Imported events count as published; capacity and limits are rebuilt.
	if got := pending(t, to); got != 0 {
		t.Fatalf("PendingOutbox() after ImportBar = %d, want 0", got)
	}
	if got := active(t, to, "e1"); got != 2 {
		t.Fatalf("ActiveOrders() after ImportBar = %d, want 2 (o-q, o-staff)", got)
	}
	if countOrder(t, to, "e1", "cu-1", "2026-01-01", 1) {
		t.Fatalf("CountCustomerOrder(cu-1) after ImportBar = true, want false: o-q counts")
	}
	if !countOrder(t, to, "e1", "cu-2", "2026-01-01", 2) || countOrder(t, to, "e1", "cu-2", "2026-01-01", 2) {
		t.Fatalf("CountCustomerOrder(cu-2, max 2) after ImportBar: want one more allowed (o-done counts, o-x does not)")
	}
	var n int64
	tx(t, to, func(tx *store.Tx) error {
		var err error
		n, err = tx.NextNumber(ctx, "e1", "")
		return err
	})
	if n != 2 {
		t.Fatalf("NextNumber() after ImportBar = %d, want 2: counters carry over", n)
	}
	// The daily number stays unique on the new side.
	o := getOrder(t, to, "o-staff")
	prev := o.Version
	o.Number, o.Version = 2, prev+1
	if ok, err := updateOrder(t, to, o, prev, "2026-01-01"); err == nil || ok {
		t.Fatalf("UpdateOrder() to a number taken on the imported day = %v, %v; want false and an error", ok, err)
	}

	err = to.ImportBar(ctx, &back, t0)
	wantKind(t, "ImportBar() of a bar already there", err, presso.KindConflict)
	x.Bar = nil
	err = to.ImportBar(ctx, x, t0)
	wantKind(t, "ImportBar() of a malformed export", err, presso.KindInvalid)
}
