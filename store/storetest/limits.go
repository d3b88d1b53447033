package storetest

import (
	"testing"
	"time"

	"presso/store"
)

// Sign-in back-off and shared rate counts (store/limits.go).

// doubling is a wait policy: two free failures, then 1 s doubling.
func doubling(n int) time.Duration {
	if n < 3 {
		return 0
	}
	return time.Second << (n - 3)
}

func takeTurn(t *testing.T, db *store.DB, key string, now time.Time) time.Time {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) (time.Time, error) {
		return tx.TakeSigninTurn(t.Context(), key, now, doubling)
	})
}

// testBackoffTurns: each turn counts a failure; once the policy imposes a
// wait, turns before it are refused without counting; a clear starts over.
func testBackoffTurns(t *testing.T, db *store.DB) {
	const key = "staff:root"
	steps := []struct {
		at        time.Duration
		wantRetry time.Duration // 0: the turn was taken
		wantFails int
		wantNext  time.Duration
	}{
		{0, 0, 1, 0},
		{0, 0, 2, 0},
		{0, 0, 3, time.Second}, // the third failure imposes 1 s
		{999 * time.Millisecond, time.Second, 3, time.Second}, // refused, not counted
		{time.Second, 0, 4, 3 * time.Second},                  // 2 s from then
		{3 * time.Second, 0, 5, 7 * time.Second},              // 4 s
		{7 * time.Second, 0, 6, 15 * time.Second},             // 8 s
	}
	for i, s := range steps {
		retry := takeTurn(t, db, key, at(s.at))
		if (s.wantRetry == 0) != retry.IsZero() || s.wantRetry != 0 && !retry.Equal(at(s.wantRetry)) {
			t.Fatalf("step %d: TakeSigninTurn(+%v) retryAt = %v, want %v", i, s.at, retry, s.wantRetry)
		}
		b, err := db.SigninBackoff(t.Context(), key)
		if err != nil || b.Failures != s.wantFails || !b.NextAt.Equal(at(s.wantNext)) {
			t.Fatalf("step %d: SigninBackoff() = %+v, %v; want %d failures, next at +%v", i, b, err, s.wantFails, s.wantNext)
		}
	}
	if b, err := db.SigninBackoff(t.Context(), "staff:other"); err != nil || b != (store.Backoff{}) {
		t.Fatalf("SigninBackoff() of another key = %+v, %v; want none", b, err)
	}
	tx(t, db, func(tx *store.Tx) error { return tx.ClearBackoff(t.Context(), key) })
	if retry := takeTurn(t, db, key, at(8*time.Second)); !retry.IsZero() {
		t.Fatalf("TakeSigninTurn() after ClearBackoff retryAt = %v, want a turn", retry)
	}
	if b, _ := db.SigninBackoff(t.Context(), key); b.Failures != 1 {
		t.Fatalf("failures after ClearBackoff and one turn = %d, want 1", b.Failures)
	}
}

// testBackoffForget: failures older than BackoffForget count no more.
func testBackoffForget(t *testing.T, db *store.DB) {
	const key = "email:ada@example.com"
	for range 4 {
		takeTurn(t, db, key, t0)
	}
	later := t0.Add(store.BackoffForget)
	if retry := takeTurn(t, db, key, later); !retry.IsZero() {
		t.Fatalf("TakeSigninTurn() a day later retryAt = %v, want a turn", retry)
	}
	if b, _ := db.SigninBackoff(t.Context(), key); b.Failures != 1 || !b.NextAt.Equal(later) {
		t.Fatalf("back-off a day later = %+v, want 1 failure and no wait", b)
	}
}

// testBackoffConcurrent: turns racing for one key each count once, so
// exactly the free ones pass at one instant.
func testBackoffConcurrent(t *testing.T, db *store.DB) {
	const n = 10
	retries := race(t, db, "TakeSigninTurn()", n, func(tx *store.Tx, _ int) (time.Time, error) {
		return tx.TakeSigninTurn(t.Context(), "staff:root", t0, doubling)
	})
	taken := 0
	for _, retry := range retries {
		if retry.IsZero() {
			taken++
		}
	}
	b, _ := db.SigninBackoff(t.Context(), "staff:root")
	if taken != 3 || b.Failures != 3 {
		t.Fatalf("%d concurrent turns: %d taken, %d failures counted; want 3 and 3", n, taken, b.Failures)
	}
}

// testBackoffSweep: the sweep drops back-offs quiet for BackoffForget and
// keeps the others.
func testBackoffSweep(t *testing.T, db *store.DB) {
	takeTurn(t, db, "staff:old", t0)
	takeTurn(t, db, "staff:new", at(time.Hour))
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteExpiredSessions(t.Context(), t0.Add(store.BackoffForget)) })
	if b, _ := db.SigninBackoff(t.Context(), "staff:old"); b != (store.Backoff{}) {
		t.Fatalf("a quiet back-off after the sweep = %+v, want none", b)
	}
	if b, _ := db.SigninBackoff(t.Context(), "staff:new"); b.Failures != 1 {
		t.Fatalf("a recent back-off after the sweep = %+v, want 1 failure", b)
	}
}

func countRate(t *testing.T, db *store.DB, key string, start time.Time, max int) bool {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) (bool, error) {
		return tx.CountRate(t.Context(), key, start, start.Add(time.Hour), max)
	})
}

// testRateCounts: max per key and window; windows and keys are separate;
// max 0 allows nothing.
func testRateCounts(t *testing.T, db *store.DB) {
	var got []bool
	for range 4 {
		got = append(got, countRate(t, db, "mail-h:ada", t0, 3))
	}
	got = append(got, countRate(t, db, "mail-h:bob", t0, 3), countRate(t, db, "mail-h:ada", at(time.Hour), 3))
	got = append(got, countRate(t, db, "mail-h:ada", t0, 3), countRate(t, db, "x", t0, 0))
	want := []bool{true, true, true, false, true, true, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("CountRate() results = %v, want %v", got, want)
		}
	}
}

// testRateConcurrent: racing counts never pass max.
func testRateConcurrent(t *testing.T, db *store.DB) {
	const n, max = 12, 5
	passed := wins(race(t, db, "CountRate()", n, func(tx *store.Tx, _ int) (bool, error) {
		return tx.CountRate(t.Context(), "order:ip", t0, at(time.Hour), max)
	}))
	if passed != max {
		t.Fatalf("%d concurrent CountRate(max %d): %d passed, want %d", n, max, passed, max)
	}
}

// testRateSweep: the sweep drops windows past their expiry, so they count
// from zero again.
func testRateSweep(t *testing.T, db *store.DB) {
	countRate(t, db, "k", t0, 1)
	if countRate(t, db, "k", t0, 1) {
		t.Fatal("CountRate() over max before the sweep = true")
	}
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteExpiredSessions(t.Context(), at(time.Hour)) })
	if !countRate(t, db, "k", t0, 1) {
		t.Fatal("CountRate() after the sweep dropped the window = false, want true")
	}
}
