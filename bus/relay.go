package bus

import (
	"context"
	"log/slog"
	"time"

	"presso/store"
)

// Relay moves committed events from the outbox to the stream. It wakes when
// notified of a commit and also polls, so events written by another replica
// or left over from a crash are published too.
type Relay struct {
	db   *store.DB
	bus  *Bus
	now  func() time.Time
	log  *slog.Logger
	kick chan struct{}
}

// NewRelay returns a relay; run it with Run.
func NewRelay(db *store.DB, b *Bus, now func() time.Time, log *slog.Logger) *Relay {
	return &Relay{db: db, bus: b, now: now, log: log, kick: make(chan struct{}, 1)}
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
		n, err := r.db.RelayBatch(ctx, 256, r.now, r.publish(ctx))
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

// publish sends a batch in order and reports the events acknowledged from
// its start, so a failure never marks an event whose predecessor is still
// pending.
func (r *Relay) publish(ctx context.Context) func([]store.Outboxed) ([]int64, error) {
	return func(batch []store.Outboxed) ([]int64, error) {
		out := make([]Outgoing, len(batch))
		for i, e := range batch {
			out[i] = Outgoing{Subject: "presso." + e.EventID + "." + e.DetailType, ID: e.ID, Data: e.Payload}
		}
		n, err := r.bus.PublishBatch(ctx, out)
		done := make([]int64, n)
		for i := range n {
			done[i] = batch[i].Seq
		}
		return done, err
	}
}
