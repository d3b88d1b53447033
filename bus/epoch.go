package bus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"presso/store"
)

// A stream's sequences name the events clients have seen (SSE ids), so a
// stream that is lost (its store damaged or deleted) and made again, or
// that comes back with fewer messages than were relayed, would hand out
// the same ids for other events: a phone resuming after id 523 would skip
// whatever the new stream numbered up to 523. The database remembers the
// stream (its creation time and the last sequence the relay was
// acknowledged), and a stream that does not match starts a new epoch. Ids
// carry the epoch, and a resume from another epoch gets a snapshot.

// Where the database keeps what it knows of the stream.
const (
	settingEpoch   = "stream.epoch"
	settingCreated = "stream.created"
	settingSeq     = "stream.seq" // written by the relay with each batch it marks
)

// streamMemory is what the database remembers of the stream.
type streamMemory struct {
	epoch   uint64
	created string // RFC 3339 with nanoseconds, UTC
	seq     uint64
}

func remembered(ctx context.Context, db *store.DB) (m streamMemory, err error) {
	var raw [3]string
	for i, name := range []string{settingEpoch, settingCreated, settingSeq} {
		if raw[i], err = db.Setting(ctx, name); err != nil {
			return m, err
		}
	}
	m.created = raw[1]
	m.epoch, _ = strconv.ParseUint(raw[0], 10, 64)
	m.seq, _ = strconv.ParseUint(raw[2], 10, 64)
	return m, nil
}

// CheckEpoch compares the stream with what the database remembers of it
// and returns the epoch its sequences belong to: the remembered one, or a
// new one (reported at Error) when the stream was made again or is behind
// what the relay published. Run it once at start-up, before the relay.
func (b *Bus) CheckEpoch(ctx context.Context, db *store.DB) (uint64, error) {
	// The database first: a relay of another replica that publishes in
	// between only moves the stream further ahead of it.
	was, err := remembered(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("stream epoch: %w", err)
	}
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream epoch: %w", err)
	}
	created := info.Created.UTC().Format(time.RFC3339Nano)
	now := streamMemory{epoch: was.epoch, created: created, seq: info.State.LastSeq}
	lost := was.epoch != 0 && (was.created != created || info.State.LastSeq < was.seq)
	switch {
	case was.epoch == 0:
		now.epoch = 1
	case lost:
		now.epoch = was.epoch + 1
	}
	if now.epoch != was.epoch {
		if now.epoch, err = b.startEpoch(ctx, db, was.epoch, now); err != nil {
			return 0, fmt.Errorf("stream epoch: %w", err)
		}
	}
	if lost {
		b.log.Error("the event stream is not the one the database remembers: its store was lost, damaged or replaced; starting a new epoch, so clients resuming from before get a snapshot, and events relayed before are not on the stream",
			"stream", b.name, "epoch", now.epoch, "created", created, "was_created", was.created,
			"last_seq", info.State.LastSeq, "relayed_up_to", was.seq)
	}
	b.epoch.Store(now.epoch)
	b.created.Store(info.Created.UnixNano())
	return now.epoch, nil
}

// startEpoch records now unless another replica starting at the same time
// moved the epoch on from old first, and returns the epoch in force.
func (b *Bus) startEpoch(ctx context.Context, db *store.DB, old uint64, now streamMemory) (epoch uint64, err error) {
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.Setting(ctx, settingEpoch)
		if err != nil {
			return err
		}
		if n, _ := strconv.ParseUint(cur, 10, 64); n != old {
			epoch = n
			return nil
		}
		epoch = now.epoch
		for name, v := range map[string]string{settingEpoch: strconv.FormatUint(now.epoch, 10),
			settingCreated: now.created, settingSeq: strconv.FormatUint(now.seq, 10)} {
			if err := tx.SetSetting(ctx, name, v); err != nil {
				return err
			}
		}
		return nil
	})
	return epoch, err
}

// Epoch is the epoch CheckEpoch found, 0 before it ran.
func (b *Bus) Epoch() uint64 { return b.epoch.Load() }
