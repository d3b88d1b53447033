package storetest

import (
	"errors"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// What the outbox relay stands on (store/outbox.go). bus/relay.go reads
// the outbox outside any transaction where the engine needs no relay lock,
// and inside one holding LockRelay where it does; these check what each
// way relies on. The relay's batches themselves are tested in bus.

// testRelayReadBesideWriter: reading the outbox does not wait for an open
// write transaction, and sees only what was committed, so a relay that
// reads outside a transaction leaves the writer free while it publishes.
func testRelayReadBesideWriter(t *testing.T, db *store.DB) {
	ctx := t.Context()
	appendOutbox(t, db, []presso.Envelope{envelope(0, "e1"), envelope(1, "e1")}, []string{"o1", "o1"})
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			err := tx.AppendOutbox(ctx, envelope(2, "e1"), "o1")
			close(held)
			<-release
			return err
		})
	}()
	<-held
	read := make(chan string, 1)
	go func() { read <- outboxIDs(unpublished(t, db, 10)) }()
	select {
	case got := <-read:
		if want := "ev00,ev01"; got != want {
			t.Errorf("Unpublished() beside an open write Tx = %s, want %s", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Unpublished() beside an open write Tx still waits after 5 s, want an answer")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := outboxIDs(unpublished(t, db, 10)), "ev00,ev01,ev02"; got != want {
		t.Fatalf("Unpublished() after the commit = %s, want %s", got, want)
	}
}

// testRelayLockReleased: the relay lock lasts as long as the transaction
// that took it, whether that commits or rolls back.
func testRelayLockReleased(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("publish failed")
	for _, end := range []struct {
		name string
		err  error
	}{{"Rollback", boom}, {"Commit", nil}, {"Again", nil}} {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			ok, err := tx.LockRelay(ctx)
			if err != nil || !ok {
				t.Errorf("%s: LockRelay() = %v, %v; want true, nil", end.name, ok, err)
			}
			return end.err
		})
		if !errors.Is(err, end.err) || (end.err == nil && err != nil) {
			t.Fatalf("%s: Tx() = %v, want %v", end.name, err, end.err)
		}
	}
}
