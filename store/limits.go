package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Sign-in back-off and shared rate counts (tables signin_backoff and
// rate_counts): limits that must hold across replicas, so they live here
// rather than in one process's memory.

// BackoffForget is how long a key must be quiet before its failures are
// forgotten.
const BackoffForget = 24 * time.Hour

// Backoff is the failed sign-ins counted for one key.
type Backoff struct {
	Failures  int
	NextAt    time.Time // no attempt is judged before this
	UpdatedAt time.Time
}

// SigninBackoff reads the back-off of key; a key never seen has none.
func (c conn) SigninBackoff(ctx context.Context, key string) (_ Backoff, err error) {
	defer wrap(&err, "store.SigninBackoff")
	var b Backoff
	var next, updated int64
	err = c.q.QueryRowContext(ctx, `SELECT failures, next_at, updated_at FROM signin_backoff WHERE key = $1`, key).
		Scan(&b.Failures, &next, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Backoff{}, nil
	}
	b.NextAt, b.UpdatedAt = fromMS(next), fromMS(updated)
	return b, err
}

// TakeSigninTurn counts one attempt for key as a failure before it is
// judged (a success clears it with ClearBackoff), unless the key must
// still wait: then nothing is counted and retryAt says until when. wait
// gives the pause that the n-th failure imposes on the next attempt.
// Failures older than BackoffForget are forgotten. Two attempts racing for
// one turn cannot both take it.
func (c *Tx) TakeSigninTurn(ctx context.Context, key string, now time.Time, wait func(n int) time.Duration) (retryAt time.Time, err error) {
	defer wrap(&err, "store.TakeSigninTurn")
	for range 3 {
		b, err := c.SigninBackoff(ctx, key)
		if err != nil {
			return time.Time{}, err
		}
		if b.NextAt.After(now) {
			return b.NextAt, nil
		}
		n := b.Failures + 1
		if !b.UpdatedAt.After(now.Add(-BackoffForget)) {
			n = 1
		}
		var res sql.Result
		if b.UpdatedAt.IsZero() {
			res, err = c.q.ExecContext(ctx, `
				INSERT INTO signin_backoff (
					key,
					failures,
					next_at,
					updated_at
				) VALUES ($1, $2, $3, $4)
				ON CONFLICT (key) DO NOTHING`,
				key, n, ms(now.Add(wait(n))), ms(now))
		} else {
			res, err = c.q.ExecContext(ctx, `UPDATE signin_backoff SET
					failures = $2,
					next_at = $3,
					updated_at = $4
				WHERE key = $1 AND failures = $5 AND updated_at = $6`,
				key, n, ms(now.Add(wait(n))), ms(now), b.Failures, ms(b.UpdatedAt))
		}
		if err != nil {
			return time.Time{}, err
		}
		if won, err := res.RowsAffected(); err != nil || won == 1 {
			return time.Time{}, err
		}
		// Another attempt took this turn first: look again.
	}
	return now.Add(time.Second), nil
}

// ClearBackoff forgets the failures of key, after a success.
func (c *Tx) ClearBackoff(ctx context.Context, key string) (err error) {
	defer wrap(&err, "store.ClearBackoff")
	_, err = c.q.ExecContext(ctx, `DELETE FROM signin_backoff WHERE key = $1`, key)
	return err
}

// CountRate counts one more for key in the window starting at start
// (kept until expires) unless it has max already. The check and the count
// are one statement.
func (c *Tx) CountRate(ctx context.Context, key string, start, expires time.Time, max int) (_ bool, err error) {
	defer wrap(&err, "store.CountRate")
	if max <= 0 {
		return false, nil // the insert below would count a first one regardless
	}
	var n int
	err = c.q.QueryRowContext(ctx, `
		INSERT INTO rate_counts (
			key,
			window_start,
			expires_at,
			n
		) VALUES ($1, $2, $3, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET n = rate_counts.n + 1 WHERE rate_counts.n < $4
		RETURNING n`, key, ms(start), ms(expires), max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && n <= max, err
}
