package bus_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"presso"
	"presso/bus"
	"presso/store"
)

// testKey signs the tests' events.
const testKey = "0123456789abcdef0123456789abcdef"

func open(t *testing.T) (*bus.Bus, *store.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := bus.Open(ctx, bus.Config{StoreDir: filepath.Join(dir, "nats"), Key: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	db, err := store.Open(ctx, filepath.Join(dir, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return b, db
}

// appendEvents writes n events for the bar to the outbox and returns their ids.
func appendEvents(t *testing.T, db *store.DB, bar string, n int) []string {
	t.Helper()
	var ids []string
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for range n {
			env := presso.NewEnvelope(presso.OrderManagerMakeOrder, bar, time.Now(), map[string]any{"userId": "u"})
			ids = append(ids, env.ID)
			if err := tx.AppendOutbox(context.Background(), env, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func streamIDs(t *testing.T, b *bus.Bus, subject string, after uint64) []string {
	t.Helper()
	msgs, ok, err := b.Replay(context.Background(), subject, after, 10000)
	if err != nil || !ok {
		t.Fatalf("Replay(%s, %d) = ok %v, %v", subject, after, ok, err)
	}
	var ids []string
	for _, m := range msgs {
		var env presso.Envelope
		json.Unmarshal(m.Data, &env)
		ids = append(ids, env.ID)
	}
	return ids
}

// TestRelay publishes the outbox in order, marks it, and a relay that
// publishes the same events again (as after a crash before marking) leaves
// each on the stream once.
func TestRelay(t *testing.T) {
	b, db := open(t)
	ctx := context.Background()
	r := bus.NewRelay(db, b, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	want := appendEvents(t, db, "demo", 300)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PendingOutbox(ctx); n != 0 {
		t.Fatalf("pending after flush = %d, want 0", n)
	}
	if got := streamIDs(t, b, "presso.>", 0); !slices.Equal(got, want) {
		t.Fatalf("stream holds %d events, not the outbox's %d in order", len(got), len(want))
	}

	// Publish the same batch again by hand: JetStream drops the copies.
	batch := make([]bus.Outgoing, 0, len(want))
	evs, err := db.Unpublished(ctx, 10)
	if err != nil || len(evs) != 0 {
		t.Fatalf("unpublished = %d, %v", len(evs), err)
	}
	for _, id := range want[:50] {
		batch = append(batch, bus.Outgoing{Subject: presso.Subject("demo", presso.OrderManagerMakeOrder), ID: id, Data: []byte(`{}`)})
	}
	if n, last, err := b.PublishBatch(ctx, batch); n != 50 || last != 0 || err != nil {
		t.Fatalf("PublishBatch of 50 copies = %d, last new seq %d, %v; want 50, 0 (all duplicates), nil", n, last, err)
	}
	if got := streamIDs(t, b, "presso.>", 0); len(got) != len(want) {
		t.Fatalf("after republishing, the stream holds %d events, want %d", len(got), len(want))
	}
}

func TestReplay(t *testing.T) {
	b, db := open(t)
	ctx := context.Background()
	r := bus.NewRelay(db, b, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	demo := appendEvents(t, db, "demo", 5)
	other := appendEvents(t, db, "other", 3)
	more := appendEvents(t, db, "demo", 2)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := streamIDs(t, b, "presso.demo.>", 0), append(slices.Clone(demo), more...); !slices.Equal(got, want) {
		t.Fatalf("demo from the start = %v, want %v", got, want)
	}
	if got := streamIDs(t, b, "presso.demo.>", 5); !slices.Equal(got, more) {
		t.Fatalf("demo after 5 = %v, want %v", got, more)
	}
	if got := streamIDs(t, b, "presso.other.>", 8); len(got) != 0 {
		t.Fatalf("other after its last = %v, want none", got)
	}
	if got := streamIDs(t, b, "presso.other.>", 0); !slices.Equal(got, other) {
		t.Fatalf("other = %v, want %v", got, other)
	}
	if got := streamIDs(t, b, "presso.>", 10); len(got) != 0 {
		t.Fatalf("after the last = %v, want none", got)
	}
	if _, ok, err := b.Replay(ctx, "presso.>", 11, 100); ok || err != nil {
		t.Fatalf("Replay after the end = ok %v, %v; want a snapshot instead", ok, err)
	}
	if _, ok, err := b.Replay(ctx, "presso.>", 0, 9); ok || err != nil {
		t.Fatalf("Replay of 10 with max 9 = ok %v, %v; want a snapshot instead", ok, err)
	}
}

// TestConsume hears every event after a sequence, in order.
func TestConsume(t *testing.T) {
	b, db := open(t)
	ctx := context.Background()
	r := bus.NewRelay(db, b, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	appendEvents(t, db, "demo", 3)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan uint64, 100)
	stop, err := b.Consume(ctx, 2, func(m bus.Message) { got <- m.Seq })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	appendEvents(t, db, "demo", 2)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for len(seqs) < 3 {
		select {
		case s := <-got:
			seqs = append(seqs, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("heard %v, want [3 4 5]", seqs)
		}
	}
	if !slices.Equal(seqs, []uint64{3, 4, 5}) {
		t.Fatalf("heard %v, want [3 4 5]", seqs)
	}
}
