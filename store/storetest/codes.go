package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// QR codes, order-number counters and customer days (store/codes.go).

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

func ensureCode(t *testing.T, db *store.DB, c store.Code) store.Code {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) (store.Code, error) {
		return tx.EnsureCode(t.Context(), c)
	})
}

func useCode(t *testing.T, db *store.DB, eventID, code string, now time.Time) (c store.Code, ok bool, err error) {
	t.Helper()
	err = db.Tx(t.Context(), func(tx *store.Tx) (err error) {
		c, ok, err = tx.UseCode(t.Context(), eventID, code, now)
		return err
	})
	return c, ok, err
}

// The codes the Codes tests use: e1's first and next window, and e2's
// first.
func firstCode() store.Code {
	return store.Code{EventID: "e1", Code: "FIRST", WindowStart: t0, WindowEnd: at(5 * time.Minute), UsesLeft: 10}
}

func nextCode() store.Code {
	return store.Code{EventID: "e1", Code: "NEXT", WindowStart: at(5 * time.Minute), WindowEnd: at(10 * time.Minute), UsesLeft: 3}
}

func otherCode() store.Code {
	return store.Code{EventID: "e2", Code: "OTHER", WindowStart: t0, WindowEnd: at(5 * time.Minute), UsesLeft: 4}
}

// ensureCodes creates codes that are new and checks each comes back as
// given.
func ensureCodes(t *testing.T, db *store.DB, codes ...store.Code) {
	t.Helper()
	for _, c := range codes {
		wantCode(t, "EnsureCode("+c.Code+")", ensureCode(t, db, c), c)
	}
}

// testCodeByValue: a code is found by its value in any window, only at its
// own bar, and finding it uses nothing.
func testCodeByValue(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ensureCodes(t, db, firstCode(), nextCode(), otherCode())
	if _, _, err := useCode(t, db, "e1", "NEXT", at(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	used := nextCode()
	used.UsesLeft--
	for _, want := range []store.Code{firstCode(), used, otherCode()} {
		for range 2 {
			got, err := db.CodeByValue(ctx, want.EventID, want.Code)
			if err != nil {
				t.Fatalf("CodeByValue(%s, %s) = %v", want.EventID, want.Code, err)
			}
			wantCode(t, "CodeByValue("+want.Code+")", got, want)
		}
	}
	for _, c := range [][2]string{{"e2", "FIRST"}, {"e1", "OTHER"}, {"e1", "NOPE"}, {"e1", ""}} {
		_, err := db.CodeByValue(ctx, c[0], c[1])
		wantKind(t, fmt.Sprintf("CodeByValue(%s, %q)", c[0], c[1]), err, presso.KindNotFound)
	}
}

func testCodeEnsureConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	first := firstCode()
	const n = 12
	got := race(t, db, "EnsureCode()", n, func(tx *store.Tx, i int) (store.Code, error) {
		return tx.EnsureCode(ctx, store.Code{EventID: "e1", Code: fmt.Sprintf("CODE%02d", i),
			WindowStart: first.WindowStart.Add(truncated), WindowEnd: first.WindowEnd.Add(truncated), UsesLeft: 10})
	})
	stored := first
	stored.Code = got[0].Code
	if !strings.HasPrefix(stored.Code, "CODE") {
		t.Fatalf("EnsureCode().Code = %q, want one of the proposed codes", stored.Code)
	}
	for i := range n {
		wantCode(t, fmt.Sprintf("EnsureCode() #%d", i), got[i], stored)
	}
}

func testCodeEnsureExisting(t *testing.T, db *store.DB) {
	ensureCodes(t, db, firstCode())
	later := firstCode()
	later.Code, later.UsesLeft = "LATER", 99
	wantCode(t, "EnsureCode() of an existing window", ensureCode(t, db, later), firstCode())
}

func testCodeEnsureSeparate(t *testing.T, db *store.DB) {
	ensureCodes(t, db, firstCode())
	ensureCodes(t, db, nextCode(), otherCode()) // the next window, another bar
}

func testCodeUseConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	stored := firstCode()
	ensureCodes(t, db, stored)
	const n = 50
	type use struct {
		code store.Code
		ok   bool
	}
	uses := race(t, db, "UseCode()", n, func(tx *store.Tx, _ int) (use, error) {
		c, ok, err := tx.UseCode(ctx, "e1", stored.Code, at(time.Minute))
		return use{c, ok}, err
	})
	var left []int
	for i, u := range uses {
		if u.code.UsesLeft < 0 {
			t.Fatalf("UseCode() #%d UsesLeft = %d, want >= 0", i, u.code.UsesLeft)
		}
		if u.ok {
			left = append(left, u.code.UsesLeft)
			want := stored
			want.UsesLeft = u.code.UsesLeft
			wantCode(t, fmt.Sprintf("UseCode() #%d", i), u.code, want)
		} else if u.code.UsesLeft != 0 {
			t.Fatalf("UseCode() #%d refused with UsesLeft = %d, want 0", i, u.code.UsesLeft)
		}
	}
	slices.Sort(left)
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(left, want) {
		t.Fatalf("UseCode() x%d of a 10-use code: UsesLeft of the granted = %v, want %v", n, left, want)
	}
}

