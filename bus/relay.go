package bus

import (
	"context"
	"log/slog"
	"time"

	"presso"
	"presso/store"
)

// Relay moves committed events from the outbox to the stream. It wakes when
// notified of a commit and also polls, so events written by another replica
// or left over from a crash are published too.
type Relay struct {
	db *store.DB
	// publish is Bus.PublishBatch; tests put a fake here.
	publish func(context.Context, []Outgoing) (int, error)
	now     func() time.Time
	log     *slog.Logger
	kick    chan struct{}
}

// NewRelay returns a relay; run it with Run.
func NewRelay(db *store.DB, b *Bus, now func() time.Time, log *slog.Logger) *Relay {
	return &Relay{db: db, publish: b.PublishBatch, now: now, log: log, kick: make(chan struct{}, 1)}
}

// Notify wakes the relay; it never blocks.
func (r *Relay) Notify() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, then flushes what is left with a short grace.
func (r *Relay) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		r.drain(ctx)
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r.Flush(fctx)
			cancel()
			return
		case <-r.kick:
		case <-t.C:
		}
	}
}

// Flush publishes everything pending now.
func (r *Relay) Flush(ctx context.Context) error {
	for {
		n, err := r.batch(ctx, 256)
		if err != nil || n == 0 {
			return err
		}
	}
}

func (r *Relay) drain(ctx context.Context) {
	if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("relay outbox", "err", err)
	}
}

// batch publishes up to limit of the oldest unpublished events and marks
// the ones the stream acknowledged. It returns how many it marked, and the
// publishing error, if any, after committing those.
func (r *Relay) batch(ctx context.Context, limit int) (int, error) {
	if r.db.RelayNeedsLock() {
		return r.lockedBatch(ctx, limit)
	}
	events, err := r.db.Unpublished(ctx, limit)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	done, pubErr := r.send(ctx, events)
	if len(done) > 0 {
		if err := r.db.Tx(ctx, func(tx *store.Tx) error { return tx.MarkPublished(ctx, done, r.now()) }); err != nil {
			return 0, err
		}
	}
	return len(done), pubErr
}

// lockedBatch is batch for replicas sharing one database: reading,
// publishing and marking happen under the relay lock, so one replica at a
// time publishes and the stream keeps the outbox order. A replica that
// finds the lock taken publishes nothing.
func (r *Relay) lockedBatch(ctx context.Context, limit int) (int, error) {
	var done []int64
	var pubErr error
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		done, pubErr = nil, nil
		ok, err := tx.LockRelay(ctx)
		if err != nil || !ok {
			return err
		}
		events, err := tx.Unpublished(ctx, limit)
		if err != nil || len(events) == 0 {
			return err
		}
		done, pubErr = r.send(ctx, events)
		if len(done) == 0 {
			return pubErr
		}
		return tx.MarkPublished(ctx, done, r.now())
	})
	if err != nil {
		return 0, err
	}
	return len(done), pubErr
}

// send publishes events in order and returns the seqs of those the stream
// acknowledged from the start, so a failure never marks an event whose
// predecessor is still pending.
func (r *Relay) send(ctx context.Context, events []store.Outboxed) ([]int64, error) {
	out := make([]Outgoing, len(events))
	for i, e := range events {
		out[i] = Outgoing{Subject: presso.Subject(e.EventID, e.DetailType), ID: e.ID, Data: e.Payload}
	}
	n, err := r.publish(ctx, out)
	done := make([]int64, n)
	for i := range n {
		done[i] = events[i].Seq
	}
	return done, err
}
