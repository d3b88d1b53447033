package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// The outbox (store/outbox.go).

func envelope(i int, eventID string) presso.Envelope {
	return presso.Envelope{ID: fmt.Sprintf("ev%02d", i), Source: "OrderManager", DetailType: "OrderManager.MakeOrder",
		Time: at(time.Duration(i)*time.Second + truncated), EventID: eventID,
		Detail: map[string]any{"orderId": "o1", "n": float64(i), "eventId": eventID}}
}

func appendOutbox(t *testing.T, db *store.DB, envs []presso.Envelope, orderIDs []string) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error {
		for i, e := range envs {
			if err := tx.AppendOutbox(t.Context(), e, orderIDs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func outboxIDs(batch []store.Outboxed) string {
	var s []string
	for _, o := range batch {
		s = append(s, o.ID)
	}
	return strings.Join(s, ",")
}

func pending(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := db.PendingOutbox(t.Context())
	if err != nil {
		t.Fatalf("PendingOutbox() = %v", err)
	}
	return n
}

func unpublished(t *testing.T, db *store.DB, limit int) []store.Outboxed {
	t.Helper()
	got, err := db.Unpublished(t.Context(), limit)
	if err != nil {
		t.Fatalf("Unpublished() = %v", err)
	}
	return got
}

// fillOutbox appends five events of e1, three of them o1's and one of no
// order, and returns them with what Unpublished reads back.
func fillOutbox(t *testing.T, db *store.DB) ([]presso.Envelope, []string, []store.Outboxed) {
	t.Helper()
	var envs []presso.Envelope
	for i := range 5 {
		envs = append(envs, envelope(i, "e1"))
	}
	orderIDs := []string{"o1", "o2", "o1", "", "o1"}
	appendOutbox(t, db, envs, orderIDs)
	all := unpublished(t, db, 10)
	if got, want := outboxIDs(all), "ev00,ev01,ev02,ev03,ev04"; got != want {
		t.Fatalf("Unpublished(10) = %s, want %s", got, want)
	}
	return envs, orderIDs, all
}

func testOutboxAppend(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got := pending(t, db); got != 0 {
		t.Fatalf("PendingOutbox() on an empty outbox = %d, want 0", got)
	}
	envs, orderIDs, all := fillOutbox(t, db)
	for i, o := range all {
		payload, _ := json.Marshal(envs[i])
		if i > 0 && o.Seq <= all[i-1].Seq {
			t.Fatalf("Unpublished()[%d].Seq = %d after %d, want increasing", i, o.Seq, all[i-1].Seq)
		}
		if o.ID != envs[i].ID || o.EventID != "e1" || o.OrderID != orderIDs[i] || o.DetailType != envs[i].DetailType ||
			!o.CreatedAt.Equal(at(time.Duration(i)*time.Second)) || o.CreatedAt.Location() != time.UTC || string(o.Payload) != string(payload) {
			t.Fatalf("Unpublished()[%d] = %+v (payload %s), want id %s order %q created %v payload %s",
				i, o, o.Payload, envs[i].ID, orderIDs[i], at(time.Duration(i)*time.Second), payload)
		}
	}
	var back presso.Envelope
	if err := json.Unmarshal(all[0].Payload, &back); err != nil || back.ID != "ev00" || back.Detail["n"] != float64(0) {
		t.Fatalf("payload decodes to %+v, %v; want the envelope", back, err)
	}
	if got, want := outboxIDs(unpublished(t, db, 2)), "ev00,ev01"; got != want {
		t.Fatalf("Unpublished(2) = %s, want %s", got, want)
	}
	if got := pending(t, db); got != 5 {
		t.Fatalf("PendingOutbox() = %d, want 5", got)
	}
	evs, err := db.OrderEvents(ctx, "o1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outboxIDs(evs), "ev00,ev02,ev04"; got != want {
		t.Fatalf("OrderEvents(o1) = %s, want %s", got, want)
	}
	if evs, err := db.OrderEvents(ctx, "nope"); err != nil || len(evs) != 0 {
		t.Fatalf("OrderEvents(nope) = %v, %v; want none", evs, err)
	}
}

func testOutboxDuplicateID(t *testing.T, db *store.DB) {
	ctx := t.Context()
	envs, _, _ := fillOutbox(t, db)
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendOutbox(ctx, envs[0], "o9") })
	if err == nil {
		t.Fatalf("AppendOutbox() of an existing event id = nil, want an error")
	}
	if got := pending(t, db); got != 5 {
		t.Fatalf("PendingOutbox() = %d, want 5", got)
	}
}

func testOutboxMarkPublished(t *testing.T, db *store.DB) {
	ctx := t.Context()
	_, _, all := fillOutbox(t, db)
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.MarkPublished(ctx, nil, t0); err != nil {
			return err
		}
		return tx.MarkPublished(ctx, []int64{all[0].Seq, all[2].Seq}, t0)
	})
	if got := pending(t, db); got != 3 {
		t.Fatalf("PendingOutbox() after marking 2 of 5 = %d, want 3", got)
	}
	if got, want := outboxIDs(unpublished(t, db, 10)), "ev01,ev03,ev04"; got != want {
		t.Fatalf("Unpublished() = %s, want %s", got, want)
	}
	// Published events stay in the order's journey.
	if evs, err := db.OrderEvents(ctx, "o1"); err != nil || outboxIDs(evs) != "ev00,ev02,ev04" {
		t.Fatalf("OrderEvents(o1) = %s, %v; want ev00,ev02,ev04", outboxIDs(evs), err)
	}
}

func testOutboxLockRelay(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		ok, err := tx.LockRelay(ctx)
		if err != nil || !ok {
			t.Errorf("LockRelay() = %v, %v; want true, nil", ok, err)
		}
		return err
	})
	if db.Engine() != "postgres" {
		return // one writer: there is never a second holder
	}
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			ok, err := tx.LockRelay(ctx)
			if !ok && err == nil {
				err = errors.New("first LockRelay() = false")
			}
			close(held)
			<-release
			return err
		})
	}()
	<-held
	tx(t, db, func(tx *store.Tx) error {
		ok, err := tx.LockRelay(ctx)
		if err != nil || ok {
			t.Errorf("LockRelay() while another Tx holds it = %v, %v; want false, nil", ok, err)
		}
		return err
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
