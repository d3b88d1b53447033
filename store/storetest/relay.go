package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
)

func testRelayBatch(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := func() time.Time { return t0 }
	boom := errors.New("bus down")
	var seen [][]string
	publisher := func(doneIdx []int, err error) func([]store.Outboxed) ([]int64, error) {
		return func(batch []store.Outboxed) ([]int64, error) {
			var got []string
			for _, o := range batch {
				got = append(got, o.ID)
			}
			seen = append(seen, got)
			var done []int64
			for _, i := range doneIdx {
				done = append(done, batch[i].Seq)
			}
			return done, err
		}
	}

	n, err := db.RelayBatch(ctx, 10, now, publisher(nil, nil))
	if err != nil || n != 0 || len(seen) != 0 {
		t.Fatalf("RelayBatch() on an empty outbox = %d, %v, publish called %d times; want 0, nil, 0", n, err, len(seen))
	}
	var envs []presso.Envelope
	for i := range 6 {
		envs = append(envs, envelope(i, "e1"))
	}
	appendOutbox(t, db, envs, []string{"o1", "o1", "o1", "o1", "o1", "o1"})

	steps := []struct {
		name      string
		limit     int
		done      []int
		err       error
		wantBatch string
		wantN     int
		wantLeft  string
	}{
		// A publish that fails part way: only what it reported done is
		// marked, and its error comes back.
		{"PartialFailure", 3, []int{0, 1}, boom, "ev00,ev01,ev02", 2, "ev02,ev03,ev04,ev05"},
		// Nothing done: nothing marked.
		{"TotalFailure", 2, nil, boom, "ev02,ev03", 0, "ev02,ev03,ev04,ev05"},
		// The next batch continues where the last one stopped.
		{"Continue", 2, []int{0, 1}, nil, "ev02,ev03", 2, "ev04,ev05"},
		// Marks exactly the reported seqs, even out of order.
		{"Subset", 10, []int{1}, nil, "ev04,ev05", 1, "ev04"},
		{"Rest", 10, []int{0}, nil, "ev04", 1, ""},
	}
	for _, s := range steps {
		seen = nil
		n, err := db.RelayBatch(ctx, s.limit, now, publisher(s.done, s.err))
		if n != s.wantN || !errors.Is(err, s.err) || (s.err == nil && err != nil) {
			t.Fatalf("%s: RelayBatch() = %d, %v; want %d, %v", s.name, n, err, s.wantN, s.err)
		}
		if len(seen) != 1 || strings.Join(seen[0], ",") != s.wantBatch {
			t.Fatalf("%s: publish saw %v, want one batch %s", s.name, seen, s.wantBatch)
		}
		if got := outboxIDs(unpublished(t, db, 100)); got != s.wantLeft {
			t.Fatalf("%s: Unpublished() after RelayBatch = %s, want %s", s.name, got, s.wantLeft)
		}
		if got, want := pending(t, db), len(strings.Split(s.wantLeft, ",")); s.wantLeft != "" && got != want {
			t.Fatalf("%s: PendingOutbox() = %d, want %d", s.name, got, want)
		}
	}
	seen = nil
	n, err = db.RelayBatch(ctx, 10, now, publisher(nil, nil))
	if err != nil || n != 0 || len(seen) != 0 || pending(t, db) != 0 {
		t.Fatalf("RelayBatch() on a drained outbox = %d, %v, publish called %d times; want 0, nil, 0", n, err, len(seen))
	}
}