func testCodeSoldOut(t *testing.T, db *store.DB) {
	want := firstCode()
	ensureCodes(t, db, want)
	for want.UsesLeft > 0 {
		c, ok, err := useCode(t, db, "e1", want.Code, at(time.Minute))
		if err != nil || !ok {
			t.Fatalf("UseCode() with %d uses left = ok %v, err %v; want true, nil", want.UsesLeft, ok, err)
		}
		want.UsesLeft--
		wantCode(t, "UseCode()", c, want)
	}
	c, ok, err := useCode(t, db, "e1", want.Code, at(time.Minute))
	if err != nil || ok {
		t.Fatalf("UseCode() of a used-up code = ok %v, err %v; want false, nil", ok, err)
	}
	wantCode(t, "UseCode() of a used-up code", c, want)
}

func testCodeExpired(t *testing.T, db *store.DB) {
	next := nextCode()
	ensureCodes(t, db, firstCode(), next)
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
}

func testCodeUnknown(t *testing.T, db *store.DB) {
	ensureCodes(t, db, firstCode(), otherCode())
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
}

func testNextNumber(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 200
	got := race(t, db, "NextNumber()", n, func(tx *store.Tx, _ int) (int64, error) {
		return tx.NextNumber(ctx, "e1", "")
	})
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("NextNumber() x%d sorted[%d] = %d, want %d: numbers must be exactly 1..%d", n, i, v, i+1, n)
		}
	}
	next := func(eventID, day string) int64 {
		return txValue(t, db, func(tx *store.Tx) (int64, error) {
			return tx.NextNumber(ctx, eventID, day)
		})
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

// customerDay is the day the CustomerLimit tests count in.
const customerDay = "2026-01-01"

func countOrder(t *testing.T, db *store.DB, eventID, userID, day string, max int) bool {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) (bool, error) {
		return tx.CountCustomerOrder(t.Context(), eventID, userID, day, max)
	})
}

func uncountOrder(t *testing.T, db *store.DB, eventID, userID, day string) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.UncountCustomerOrder(t.Context(), eventID, userID, day) })
}

// fillLimit counts u1's one order of the day at e1, up to a limit of 1.
func fillLimit(t *testing.T, db *store.DB) {
	t.Helper()
	if !countOrder(t, db, "e1", "u1", customerDay, 1) {
		t.Fatalf("CountCustomerOrder() of a first order = false, want true")
	}
	if countOrder(t, db, "e1", "u1", customerDay, 1) {
		t.Fatalf("CountCustomerOrder() over max = true, want false")
	}
}

func testCustomerLimitConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 20
	granted := wins(race(t, db, "CountCustomerOrder()", n, func(tx *store.Tx, _ int) (bool, error) {
		return tx.CountCustomerOrder(ctx, "e1", "u1", customerDay, 1)
	}))
	if granted != 1 {
		t.Fatalf("CountCustomerOrder(max 1) granted %d of %d, want exactly 1", granted, n)
	}
}

func testCustomerLimitUncount(t *testing.T, db *store.DB) {
	fillLimit(t, db)
	uncountOrder(t, db, "e1", "u1", customerDay)
	if !countOrder(t, db, "e1", "u1", customerDay, 1) {
		t.Fatalf("CountCustomerOrder() after an uncount = false, want true")
	}
	if countOrder(t, db, "e1", "u1", customerDay, 1) {
		t.Fatalf("CountCustomerOrder() over max = true, want false")
	}
}

func testCustomerLimitSeparate(t *testing.T, db *store.DB) {
	fillLimit(t, db)
	for _, k := range []struct{ event, user, day string }{
		{"e1", "u1", "2026-01-02"}, // another day
		{"e1", "u2", customerDay},  // another user
		{"e2", "u1", customerDay},  // another bar
	} {
		if !countOrder(t, db, k.event, k.user, k.day, 1) {
			t.Fatalf("CountCustomerOrder(%s, %s, %s) = false, want true: limits are per bar, user and day", k.event, k.user, k.day)
		}
	}
}

func testCustomerLimitMaxThree(t *testing.T, db *store.DB) {
	var got []bool
	for range 4 {
		got = append(got, countOrder(t, db, "e1", "u3", customerDay, 3))
	}
	if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
		t.Fatalf("CountCustomerOrder(max 3) x4 = %v, want %v", got, want)
	}
}

func testCustomerLimitUncountNeverBelowZero(t *testing.T, db *store.DB) {
	uncountOrder(t, db, "e1", "u4", customerDay) // no row yet: not an error
	if !countOrder(t, db, "e1", "u4", customerDay, 1) {
		t.Fatalf("CountCustomerOrder() = false, want true")
	}
	uncountOrder(t, db, "e1", "u4", customerDay)
	uncountOrder(t, db, "e1", "u4", customerDay)
	var got []bool
	for range 2 {
		got = append(got, countOrder(t, db, "e1", "u4", customerDay, 1))
	}
	if want := []bool{true, false}; !slices.Equal(got, want) {
		t.Fatalf("CountCustomerOrder() after two uncounts of one = %v, want %v", got, want)
	}
}

func testCustomerLimitMaxZero(t *testing.T, db *store.DB) {
	if countOrder(t, db, "e1", "u5", customerDay, 0) {
		t.Fatalf("CountCustomerOrder(max 0) = true, want false")
	}
	if !countOrder(t, db, "e1", "u5", customerDay, 1) {
		t.Fatalf("CountCustomerOrder(max 1) after a refused max 0 = false, want true: a refusal must not count")
	}
}
