package validator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/internal/testkit"
	"presso/store"
	"presso/store/storetest"
	"presso/validator"
)

// TestCheck: a code is checked without being used, and every way a scan
// would fail has the scan's own answer, on a fake clock: the window's end
// is the boundary (1 ms before it the code is good, at it expired), a
// used-up code says when the next comes, and the bar's state comes first.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite().Open(t)
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := testkit.NewClock(start.Add(time.Minute))
	bar := config.DemoBar()
	bar.Limits.DrinksPerCode = 2
	if err := config.New(db, c.Now, func() {}).Seed(ctx, bar); err != nil {
		t.Fatal(err)
	}
	v := validator.New(db, c.Now, "http://presso.test")
	cur, err := v.Current(ctx, bar)
	if err != nil {
		t.Fatal(err)
	}
	end := start.Add(5 * time.Minute)
	type want struct {
		code      string
		remaining int
		retryAt   time.Time
	}
	check := func(what string, b *presso.Bar, code string, at time.Time, w want) {
		t.Helper()
		c.Set(at)
		got, err := v.Check(ctx, b, code)
		var pe *presso.Error
		switch {
		case w.code == "" && err != nil:
			t.Errorf("%s: Check = %v, want a good code", what, err)
		case w.code == "" && (got.UsesLeft != w.remaining || !got.WindowEnd.Equal(end) || got.Code != cur.Code):
			t.Errorf("%s: Check = %+v, want %d left until %v", what, got, w.remaining, end)
		case w.code != "" && (!errors.As(err, &pe) || pe.Code != w.code || !pe.RetryAt.Equal(w.retryAt)):
			t.Errorf("%s: Check = %v, want %s (retry at %v)", what, err, w.code, w.retryAt)
		}
	}
	use := func() {
		t.Helper()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := validator.Use(ctx, tx, bar, cur.Code, c.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}

	check("a fresh code", bar, cur.Code, start.Add(time.Minute), want{remaining: 2})
	check("checked again: nothing was used", bar, cur.Code, start.Add(time.Minute), want{remaining: 2})
	c.Set(start.Add(time.Minute))
	use()
	check("after one use", bar, cur.Code, start.Add(2*time.Minute), want{remaining: 1})
	check("1 ms before the window ends", bar, cur.Code, end.Add(-time.Millisecond), want{remaining: 1})
	check("at the window's end", bar, cur.Code, end, want{code: presso.CodeCodeExpired})
	check("unknown", bar, "NOPE", start.Add(time.Minute), want{code: presso.CodeInvalidCode})
	check("empty", bar, "", start.Add(time.Minute), want{code: presso.CodeInvalidCode})
	check("too long", bar, strings.Repeat("A", 65), start.Add(time.Minute), want{code: presso.CodeInvalidCode})
	other := *bar
	other.ID = "other"
	check("another bar's code", &other, cur.Code, start.Add(time.Minute), want{code: presso.CodeInvalidCode})
	c.Set(start.Add(2 * time.Minute))
	use()
	check("used up", bar, cur.Code, start.Add(3*time.Minute), want{code: presso.CodeSoldOut, retryAt: end})
	closed := *bar
	closed.Open = false
	check("closed", &closed, cur.Code, start.Add(time.Minute), want{code: presso.CodeClosed})
	check("closed, with a bad code", &closed, "NOPE", start.Add(time.Minute), want{code: presso.CodeClosed})
	ended := *bar
	ended.Ended = true
	check("ended", &ended, "NOPE", start.Add(time.Minute), want{code: presso.CodeBarEnded})
}
