package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"presso"
)

// Outboxed is one event waiting in, or relayed from, the outbox.
type Outboxed struct {
	Seq        int64
	ID         string
	EventID    string
	OrderID    string
	DetailType string
	Payload    []byte
	CreatedAt  time.Time
}

// AppendOutbox writes an event in the caller's transaction; the relay
// publishes it after commit.
func (c *Tx) AppendOutbox(ctx context.Context, env presso.Envelope, orderID string) (err error) {
	defer wrap(&err, "store.AppendOutbox")
	payload, err := json.Marshal(env)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO outbox (
			id,
			event_id,
			order_id,
			detail_type,
			payload,
			created_at
		) VALUES ($1, $2, $3, $4, $5, $6)`,
		env.ID, env.EventID, orderID, env.DetailType, string(payload), ms(env.Time))
	return err
}

// RelayNeedsLock reports how a relay must read the outbox. True
// (PostgreSQL): several replicas relay, so each batch is read, published
// and marked inside one transaction that holds LockRelay, and the stream
// keeps the outbox order. False (SQLite): one process relays, so it reads
// with Unpublished outside any transaction and marks what was published
// in a short one afterwards, keeping the single writer free while it
// publishes.
func (db *DB) RelayNeedsLock() bool { return db.engine.relayLock }

// LockRelay takes the relay lock for this transaction; false means another
// replica is relaying right now.
func (c *Tx) LockRelay(ctx context.Context) (_ bool, err error) {
	defer wrap(&err, "store.LockRelay")
	var id int
	err = c.q.QueryRowContext(ctx, c.e.lockRelay).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

const outboxColumns = `seq, id, event_id, order_id, detail_type, payload, created_at`

// Unpublished returns up to limit events not yet relayed, oldest first.
func (c conn) Unpublished(ctx context.Context, limit int) (_ []Outboxed, err error) {
	defer wrap(&err, "store.Unpublished")
	return collect(ctx, c.q, nil, `SELECT `+outboxColumns+` FROM outbox
		WHERE published_at IS NULL ORDER BY seq LIMIT $1`, scanOutboxed, limit)
}

// OrderEvents returns the events an order emitted, in order.
func (c conn) OrderEvents(ctx context.Context, orderID string) (_ []Outboxed, err error) {
	defer wrap(&err, "store.OrderEvents")
	return collect(ctx, c.q, nil, orderEventsSQL, scanOutboxed, orderID)
}

// orderEventsSQL repeats the condition of the partial index outbox_order
// (an order_id that is not empty): SQLite uses a partial index only for a
// query that implies its condition, and order_id = $1 alone does not ($1
// could be empty), so without it every history read scanned the whole
// outbox.
const orderEventsSQL = `SELECT ` + outboxColumns + ` FROM outbox
	WHERE order_id = $1 AND order_id <> '' ORDER BY seq`

func scanOutboxed(row scanner) (o Outboxed, err error) {
	var payload string
	var created int64
	err = row.Scan(&o.Seq, &o.ID, &o.EventID, &o.OrderID, &o.DetailType, &payload, &created)
	o.Payload, o.CreatedAt = []byte(payload), fromMS(created)
	return o, err
}

// MarkPublished records that the bus acknowledged the events with seqs.
func (c *Tx) MarkPublished(ctx context.Context, seqs []int64, now time.Time) (err error) {
	defer wrap(&err, "store.MarkPublished")
	if len(seqs) == 0 {
		return nil
	}
	// The list is padded to a power of two with its last seq, so a few
	// statement texts serve every batch and each is prepared once.
	n := 1
	for n < len(seqs) {
		n *= 2
	}
	args := []any{ms(now)}
	ph := make([]string, n)
	for i := range n {
		args = append(args, seqs[min(i, len(seqs)-1)])
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	_, err = c.q.ExecContext(ctx, `UPDATE outbox SET published_at = $1 WHERE seq IN (`+strings.Join(ph, ", ")+`)`, args...)
	return err
}

// PendingOutbox counts events not yet relayed, for tests.
func (c conn) PendingOutbox(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "store.PendingOutbox")
	var n int
	err = c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`).Scan(&n)
	return n, err
}
