package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"presso"
)

// BarExport is everything that belongs to one bar, for moving it between
// deployments (a laptop's SQLite to a cluster's PostgreSQL, say): its
// configuration and menu, its counters, its orders with their history and
// events, and the customers those orders belong to. QR codes and sessions
// are short-lived and stay behind.
type BarExport struct {
	Format     int             `json:"format"` // 1
	ExportedAt time.Time       `json:"exportedAt"`
	Bar        *presso.Bar     `json:"bar"`
	Counters   []ExportCounter `json:"counters"`
	Customers  []Customer      `json:"customers"`
	Orders     []ExportOrder   `json:"orders"`
	History    []ExportStep    `json:"history"`
	Events     []ExportEvent   `json:"events"`
}

// ExportCounter is one order-number counter.
type ExportCounter struct {
	Day   string `json:"day"`
	Value int64  `json:"value"`
}

// ExportOrder is an order with the bookkeeping the API never shows.
type ExportOrder struct {
	presso.Order
	Day       string `json:"day"`
	NumberDay string `json:"numberDay"`
	Exempt    bool   `json:"exempt"`
	Version   int64  `json:"version"`
}

// ExportStep is one history row.
type ExportStep struct {
	OrderID string `json:"orderId"`
	Seq     int64  `json:"seq"`
	Step
}

// ExportEvent is one outbox row.
type ExportEvent struct {
	ID         string          `json:"id"`
	OrderID    string          `json:"orderId"`
	DetailType string          `json:"detailType"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"createdAt"`
}

// ExportBar reads one bar and everything that belongs to it.
func (db *DB) ExportBar(ctx context.Context, id string, now time.Time) (_ *BarExport, err error) {
	defer wrap(&err, "store.ExportBar")
	bar, err := db.GetBar(ctx, id)
	if err != nil {
		return nil, err
	}
	x := &BarExport{Format: 1, ExportedAt: now.UTC(), Bar: bar, Counters: []ExportCounter{}, Customers: []Customer{},
		Orders: []ExportOrder{}, History: []ExportStep{}, Events: []ExportEvent{}}
	parts := []struct {
		query string
		row   func(*sql.Rows) error
	}{
		{`SELECT day, value FROM counters WHERE event_id = $1 ORDER BY day`, func(rows *sql.Rows) error {
			var c ExportCounter
			err := rows.Scan(&c.Day, &c.Value)
			x.Counters = append(x.Counters, c)
			return err
		}},
		{`SELECT ` + orderColumns + `, number_day FROM orders WHERE event_id = $1 ORDER BY created_at, id`, func(rows *sql.Rows) error {
			var nd string
			o, err := scanOrder(scanAlso{rows, &nd})
			if err == nil {
				x.Orders = append(x.Orders, ExportOrder{Order: *o, Day: o.Day, NumberDay: nd, Exempt: o.Exempt, Version: o.Version})
			}
			return err
		}},
		{`SELECT DISTINCT c.id, COALESCE(c.email, ''), c.name FROM customers c JOIN orders o ON o.user_id = c.id
			WHERE o.event_id = $1 ORDER BY c.id`, func(rows *sql.Rows) error {
			var c Customer
			err := rows.Scan(&c.ID, &c.Email, &c.Name)
			x.Customers = append(x.Customers, c)
			return err
		}},
		{`SELECT h.order_id, h.seq, h.at, h.from_state, h.to_state, h.trigger, h.actor
			FROM order_history h JOIN orders o ON o.id = h.order_id WHERE o.event_id = $1 ORDER BY h.order_id, h.seq`, func(rows *sql.Rows) error {
			var s ExportStep
			var at int64
			err := rows.Scan(&s.OrderID, &s.Seq, &at, &s.From, &s.To, &s.Trigger, &s.Actor)
			s.At = fromMS(at)
			x.History = append(x.History, s)
			return err
		}},
		{`SELECT id, order_id, detail_type, payload, created_at FROM outbox WHERE event_id = $1 ORDER BY seq`, func(rows *sql.Rows) error {
			var e ExportEvent
			var payload string
			var created int64
			err := rows.Scan(&e.ID, &e.OrderID, &e.DetailType, &payload, &created)
			e.Payload, e.CreatedAt = json.RawMessage(payload), fromMS(created)
			x.Events = append(x.Events, e)
			return err
		}},
	}
	for _, p := range parts {
		if err := eachRow(ctx, db.read, p.query, p.row, id); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// scanAlso scans the order columns plus extra trailing columns.
type scanAlso struct {
	rows  *sql.Rows
	extra *string
}

func (s scanAlso) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra)...) }

