package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"presso"
	"presso/orders"
	"presso/store"
)

// TestRestart stops presso with orders waiting and queued, and with the
// outbox holding events never relayed and events relayed but not marked
// (as after a crash between the two). After a restart every order carries
// on, deadlines that passed while it was down fire at once, and every event
// is on the stream exactly once.
func TestRestart(t *testing.T) {
	data := t.TempDir()
	s, natsAddr := startNATSListener(t, data)
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 2, "baristaSeconds": 3},
		"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 300, "maxQueue": 20, "maxPerCustomer": 5}}, nil)
	ann := s.customer(t, "Ann")
	var waiting, queued, made apiOrder
	for _, o := range []*apiOrder{&waiting, &queued, &made} {
		ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, o)
	}
	ann.must(200, "PUT", "/api/orders/"+queued.ID+"/drink", map[string]any{"drink": "americano"}, &queued)
	ann.must(200, "PUT", "/api/orders/"+made.ID+"/drink", map[string]any{"drink": "americano"}, &made)
	s.Stop(t)

	// While presso is down: forget that the last three events were relayed,
	// and let a barista act straight on the database, leaving events that
	// were never relayed.
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(data, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.OrderEvents(ctx, made.ID)
	if err != nil {
		t.Fatal(err)
	}
	unmark(t, filepath.Join(data, "presso.db"), all[len(all)-3:])
	proc := orders.New(db, time.Now, func() {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	barista := presso.Identity{ID: "stf_offline", Kind: "staff", Name: "offline", Role: presso.RoleBarista, EventID: "demo"}
	if _, err := proc.Fire(ctx, barista, made.ID, orders.TriggerMake, orders.SubmitInput{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PendingOutbox(ctx); n != 4 {
		t.Fatalf("pending outbox = %d, want 4 (3 unmarked + 1 never relayed)", n)
	}
	db.Close()
	time.Sleep(3500 * time.Millisecond) // every deadline passes while presso is down

	started := time.Now()
	s2 := startServer(t, data, "--nats-listen", natsAddr)
	ann.api.Base = s2.URL
	want := map[string]string{waiting.ID: "customer", queued.ID: "barista", made.ID: "barista"}
	eventually(t, 5*time.Second, "overdue deadlines to fire", func() bool {
		for id, cause := range want {
			var o apiOrder
			if ann.do("GET", "/api/orders/"+id, nil, &o) != 200 || o.State != "timed_out" || o.Cause != cause {
				return false
			}
		}
		return true
	})
	if d := time.Since(started); d > 3*time.Second {
		t.Errorf("overdue deadlines fired %v after start, want right away", d)
	}

	// Every event in the outbox is on the stream exactly once.
	db2, err := store.Open(ctx, filepath.Join(data, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	eventually(t, 5*time.Second, "outbox to drain", func() bool { n, _ := db2.PendingOutbox(ctx); return n == 0 })
	ids := map[string]bool{}
	for _, id := range []string{waiting.ID, queued.ID, made.ID} {
		evs, err := db2.OrderEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			ids[e.ID] = true
		}
	}
	seen := streamIDs(t, readerURL(t, data, natsAddr))
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("event %s is on the stream %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("stream holds %s %d times", id, n)
		}
	}
}

// unmark clears published_at straight in the SQLite file, as if presso
// died after publishing these events and before recording it.
func unmark(t *testing.T, file string, evs []store.Outboxed) {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, e := range evs {
		if _, err := db.Exec(`UPDATE outbox SET published_at = NULL WHERE seq = $1`, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
}

// streamIDs counts how often each event id is on the stream, read through
// natsAddr (an address, or a URL with a user).
func streamIDs(t *testing.T, natsAddr string) map[string]int {
	t.Helper()
	nc, err := nats.Connect(natsURL(natsAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	st, err := js.Stream(ctx, "PRESSO")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	seen := map[string]int{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var env struct{ ID string }
		json.Unmarshal(m.Data, &env)
		seen[env.ID]++
	}
	return seen
}
