package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"presso"
)

// orderColumns are the orders columns scanOrder reads, in its order;
// InsertOrder writes the same list.
const orderColumns = `
	id,
	event_id,
	user_id,
	user_name,
	state,
	cause,
	number,
	drink,
	barista_id,
	barista_name,
	day,
	exempt,
	created_at,
	submitted_at,
	made_at,
	finished_at,
	deadline_at,
	version,
	collected_at,
	called_at,
	walkup`

func scanOrder(row scanner) (*presso.Order, error) {
	var o presso.Order
	var drink sql.NullString
	var created int64
	var submitted, made, finished, deadline, collected, called sql.NullInt64
	if err := row.Scan(&o.ID, &o.EventID, &o.UserID, &o.UserName, &o.State, &o.Cause, &o.Number, &drink,
		&o.BaristaID, &o.BaristaName, &o.Day, &o.Exempt, &created, &submitted, &made, &finished, &deadline, &o.Version, &collected,
		&called, &o.Walkup); err != nil {
		return nil, err
	}
	if drink.Valid && drink.String != "" {
		o.Drink = new(presso.Drink)
		if err := json.Unmarshal([]byte(drink.String), o.Drink); err != nil {
			return nil, fmt.Errorf("order %s drink: %w", o.ID, err)
		}
	}
	o.CreatedAt = fromMS(created)
	o.SubmittedAt, o.MadeAt, o.FinishedAt, o.Deadline = fromNullMS(submitted), fromNullMS(made), fromNullMS(finished), fromNullMS(deadline)
	o.CollectedAt, o.CalledAt = fromNullMS(collected), fromNullMS(called)
	return &o, nil
}

func encodeDrink(d *presso.Drink) (sql.NullString, error) {
	if d == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(d)
	return sql.NullString{String: string(b), Valid: true}, err
}

// InsertOrder stores a new order.
func (c *Tx) InsertOrder(ctx context.Context, o *presso.Order) error {
	return c.InsertNumberedOrder(ctx, o, "")
}

// InsertNumberedOrder stores a new order that is numbered as it is made (a
// walk-up): numberDay is the counter day its number was drawn from, as for
// UpdateOrder, so its number is unique among that day's.
func (c *Tx) InsertNumberedOrder(ctx context.Context, o *presso.Order, numberDay string) (err error) {
	defer wrap(&err, "store.InsertOrder")
	drink, err := encodeDrink(o.Drink)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO orders (`+orderColumns+`,
			number_day
		) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		o.ID, o.EventID, o.UserID, o.UserName, o.State, o.Cause, o.Number, drink, o.BaristaID, o.BaristaName,
		o.Day, o.Exempt, ms(o.CreatedAt), msPtr(o.SubmittedAt), msPtr(o.MadeAt), msPtr(o.FinishedAt), msPtr(o.Deadline), o.Version,
		msPtr(o.CollectedAt), msPtr(o.CalledAt), o.Walkup, numberDay)
	if isUniqueViolation(err) {
		return &presso.Error{Kind: presso.KindConflict, Code: presso.CodeExists, Message: fmt.Sprintf("order %s already exists", o.ID), Err: err}
	}
	return err
}

