package bus

import (
	"context"
	"log/slog"
	"strconv"
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
	publish func(context.Context, []Outgoing) (int, uint64, error)
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
// A batch the stream refuses or never acknowledges (a full disk, a cluster
// without a leader) is tried again after a pause that grows to 2 s, so the
// relay carries on by itself once the stream takes events again.
func (r *Relay) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	var pause time.Duration
	var failing time.Time // when the current run of failures began
	for {
		err := r.Flush(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			pause = min(max(2*pause, 250*time.Millisecond), 2*time.Second)
			if failing.IsZero() {
				failing = r.now()
				r.log.Warn("relay cannot publish; trying again until the stream takes events", "err", err)
			}
		case !failing.IsZero():
			r.log.Info("relay publishing again", "after", r.now().Sub(failing).Round(time.Millisecond))
			failing, pause = time.Time{}, 0
		}
		// While pausing, commits and polls do not wake the relay.
		kick, tick := r.kick, t.C
		var retry <-chan time.Time
		if pause > 0 {
			kick, tick, retry = nil, nil, time.After(pause)
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r.Flush(fctx)
			cancel()
			return
		case <-kick:
			r.linger(ctx)
		case <-tick:
		case <-retry:
		}
	}
}

// relayLinger is how long the relay waits after a commit wakes it, so the
// commits of the next moment go in the same batch. Under load a commit
// comes every millisecond or two, and each batch costs a read, a publish
// and a write whatever its size; a millisecond is small beside the time
// to a phone's screen.
const relayLinger = time.Millisecond

func (r *Relay) linger(ctx context.Context) {
	t := time.NewTimer(relayLinger)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Flush publishes everything pending now. A batch short of the limit
// took everything there was: asking again would only find nothing.
func (r *Relay) Flush(ctx context.Context) error {
	const limit = 256
	for {
		n, err := r.batch(ctx, limit)
		if err != nil || n < limit {
			return err
		}
	}
}

// batch publishes up to limit of the oldest unpublished events and marks
// the ones the stream acknowledged. It returns how many it marked, and the
// publishing error, if any, after committing those.
func (r *Relay) batch(ctx context.Context, limit int) (int, error) {
	// Recording what was published carries on with events already
	// committed: it goes before new work at SQLite's writer.
	ctx = store.WithPriority(ctx, store.PriorityInFlight)
	// Most wake-ups after the first batch find nothing: the read pool says
	// so without a write transaction. (A locked batch reads its events
	// again under the lock, so it only asks whether there is one.)
	locked, n := r.db.RelayNeedsLock(), limit
	if locked {
		n = 1
	}
	events, err := r.db.Unpublished(ctx, n)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	if locked {
		return r.lockedBatch(ctx, limit)
	}
	done, last, pubErr := r.send(ctx, events)
	if len(done) > 0 {
		if err := r.db.Tx(ctx, func(tx *store.Tx) error { return r.mark(ctx, tx, done, last) }); err != nil {
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
		var last uint64
		done, last, pubErr = r.send(ctx, events)
		if len(done) == 0 {
			return pubErr
		}
		return r.mark(ctx, tx, done, last)
	})
	if err != nil {
		return 0, err
	}
	return len(done), pubErr
}

// mark records that the events with the outbox seqs done are on the
// stream, and how far the stream went (last; 0 when every one was a
// duplicate), which CheckEpoch compares the stream with at the next start.
func (r *Relay) mark(ctx context.Context, tx *store.Tx, done []int64, last uint64) error {
	if err := tx.MarkPublished(ctx, done, r.now()); err != nil {
		return err
	}
	if last == 0 {
		return nil
	}
	return tx.SetSetting(ctx, settingSeq, strconv.FormatUint(last, 10))
}

// send publishes events in order and returns the seqs of those the stream
// acknowledged from the start, so a failure never marks an event whose
// predecessor is still pending, and the stream sequence of the last.
func (r *Relay) send(ctx context.Context, events []store.Outboxed) ([]int64, uint64, error) {
	out := make([]Outgoing, len(events))
	for i, e := range events {
		out[i] = Outgoing{Subject: presso.Subject(e.EventID, e.DetailType), ID: e.ID, Data: e.Payload}
	}
	n, last, err := r.publish(ctx, out)
	done := make([]int64, n)
	for i := range n {
		done[i] = events[i].Seq
	}
	return done, last, err
}