// ImportBar writes an export into this database in one transaction. The
// bar must not exist here yet. Its events count as already published:
// they were on the old deployment's stream. Orders still in flight carry
// on here, deadlines included; the capacity and per-customer counts are
// rebuilt from the orders.
func (db *DB) ImportBar(ctx context.Context, x *BarExport, now time.Time) error {
	return db.ImportBarAnd(ctx, x, now, nil)
}

// ImportBarAnd is ImportBar that also runs and (if not nil) in the same
// transaction: the console's import writes its audit row there.
func (db *DB) ImportBarAnd(ctx context.Context, x *BarExport, now time.Time, and func(*Tx) error) (err error) {
	defer wrap(&err, "store.ImportBar")
	if x.Format != 1 || x.Bar == nil {
		return presso.Invalid("format", "not a presso bar export (format %d)", x.Format)
	}
	return db.Tx(ctx, func(tx *Tx) error {
		if err := tx.CreateBar(ctx, x.Bar, now); err != nil {
			return fmt.Errorf("bar %s: %w", x.Bar.ID, err)
		}
		for _, c := range x.Counters {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO counters (event_id, day, value) VALUES ($1, $2, $3)`, x.Bar.ID, c.Day, c.Value); err != nil {
				return err
			}
		}
		for _, c := range x.Customers {
			email := sql.NullString{String: c.Email, Valid: c.Email != ""}
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO customers (id, email, name, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, c.ID, email, c.Name, ms(now)); err != nil {
				return err
			}
		}
		active := 0
		for _, eo := range x.Orders {
			o := eo.Order
			o.Day, o.Exempt, o.Version = eo.Day, eo.Exempt, eo.Version
			if o.EventID != x.Bar.ID {
				return presso.Invalid("orders", "order %s belongs to %s, not %s", o.ID, o.EventID, x.Bar.ID)
			}
			if err := tx.InsertOrder(ctx, &o); err != nil {
				return err
			}
			if eo.NumberDay != "" {
				if _, err := tx.q.ExecContext(ctx, `UPDATE orders SET number_day = $2 WHERE id = $1`, o.ID, eo.NumberDay); err != nil {
					return err
				}
			}
			if !o.State.Terminal() {
				active++
			}
			if o.State != presso.StateCancelled && o.State != presso.StateTimedOut && !o.Exempt {
				if _, err := tx.q.ExecContext(ctx, `INSERT INTO customer_days (event_id, user_id, day, n) VALUES ($1, $2, $3, 1)
					ON CONFLICT (event_id, user_id, day) DO UPDATE SET n = customer_days.n + 1`, o.EventID, o.UserID, o.Day); err != nil {
					return err
				}
			}
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE bars SET active = $2 WHERE id = $1`, x.Bar.ID, active); err != nil {
			return err
		}
		for _, s := range x.History {
			if err := tx.AppendHistory(ctx, s.OrderID, s.Seq, s.Step); err != nil {
				return err
			}
		}
		for _, e := range x.Events {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO outbox (id, event_id, order_id, detail_type, payload, created_at, published_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.ID, x.Bar.ID, e.OrderID, e.DetailType, string(e.Payload), ms(e.CreatedAt), ms(now)); err != nil {
				return err
			}
		}
		if and != nil {
			return and(tx)
		}
		return nil
	})
}
