package storetest

import (
	"reflect"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// What the admin console does to QR codes and reads of bars: a new code
// now (EndCodes, SetQREpoch), live drinks-per-code changes
// (AdjustCodeUses) and today's counts (DayCounts).

func codeAt(t *testing.T, db *store.DB, eventID string, start time.Time) store.Code {
	t.Helper()
	c, err := db.CodeAt(t.Context(), eventID, start)
	if err != nil {
		t.Fatalf("CodeAt(%s, %s) = %v", eventID, start, err)
	}
	return c
}

// testAdjustCodeUses: the live code's uses move by the difference of the
// limits, never below zero nor above the new limit.
func testAdjustCodeUses(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ensureCodes(t, db, firstCode()) // 10 uses
	for range 3 {
		if _, ok, err := useCode(t, db, "e1", "FIRST", at(time.Minute)); !ok || err != nil {
			t.Fatalf("UseCode() = %v, %v", ok, err)
		}
	}
	steps := []struct {
		name         string
		delta, limit int
		want         int
	}{
		{"raised 10 to 15", 5, 15, 12},
		{"lowered 15 to 5", -10, 5, 2},
		{"lowered 5 to 1: not below zero", -4, 1, 0},
		{"raised 1 to 3", 2, 3, 2},
		{"raised 3 to 10", 7, 10, 9},
		{"a delta past the limit: not above it", 5, 10, 10},
	}
	for _, s := range steps {
		tx(t, db, func(tx *store.Tx) error { return tx.AdjustCodeUses(ctx, "e1", at(2*time.Minute), s.delta, s.limit) })
		if got := codeAt(t, db, "e1", t0).UsesLeft; got != s.want {
			t.Fatalf("%s: uses left = %d, want %d", s.name, got, s.want)
		}
	}
}

func testAdjustOnlyLive(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ensureCodes(t, db, firstCode(), nextCode(), otherCode())
	// At 1 min FIRST is live; NEXT is to come and OTHER is another bar's.
	tx(t, db, func(tx *store.Tx) error { return tx.AdjustCodeUses(ctx, "e1", at(time.Minute), 5, 15) })
	for _, c := range []struct {
		code store.Code
		want int
	}{{firstCode(), 15}, {nextCode(), 3}, {otherCode(), 4}} {
		if got := codeAt(t, db, c.code.EventID, c.code.WindowStart).UsesLeft; got != c.want {
			t.Fatalf("%s uses left = %d, want %d", c.code.Code, got, c.want)
		}
	}
	// At the end of FIRST's window it is no longer live.
	tx(t, db, func(tx *store.Tx) error { return tx.AdjustCodeUses(ctx, "e1", at(5*time.Minute), -10, 5) })
	if got := codeAt(t, db, "e1", t0).UsesLeft; got != 15 {
		t.Fatalf("FIRST uses left after its window = %d, want 15", got)
	}
	if got := codeAt(t, db, "e1", at(5*time.Minute)).UsesLeft; got != 0 {
		t.Fatalf("NEXT uses left = %d, want 0", got)
	}
}

// testEndCodes: a rotation ends the live window at once; the code then
// answers "expired", and other windows and bars keep theirs.
func testEndCodes(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ensureCodes(t, db, firstCode(), nextCode(), otherCode())
	tx(t, db, func(tx *store.Tx) error { return tx.EndCodes(ctx, "e1", at(2*time.Minute+truncated)) })
	ended := firstCode()
	ended.WindowEnd = at(2 * time.Minute)
	wantCode(t, "FIRST after EndCodes", codeAt(t, db, "e1", t0), ended)
	wantCode(t, "NEXT after EndCodes", codeAt(t, db, "e1", at(5*time.Minute)), nextCode())
	wantCode(t, "OTHER after EndCodes", codeAt(t, db, "e2", t0), otherCode())
	got, ok, err := useCode(t, db, "e1", "FIRST", at(2*time.Minute+time.Millisecond))
	if err != nil || ok {
		t.Fatalf("UseCode(FIRST) after EndCodes = %v, %v; want false, nil", ok, err)
	}
	wantCode(t, "UseCode(FIRST) after EndCodes", got, ended)
}

func testQREpoch(t *testing.T, db *store.DB) {
	ctx := t.Context()
	createBar(t, db, "e1")
	createBar(t, db, "e2")
	if got, _ := db.GetBar(ctx, "e1"); !got.QREpoch.IsZero() {
		t.Fatalf("QREpoch of a new bar = %s, want the zero time", got.QREpoch)
	}
	tx(t, db, func(tx *store.Tx) error { return tx.SetQREpoch(ctx, "e1", at(time.Minute+truncated)) })
	b, err := db.GetBar(ctx, "e1")
	if err != nil || !b.QREpoch.Equal(at(time.Minute)) || b.QREpoch.Location() != time.UTC {
		t.Fatalf("GetBar(e1).QREpoch = %s, %v; want %s UTC", b.QREpoch, err, at(time.Minute))
	}
	// A settings change leaves it alone.
	tx(t, db, func(tx *store.Tx) error { return tx.UpdateBar(ctx, newBar("e1"), at(2*time.Minute)) })
	if b, _ := db.GetBar(ctx, "e1"); !b.QREpoch.Equal(at(time.Minute)) {
		t.Fatalf("QREpoch after UpdateBar = %s, want %s", b.QREpoch, at(time.Minute))
	}
	if b, _ := db.GetBar(ctx, "e2"); !b.QREpoch.IsZero() {
		t.Fatalf("e2's QREpoch = %s, want the zero time", b.QREpoch)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.SetQREpoch(ctx, "nope", t0) })
	wantKind(t, "SetQREpoch(nope)", err, presso.KindNotFound)
}

func testDayCounts(t *testing.T, db *store.DB) {
	ctx := t.Context()
	day := func(o *presso.Order, d string) *presso.Order { o.Day = d; return o }
	for _, o := range []*presso.Order{
		order("o1", "e1", "u1", presso.StateWaiting, 0, t0),
		order("o2", "e1", "u2", presso.StateQueued, 1, t0),
		order("o3", "e1", "u3", presso.StateQueued, 2, t0),
		order("o4", "e1", "u4", presso.StateCompleted, 3, t0),
		order("o5", "e1", "u5", presso.StateTimedOut, 0, t0),
		day(order("o6", "e1", "u6", presso.StateCompleted, 4, t0), "2025-12-31"),
		order("o7", "e2", "u7", presso.StateMaking, 1, t0),
	} {
		insertOrder(t, db, o)
	}
	cases := []struct {
		event, day string
		want       map[presso.State]int
	}{
		{"e1", "2026-01-01", map[presso.State]int{presso.StateWaiting: 1, presso.StateQueued: 2, presso.StateCompleted: 1, presso.StateTimedOut: 1}},
		{"e1", "2025-12-31", map[presso.State]int{presso.StateCompleted: 1}},
		{"e2", "2026-01-01", map[presso.State]int{presso.StateMaking: 1}},
		{"e3", "2026-01-01", map[presso.State]int{}},
	}
	for _, c := range cases {
		got, err := db.DayCounts(ctx, c.event, c.day)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("DayCounts(%s, %s) = %v, %v; want %v", c.event, c.day, got, err, c.want)
		}
	}
}
