package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"presso"
)

// Violation is one broken invariant found by CheckInvariants: which check,
// what it is about (an order id, a bar, a customer's day) and what is wrong.
type Violation struct {
	Check   string
	Subject string
	Detail  string
}

func (v Violation) String() string { return v.Check + ": " + v.Subject + ": " + v.Detail }

// The states and terminal events as SQL lists, spelled out once.
const (
	sqlActive   = `('waiting', 'queued', 'making')`
	sqlTerminal = `('completed', 'cancelled', 'timed_out')`
	sqlStates   = `('waiting', 'queued', 'making', 'completed', 'cancelled', 'timed_out')`
	sqlEnds     = `('OrderManager.OrderCompleted', 'OrderManager.OrderCancelled', 'OrderProcessor.OrderTimeOut')`
)

// invariantCheck is one query whose every row is a violation; row turns a
// row into one.
type invariantCheck struct {
	name  string
	query string
	args  func(now time.Time, grace time.Duration) []any
	row   func(rows *sql.Rows) (Violation, error)
}

// invariantChecks are what must hold of any presso database, whatever ran
// against it and however it stopped: every order is in one known state and
// ends exactly once, its history is an unbroken chain that ends in that
// state, numbers are unique, deadlines fire, the outbox drains, and the
// capacity and per-customer counters agree with the orders they count.
func invariantChecks() []invariantCheck {
	none := func(time.Time, time.Duration) []any { return nil }
	return []invariantCheck{
		{
			name:  "unknown state",
			query: `SELECT id, state FROM orders WHERE state NOT IN ` + sqlStates,
			args:  none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, state string
				err := r.Scan(&id, &state)
				return Violation{Subject: id, Detail: fmt.Sprintf("state %q is not a known state", state)}, err
			},
		},
		{
			name: "stuck",
			query: `SELECT id, state, deadline_at FROM orders WHERE state IN ` + sqlActive + `
				AND (deadline_at IS NULL OR deadline_at < $1) ORDER BY created_at, id`,
			args: func(now time.Time, grace time.Duration) []any { return []any{ms(now.Add(-grace))} },
			row: func(r *sql.Rows) (Violation, error) {
				var id, state string
				var deadline sql.NullInt64
				if err := r.Scan(&id, &state, &deadline); err != nil {
					return Violation{}, err
				}
				if !deadline.Valid {
					return Violation{Subject: id, Detail: fmt.Sprintf("still %s with no deadline", state)}, nil
				}
				return Violation{Subject: id, Detail: fmt.Sprintf("still %s, its deadline %s passed", state,
					fromMS(deadline.Int64).Format(time.RFC3339Nano))}, nil
			},
		},
		{
			name: "ended badly",
			query: `SELECT id, state, deadline_at IS NOT NULL, finished_at IS NULL FROM orders
				WHERE state IN ` + sqlTerminal + ` AND (deadline_at IS NOT NULL OR finished_at IS NULL)`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, state string
				var hasDeadline, noFinish bool
				err := r.Scan(&id, &state, &hasDeadline, &noFinish)
				d := fmt.Sprintf("%s but", state)
				if hasDeadline {
					d += " still has a deadline"
				}
				if noFinish {
					d += " has no finish time"
				}
				return Violation{Subject: id, Detail: d}, err
			},
		},
		{
			name: "duplicate number",
			query: `SELECT event_id, number_day, number, COUNT(*) FROM orders WHERE number > 0
				GROUP BY event_id, number_day, number HAVING COUNT(*) > 1`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var bar, day string
				var number, n int64
				err := r.Scan(&bar, &day, &number, &n)
				return Violation{Subject: fmt.Sprintf("bar %s day %q", bar, day), Detail: fmt.Sprintf("number %d given to %d orders", number, n)}, err
			},
		},
		{
			name: "history length",
			query: `SELECT o.id, o.version, COUNT(h.seq), COALESCE(MAX(h.seq), 0) FROM orders o
				LEFT JOIN order_history h ON h.order_id = o.id
				GROUP BY o.id, o.version HAVING COUNT(h.seq) <> o.version OR COALESCE(MAX(h.seq), 0) <> o.version`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id string
				var version, n, last int64
				err := r.Scan(&id, &version, &n, &last)
				return Violation{Subject: id, Detail: fmt.Sprintf("version %d but %d history steps (last seq %d)", version, n, last)}, err
			},
		},
		{
			name: "history start",
			query: `SELECT h.order_id, h.from_state, h.to_state FROM order_history h LEFT JOIN orders o ON o.id = h.order_id
				WHERE h.seq = 1 AND (h.from_state <> '' OR h.to_state <> CASE WHEN o.walkup THEN 'queued' ELSE 'waiting' END)`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, from, to string
				err := r.Scan(&id, &from, &to)
				return Violation{Subject: id, Detail: fmt.Sprintf("first step %q → %q, want \"\" → waiting (queued for a walk-up)", from, to)}, err
			},
		},
		{
			name: "history chain",
			query: `SELECT h.order_id, h.seq, p.to_state, h.from_state FROM order_history h
				JOIN order_history p ON p.order_id = h.order_id AND p.seq = h.seq - 1
				WHERE p.to_state <> h.from_state`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, prev, from string
				var seq int64
				err := r.Scan(&id, &seq, &prev, &from)
				return Violation{Subject: id, Detail: fmt.Sprintf("step %d leaves %s but step %d ended in %s", seq, from, seq-1, prev)}, err
			},
		},
		{
			name: "history end",
			query: `SELECT o.id, o.state, h.to_state FROM orders o
				JOIN order_history h ON h.order_id = o.id
				AND h.seq = (SELECT MAX(seq) FROM order_history l WHERE l.order_id = o.id)
				WHERE h.to_state <> o.state`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, state, last string
				err := r.Scan(&id, &state, &last)
				return Violation{Subject: id, Detail: fmt.Sprintf("order is %s but its history ends in %s", state, last)}, err
			},
		},
		{
			name: "terminal transitions",
			query: `SELECT o.id, o.state, COUNT(h.seq) FROM orders o
				-- collecting a completed order stays in its state: not a second ending
				LEFT JOIN order_history h ON h.order_id = o.id AND h.to_state IN ` + sqlTerminal + ` AND h.from_state <> h.to_state
				GROUP BY o.id, o.state
				HAVING COUNT(h.seq) <> CASE WHEN o.state IN ` + sqlTerminal + ` THEN 1 ELSE 0 END`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, state string
				var n int64
				err := r.Scan(&id, &state, &n)
				return Violation{Subject: id, Detail: fmt.Sprintf("order is %s with %d transitions into a terminal state", state, n)}, err
			},
		},
		{
			name: "orphan history",
			query: `SELECT DISTINCT h.order_id FROM order_history h
				LEFT JOIN orders o ON o.id = h.order_id WHERE o.id IS NULL`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id string
				err := r.Scan(&id)
				return Violation{Subject: id, Detail: "history for an order that does not exist"}, err
			},
		},
		{
			// x.order_id <> '' is outbox_order's own condition: without
			// it SQLite cannot use that partial index, and scans the
			// outbox once per order.
			name: "terminal events",
			query: `SELECT o.id, o.state, COUNT(x.seq), COALESCE(SUM(CASE
					WHEN o.state = 'completed' AND x.detail_type = 'OrderManager.OrderCompleted' THEN 1
					WHEN o.state = 'cancelled' AND x.detail_type = 'OrderManager.OrderCancelled' THEN 1
					WHEN o.state = 'timed_out' AND x.detail_type = 'OrderProcessor.OrderTimeOut' THEN 1
					ELSE 0 END), 0)
				FROM orders o LEFT JOIN outbox x ON x.order_id = o.id AND x.order_id <> '' AND x.detail_type IN ` + sqlEnds + `
				GROUP BY o.id, o.state
				HAVING COUNT(x.seq) <> CASE WHEN o.state IN ` + sqlTerminal + ` THEN 1 ELSE 0 END
				    OR COALESCE(SUM(CASE
					WHEN o.state = 'completed' AND x.detail_type = 'OrderManager.OrderCompleted' THEN 1
					WHEN o.state = 'cancelled' AND x.detail_type = 'OrderManager.OrderCancelled' THEN 1
					WHEN o.state = 'timed_out' AND x.detail_type = 'OrderProcessor.OrderTimeOut' THEN 1
					ELSE 0 END), 0) <> CASE WHEN o.state IN ` + sqlTerminal + ` THEN 1 ELSE 0 END`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var id, state string
				var n, matching int64
				err := r.Scan(&id, &state, &n, &matching)
				return Violation{Subject: id, Detail: fmt.Sprintf("order is %s with %d terminal events (%d matching its state)", state, n, matching)}, err
			},
		},
		{
			name: "outbox pending",
			query: `SELECT n, oldest FROM (SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox
				WHERE published_at IS NULL) pending WHERE n > 0`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var n int64
				var oldest sql.NullInt64
				err := r.Scan(&n, &oldest)
				return Violation{Subject: "outbox", Detail: fmt.Sprintf("%d events not relayed, the oldest from %s", n,
					fromMS(oldest.Int64).Format(time.RFC3339Nano))}, err
			},
		},
		{
			name: "capacity counter",
			query: `SELECT b.id, b.active, (SELECT COUNT(*) FROM orders o WHERE o.event_id = b.id AND o.state IN ` + sqlActive + `) AS n
				FROM bars b WHERE b.active <> (SELECT COUNT(*) FROM orders o WHERE o.event_id = b.id AND o.state IN ` + sqlActive + `)`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var bar string
				var active, n int64
				err := r.Scan(&bar, &active, &n)
				return Violation{Subject: "bar " + bar, Detail: fmt.Sprintf("capacity counter %d but %d active orders", active, n)}, err
			},
		},
		{
			name: "customer day count",
			query: `SELECT cd.event_id, cd.user_id, cd.day, cd.n, (SELECT COUNT(*) FROM orders o
					WHERE o.event_id = cd.event_id AND o.user_id = cd.user_id AND o.day = cd.day
					AND NOT o.exempt AND o.state NOT IN ('cancelled', 'timed_out')) AS counted
				FROM customer_days cd WHERE cd.n <> (SELECT COUNT(*) FROM orders o
					WHERE o.event_id = cd.event_id AND o.user_id = cd.user_id AND o.day = cd.day
					AND NOT o.exempt AND o.state NOT IN ('cancelled', 'timed_out'))`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var bar, user, day string
				var n, counted int64
				err := r.Scan(&bar, &user, &day, &n, &counted)
				return Violation{Subject: fmt.Sprintf("customer %s at %s on %s", user, bar, day),
					Detail: fmt.Sprintf("day count %d but %d counted orders", n, counted)}, err
			},
		},
		{
			name: "customer day count",
			query: `SELECT o.event_id, o.user_id, o.day, COUNT(*) FROM orders o
				WHERE NOT o.exempt AND o.state NOT IN ('cancelled', 'timed_out') AND NOT EXISTS (
					SELECT 1 FROM customer_days cd WHERE cd.event_id = o.event_id AND cd.user_id = o.user_id AND cd.day = o.day)
				GROUP BY o.event_id, o.user_id, o.day`,
			args: none,
			row: func(r *sql.Rows) (Violation, error) {
				var bar, user, day string
				var n int64
				err := r.Scan(&bar, &user, &day, &n)
				return Violation{Subject: fmt.Sprintf("customer %s at %s on %s", user, bar, day),
					Detail: fmt.Sprintf("%d counted orders but no day count", n)}, err
			},
		},
	}
}

