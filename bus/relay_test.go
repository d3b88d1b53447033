package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
	"presso/store/storetest"
)

// TestRelayBatch runs the relay's batches against each engine with a fake
// stream, so it can fail part way.
func TestRelayBatch(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Order", testRelayOrder},
		{"Concurrent", testRelayConcurrent},
	}
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, eng.Open(t)) })
		}
	})
}

var t0 = time.UnixMilli(1_767_225_600_123).UTC()

// fakeStream records what the relay publishes; ack says how many of the
// next batch it acknowledges before failing with err (all, when err is nil).
// It numbers what it acknowledges from 1, as a stream would.
type fakeStream struct {
	batches [][]Outgoing
	ack     int
	err     error
	seq     uint64
	// hold, when set, keeps a publish waiting until it is closed; entered
	// is closed once one is waiting.
	hold, entered chan struct{}
}

func (f *fakeStream) publish(ctx context.Context, batch []Outgoing) (int, uint64, error) {
	f.batches = append(f.batches, batch)
	if f.hold != nil {
		close(f.entered)
		<-f.hold
	}
	n := len(batch)
	if f.err != nil {
		n = min(f.ack, len(batch))
	}
	if n == 0 {
		return 0, 0, f.err
	}
	f.seq += uint64(n)
	return n, f.seq, f.err
}

func (f *fakeStream) ids() string {
	var s []string
	for _, b := range f.batches {
		var ids []string
		for _, o := range b {
			ids = append(ids, o.ID)
		}
		s = append(s, strings.Join(ids, ","))
	}
	return strings.Join(s, " | ")
}

func testRelay(db *store.DB, f *fakeStream) *Relay {
	return &Relay{db: db, publish: f.publish, now: func() time.Time { return t0 },
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), kick: make(chan struct{}, 1)}
}

