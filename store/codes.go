package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Code is one QR code window of one bar.
type Code struct {
	EventID     string
	Code        string
	WindowStart time.Time
	WindowEnd   time.Time
	UsesLeft    int
}

// EnsureCode inserts the window's code unless one exists, then returns the
// stored one. Two replicas creating the same window agree on one code.
func (c *Tx) EnsureCode(ctx context.Context, want Code) (_ Code, err error) {
	defer wrap(&err, "store.EnsureCode")
	// A stored row for the same start but another end was made under another
	// window length: it is stale, so it gets the new window and code.
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO qr_codes (
			event_id,
			window_start,
			window_end,
			code,
			uses_left
		) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (event_id, window_start) DO UPDATE SET
			window_end = excluded.window_end,
			code = excluded.code,
			uses_left = excluded.uses_left
		WHERE qr_codes.window_end <> excluded.window_end`,
		want.EventID, ms(want.WindowStart), ms(want.WindowEnd), want.Code, want.UsesLeft)
	if err != nil {
		return Code{}, err
	}
	return c.CodeAt(ctx, want.EventID, want.WindowStart)
}

// CodeAt returns the bar's code for the window starting at start.
func (c conn) CodeAt(ctx context.Context, eventID string, start time.Time) (_ Code, err error) {
	defer wrap(&err, "store.CodeAt")
	got := Code{EventID: eventID}
	var from, end int64
	err = c.q.QueryRowContext(ctx, `SELECT code, window_start, window_end, uses_left FROM qr_codes WHERE event_id = $1 AND window_start = $2`,
		eventID, ms(start)).Scan(&got.Code, &from, &end, &got.UsesLeft)
	got.WindowStart, got.WindowEnd = fromMS(from), fromMS(end)
	return got, notFound(err, "code")
}

// CodeByValue finds a bar's code by its value, whatever its window, for a
// scan to be checked without using it.
func (c conn) CodeByValue(ctx context.Context, eventID, code string) (_ Code, err error) {
	defer wrap(&err, "store.CodeByValue")
	got := Code{EventID: eventID, Code: code}
	var start, end int64
	err = c.q.QueryRowContext(ctx, `SELECT window_start, window_end, uses_left FROM qr_codes WHERE event_id = $1 AND code = $2`,
		eventID, code).Scan(&start, &end, &got.UsesLeft)
	got.WindowStart, got.WindowEnd = fromMS(start), fromMS(end)
	return got, notFound(err, "code")
}

// UseCode takes one use of a live code. It reports false, with the stored
// code if there is one, when the code is unknown, expired or used up.
func (c *Tx) UseCode(ctx context.Context, eventID, code string, now time.Time) (_ Code, _ bool, err error) {
	defer wrap(&err, "store.UseCode")
	got := Code{EventID: eventID, Code: code}
	var start, end int64
	err = c.q.QueryRowContext(ctx, `UPDATE qr_codes SET uses_left = uses_left - 1
		WHERE event_id = $1 AND code = $2 AND window_end > $3 AND uses_left > 0
		RETURNING window_start, window_end, uses_left`, eventID, code, ms(now)).Scan(&start, &end, &got.UsesLeft)
	if err == nil {
		got.WindowStart, got.WindowEnd = fromMS(start), fromMS(end)
		return got, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return got, false, err
	}
	err = c.q.QueryRowContext(ctx, `SELECT window_start, window_end, uses_left FROM qr_codes WHERE event_id = $1 AND code = $2`,
		eventID, code).Scan(&start, &end, &got.UsesLeft)
	if err != nil {
		return got, false, notFound(err, "code")
	}
	got.WindowStart, got.WindowEnd = fromMS(start), fromMS(end)
	return got, false, nil
}

// NextNumber increments and returns the bar's counter for day ("" when the
// bar never resets). The first number is 1.
func (c *Tx) NextNumber(ctx context.Context, eventID, day string) (_ int64, err error) {
	defer wrap(&err, "store.NextNumber")
	var n int64
	err = c.q.QueryRowContext(ctx, `INSERT INTO counters (event_id, day, value) VALUES ($1, $2, 1)
		ON CONFLICT (event_id, day) DO UPDATE SET value = counters.value + 1 RETURNING value`, eventID, day).Scan(&n)
	return n, err
}

// CountCustomerOrder counts one more order for the customer's day unless
// they already have max. The check and the count are one statement.
func (c *Tx) CountCustomerOrder(ctx context.Context, eventID, userID, day string, max int) (_ bool, err error) {
	defer wrap(&err, "store.CountCustomerOrder")
	if max <= 0 {
		return false, nil // the insert below would count a first order regardless
	}
	var n int
	err = c.q.QueryRowContext(ctx, `INSERT INTO customer_days (event_id, user_id, day, n) VALUES ($1, $2, $3, 1)
		ON CONFLICT (event_id, user_id, day) DO UPDATE SET n = customer_days.n + 1 WHERE customer_days.n < $4
		RETURNING n`, eventID, userID, day, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return n <= max, nil
}

// UncountCustomerOrder gives back the count of a cancelled or timed-out order.
func (c *Tx) UncountCustomerOrder(ctx context.Context, eventID, userID, day string) (err error) {
	defer wrap(&err, "store.UncountCustomerOrder")
	_, err = c.q.ExecContext(ctx, `UPDATE customer_days SET n = n - 1 WHERE event_id = $1 AND user_id = $2 AND day = $3 AND n > 0`,
		eventID, userID, day)
	return err
}