// CheckInvariants reads the whole database in one read-only transaction and
// returns every broken invariant (see invariantChecks). An order that is
// still active is fine unless its deadline passed more than grace before
// now: the sweeper should have ended it by then. Plain SQL, the same on
// both engines; it writes nothing, so it may run beside a live server.
func (db *DB) CheckInvariants(ctx context.Context, now time.Time, grace time.Duration) (_ []Violation, err error) {
	defer wrap(&err, "store.CheckInvariants")
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.engine.snapshot})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []Violation
	for _, c := range invariantChecks() {
		err := eachRow(ctx, tx, c.query, func(rows *sql.Rows) error {
			v, err := c.row(rows)
			v.Check = c.name
			out = append(out, v)
			return err
		}, c.args(now, grace)...)
		if err != nil {
			return nil, fmt.Errorf("invariant %q: %w", c.name, err)
		}
	}
	return out, nil
}

// OrderStates counts the database's orders by state.
func (db *DB) OrderStates(ctx context.Context) (_ map[presso.State]int, err error) {
	defer wrap(&err, "store.OrderStates")
	out := map[presso.State]int{}
	err = eachRow(ctx, db.read, `SELECT state, COUNT(*) FROM orders GROUP BY state`, func(rows *sql.Rows) error {
		var s presso.State
		var n int
		err := rows.Scan(&s, &n)
		out[s] = n
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