// outbox writes n events ev<first>... for bar e1, order o1.
func outbox(t *testing.T, db *store.DB, first, n int) []presso.Envelope {
	t.Helper()
	var envs []presso.Envelope
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		for i := first; i < first+n; i++ {
			env := presso.Envelope{ID: fmt.Sprintf("ev%02d", i), Source: "OrderManager", DetailType: presso.OrderManagerMakeOrder,
				Time: t0.Add(time.Duration(i) * time.Second), EventID: "e1", Detail: map[string]any{"orderId": "o1", "n": float64(i)}}
			envs = append(envs, env)
			if err := tx.AppendOutbox(t.Context(), env, "o1"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("AppendOutbox() = %v", err)
	}
	return envs
}

func left(t *testing.T, db *store.DB) string {
	t.Helper()
	evs, err := db.Unpublished(t.Context(), 100)
	if err != nil {
		t.Fatalf("Unpublished() = %v", err)
	}
	n, err := db.PendingOutbox(t.Context())
	if err != nil || n != len(evs) {
		t.Fatalf("PendingOutbox() = %d, %v; want %d, nil", n, err, len(evs))
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ",")
}

// testRelayOrder: batches go out oldest first, with the subject, id and
// payload of each event, and only the acknowledged start of a batch is
// marked, so nothing is marked before its predecessor.
func testRelayOrder(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("bus down")
	f := &fakeStream{}
	r := testRelay(db, f)
	if n, err := r.batch(ctx, 10); n != 0 || err != nil || len(f.batches) != 0 {
		t.Fatalf("batch() on an empty outbox = %d, %v, published %d batches; want 0, nil, 0", n, err, len(f.batches))
	}
	envs := outbox(t, db, 0, 6)

	steps := []struct {
		name      string
		limit     int
		ack       int
		err       error
		wantBatch string
		wantN     int
		wantLeft  string
	}{
		// A publish that fails part way: only the acknowledged start is
		// marked, and its error comes back.
		{"PartialFailure", 3, 2, boom, "ev00,ev01,ev02", 2, "ev02,ev03,ev04,ev05"},
		// Nothing acknowledged: nothing marked.
		{"TotalFailure", 2, 0, boom, "ev02,ev03", 0, "ev02,ev03,ev04,ev05"},
		// The next batch continues where the last one stopped.
		{"Continue", 2, 0, nil, "ev02,ev03", 2, "ev04,ev05"},
		// The second event failed: the first is marked, the second not.
		{"FirstOnly", 10, 1, boom, "ev04,ev05", 1, "ev05"},
		{"Rest", 10, 0, nil, "ev05", 1, ""},
	}
	for _, s := range steps {
		f.batches, f.ack, f.err = nil, s.ack, s.err
		n, err := r.batch(ctx, s.limit)
		if n != s.wantN || !errors.Is(err, s.err) || (s.err == nil && err != nil) {
			t.Fatalf("%s: batch() = %d, %v; want %d, %v", s.name, n, err, s.wantN, s.err)
		}
		if got := f.ids(); got != s.wantBatch {
			t.Fatalf("%s: published %s, want one batch %s", s.name, got, s.wantBatch)
		}
		if got := left(t, db); got != s.wantLeft {
			t.Fatalf("%s: unpublished after batch() = %s, want %s", s.name, got, s.wantLeft)
		}
		for _, o := range f.batches[0] {
			var i int
			fmt.Sscanf(o.ID, "ev%d", &i)
			payload, _ := json.Marshal(envs[i])
			if o.Subject != "presso.e1.OrderManager.MakeOrder" || o.ID != envs[i].ID || string(o.Data) != string(payload) {
				t.Fatalf("%s: published %s %s %s, want presso.e1.OrderManager.MakeOrder %s %s", s.name, o.Subject, o.ID, o.Data, envs[i].ID, payload)
			}
		}
	}
	f.batches, f.err = nil, nil
	if n, err := r.batch(ctx, 10); n != 0 || err != nil || len(f.batches) != 0 {
		t.Fatalf("batch() on a drained outbox = %d, %v, published %d batches; want 0, nil, 0", n, err, len(f.batches))
	}

	outbox(t, db, 6, 5)
	f.batches = nil
	if err := r.Flush(ctx); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	if got, want := f.ids(), "ev06,ev07,ev08,ev09,ev10"; got != want || left(t, db) != "" {
		t.Fatalf("Flush() published %s, left %q; want %s, nothing", got, left(t, db), want)
	}
	// What the stream acknowledged last is remembered, for CheckEpoch.
	if got, err := db.Setting(ctx, settingSeq); got != "11" || err != nil {
		t.Fatalf("Setting(%s) after 11 acknowledged events = %q, %v; want 11", settingSeq, got, err)
	}
}

// testRelayConcurrent: while a relay publishes, other writes go on (the
// SQLite writer is not held); where replicas share the database, a second
// relay publishes nothing until the first is done.
func testRelayConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	outbox(t, db, 0, 3)
	first := &fakeStream{hold: make(chan struct{}), entered: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		n, err := testRelay(db, first).batch(ctx, 10)
		if err == nil && n != 3 {
			err = fmt.Errorf("first relay batch() = %d, want 3", n)
		}
		done <- err
	}()
	<-first.entered

	wrote := make(chan error, 1)
	go func() {
		wrote <- db.Tx(ctx, func(tx *store.Tx) error { return tx.CreateBar(ctx, &presso.Bar{ID: "e1", Name: "E1"}, t0) })
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("CreateBar() while the relay publishes = %v", err)
		}
	case <-time.After(5 * time.Second):
		close(first.hold)
		t.Fatal("CreateBar() while the relay publishes is still waiting after 5 s; want it to go through")
	}

	if db.RelayNeedsLock() {
		second := &fakeStream{}
		if n, err := testRelay(db, second).batch(ctx, 10); n != 0 || err != nil || len(second.batches) != 0 {
			t.Errorf("second relay's batch() while the first holds the lock = %d, %v, published %s; want 0, nil, nothing",
				n, err, second.ids())
		}
	}
	close(first.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := first.ids(); got != "ev00,ev01,ev02" {
		t.Fatalf("first relay published %s, want ev00,ev01,ev02", got)
	}
	if got := left(t, db); got != "" {
		t.Fatalf("unpublished after the first relay = %s, want none", got)
	}
}