// UpdateOrder writes after over before if the stored version is still
// before's, and reports whether it did. A false means another transition
// won the race. numberDay is the counter day of a number drawn by this
// transition; "" keeps the stored one, so a later transition cannot move
// a number to another day. Whether the order is a walk-up is set once, by
// InsertOrder.
//
// Only the columns that differ from before are written. SQLite rewrites
// each index that holds a column named in SET, changed or not, and five
// of orders' indexes hold one: every transition wrote all five.
func (c *Tx) UpdateOrder(ctx context.Context, before, after *presso.Order, numberDay string) (_ bool, err error) {
	defer wrap(&err, "store.UpdateOrder")
	drink, err := encodeDrink(after.Drink)
	if err != nil {
		return false, err
	}
	set := []string{"version = $3"}
	args := []any{after.ID, before.Version, after.Version}
	column := func(name string, changed bool, v any) {
		if changed {
			args = append(args, v)
			set = append(set, fmt.Sprintf("%s = $%d", name, len(args)))
		}
	}
	instant := func(name string, b, a *time.Time) { column(name, msPtr(b) != msPtr(a), msPtr(a)) }
	column("state", before.State != after.State, after.State)
	column("cause", before.Cause != after.Cause, after.Cause)
	column("number", before.Number != after.Number, after.Number)
	column("number_day", numberDay != "", numberDay)
	column("drink", before.Drink != after.Drink, drink)
	column("barista_id", before.BaristaID != after.BaristaID, after.BaristaID)
	column("barista_name", before.BaristaName != after.BaristaName, after.BaristaName)
	instant("submitted_at", before.SubmittedAt, after.SubmittedAt)
	instant("made_at", before.MadeAt, after.MadeAt)
	instant("finished_at", before.FinishedAt, after.FinishedAt)
	instant("deadline_at", before.Deadline, after.Deadline)
	instant("collected_at", before.CollectedAt, after.CollectedAt)
	instant("called_at", before.CalledAt, after.CalledAt)
	res, err := c.q.ExecContext(ctx, `UPDATE orders SET `+strings.Join(set, ", ")+` WHERE id = $1 AND version = $2`, args...)
	if isUniqueViolation(err) {
		return false, fmt.Errorf("order %s: duplicate number %d: %w", after.ID, after.Number, err)
	}
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GetOrder returns one order.
func (c conn) GetOrder(ctx context.Context, id string) (_ *presso.Order, err error) {
	defer wrap(&err, "store.GetOrder")
	o, err := scanOrder(c.q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	return o, notFound(err, "order")
}

// OrderHead returns the part of an order that says who may fire what on
// it: its id, bar, customer and state. The order workflow checks every
// trigger against it before taking a write transaction; reading the whole
// order (its drink to decode) takes twice as long (BenchmarkOrderRead: 15
// against 33 µs).
func (c conn) OrderHead(ctx context.Context, id string) (_ *presso.Order, err error) {
	defer wrap(&err, "store.OrderHead")
	o := &presso.Order{ID: id}
	err = c.q.QueryRowContext(ctx, `SELECT event_id, user_id, state FROM orders WHERE id = $1`, id).Scan(&o.EventID, &o.UserID, &o.State)
	if err != nil {
		return nil, notFound(err, "order")
	}
	return o, nil
}

// ListOrders returns a bar's orders in the given states. Active orders come
// in the order they were queued (numbers restart daily on some bars);
// finished ones only if they finished at or after since, newest first. No
// states means every state.
func (c conn) ListOrders(ctx context.Context, eventID string, states []presso.State, since time.Time) (_ []*presso.Order, err error) {
	defer wrap(&err, "store.ListOrders")
	if len(states) == 0 {
		states = []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking,
			presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut}
	}
	args := []any{eventID, ms(since)}
	var ph []string
	for _, s := range states {
		args = append(args, string(s))
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	return collect(ctx, c.q, []*presso.Order{}, `SELECT `+orderColumns+` FROM orders
		WHERE event_id = $1 AND state IN (`+strings.Join(ph, ", ")+`) AND (finished_at IS NULL OR finished_at >= $2)
		ORDER BY CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END, CASE WHEN finished_at IS NULL THEN submitted_at END,
			CASE WHEN finished_at IS NULL THEN number END, finished_at DESC, created_at, id`, scanOrder, args...)
}

// UserOrders returns a user's orders across bars, newest first.
func (c conn) UserOrders(ctx context.Context, userID string, limit int) (_ []*presso.Order, err error) {
	defer wrap(&err, "store.UserOrders")
	return collect(ctx, c.q, []*presso.Order{}, `SELECT `+orderColumns+` FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
		scanOrder, userID, limit)
}

// QueuePosition is how many numbered, unfinished orders of o's bar were
// queued at or before o: 1 means next. It goes by when each was queued, not
// by number, because a bar that numbers by day starts again at 1.
func (c conn) QueuePosition(ctx context.Context, o *presso.Order) (_ int, err error) {
	defer wrap(&err, "store.QueuePosition")
	if o.SubmittedAt == nil {
		return 0, nil
	}
	var n int
	err = c.q.QueryRowContext(ctx, queuePositionSQL, o.EventID, ms(*o.SubmittedAt), o.Number).Scan(&n)
	return n, err
}

// queuePositionSQL counts in the partial index orders_queue alone: its
// condition is repeated word for word, and the bound on submitted_at is a
// range SQLite can seek to.
const queuePositionSQL = `SELECT COUNT(*) FROM orders
	WHERE event_id = $1 AND state IN ('queued', 'making')
	AND submitted_at <= $2 AND (submitted_at < $2 OR number <= $3)`

// ClaimDue returns ids of orders whose deadline passed. On PostgreSQL the
// rows stay locked by this transaction, hidden from other sweepers.
func (c *Tx) ClaimDue(ctx context.Context, now time.Time, limit int) (_ []string, err error) {
	defer wrap(&err, "store.ClaimDue")
	return collect(ctx, c.q, nil, c.e.claimDue, func(row scanner) (id string, err error) {
		return id, row.Scan(&id)
	}, ms(now), limit)
}

// PostponeDeadline moves an order's pending deadline to at, so a timeout
// that keeps failing does not stay first in line.
func (c *Tx) PostponeDeadline(ctx context.Context, id string, at time.Time) (err error) {
	defer wrap(&err, "store.PostponeDeadline")
	_, err = c.q.ExecContext(ctx, `UPDATE orders SET deadline_at = $2 WHERE id = $1 AND deadline_at IS NOT NULL`, id, ms(at))
	return err
}

// NextDeadline is the earliest pending deadline, if any, for tests; the
// sweeper finds due orders with ClaimDue.
func (c conn) NextDeadline(ctx context.Context) (_ time.Time, _ bool, err error) {
	defer wrap(&err, "store.NextDeadline")
	var v sql.NullInt64
	err = c.q.QueryRowContext(ctx, `SELECT MIN(deadline_at) FROM orders WHERE deadline_at IS NOT NULL`).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return fromMS(v.Int64), true, nil
}

// Step is one transition in an order's history.
type Step struct {
	At      time.Time    `json:"at"`
	From    presso.State `json:"from"`
	To      presso.State `json:"to"`
	Trigger string       `json:"trigger"`
	Actor   string       `json:"actor"`
}

// AppendHistory records a transition; seq is the order's version after it.
func (c *Tx) AppendHistory(ctx context.Context, orderID string, seq int64, s Step) (err error) {
	defer wrap(&err, "store.AppendHistory")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO order_history (
			order_id,
			seq,
			at,
			from_state,
			to_state,
			trigger,
			actor
		) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		orderID, seq, ms(s.At), s.From, s.To, s.Trigger, s.Actor)
	return err
}

// History returns an order's transitions in order.
func (c conn) History(ctx context.Context, orderID string) (_ []Step, err error) {
	defer wrap(&err, "store.History")
	return collect(ctx, c.q, []Step{}, `SELECT at, from_state, to_state, trigger, actor FROM order_history WHERE order_id = $1 ORDER BY seq`,
		func(row scanner) (s Step, err error) {
			var at int64
			err = row.Scan(&at, &s.From, &s.To, &s.Trigger, &s.Actor)
			s.At = fromMS(at)
			return s, err
		}, orderID)
}
