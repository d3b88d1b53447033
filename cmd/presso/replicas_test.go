package main

import (
	"slices"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"presso/store/storetest"
)

// startNATS runs a standalone NATS server with JetStream on loopback, as
// an external cluster would be, and returns its URL.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// TestReplicas runs three replicas on one PostgreSQL and one NATS: an order
// placed through replica 1 is made and completed through replica 2, and
// replica 3's SSE clients see every step. A deadline, swept by all three,
// fires exactly once.
func TestReplicas(t *testing.T) {
	dsn := storetest.FreshPostgres(t, storetest.PostgresServer(t))
	natsURL := startNATS(t)
	var r [3]*server
	for i := range r {
		r[i] = startServer(t, t.TempDir(), "--db", dsn, "--nats", natsURL)
	}
	admin := r[0].staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 1, "baristaSeconds": 900},
		"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 300, "maxQueue": 20, "maxPerCustomer": 5}}, nil)
	ann := r[0].customer(t, "Ann")
	barista := r[1].staff(t, "barista", "barista")
	watcher := r[2].staff(t, "display", "display")
	annOn3 := r[2].client(t)
	annOn3.api.HTTP.Jar = ann.api.HTTP.Jar // the same person, served by another replica
	annOn3.api.Base = r[2].URL

	board := watcher.openSSE("/api/events/demo/stream", "")
	mine := annOn3.openSSE("/api/me/stream", "")
	board.next(t, 5*time.Second)
	mine.next(t, 5*time.Second)

	var o apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": r[0].code(t, admin, "demo")}, &o)
	ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, nil)
	barista.must(200, "POST", "/api/orders/"+o.ID+"/make", nil, nil)
	barista.must(200, "POST", "/api/orders/"+o.ID+"/complete", nil, &o)

	want := []string{"Validator.NewOrder", "OrderProcessor.WorkflowStarted", "OrderProcessor.WaitingCompletion",
		"OrderManager.WaitingCompletion", "OrderManager.MakeOrder", "OrderManager.OrderCompleted", "OrderProcessor.orderFinished"}
	if got := board.types(t, len(want)); !slices.Equal(got, want) {
		t.Fatalf("replica 3 board = %v\nwant %v", got, want)
	}
	if got := mine.types(t, len(want)-1); !slices.Equal(got, want[1:]) {
		t.Fatalf("replica 3 customer channel = %v\nwant %v", got, want[1:])
	}

	// A customer deadline with three sweepers: it fires once.
	var slow apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": r[0].code(t, admin, "demo")}, &slow)
	var timeouts []string
	deadline := time.After(10 * time.Second)
	for len(timeouts) == 0 {
		select {
		case ev := <-board.C:
			if ev.Type == "OrderProcessor.OrderTimeOut" {
				timeouts = append(timeouts, ev.Detail["orderId"].(string))
			}
		case <-deadline:
			t.Fatal("the deadline did not fire")
		}
	}
	select {
	case ev := <-board.C:
		if ev.Type == "OrderProcessor.OrderTimeOut" {
			t.Fatalf("a second OrderTimeOut: %v", ev.Detail["orderId"])
		}
	case <-time.After(time.Second):
	}
	var history struct{ Transitions []struct{ Trigger string } }
	admin.must(200, "GET", "/api/orders/"+slow.ID+"/history", nil, &history)
	n := 0
	for _, tr := range history.Transitions {
		if tr.Trigger == "timeout" {
			n++
		}
	}
	if n != 1 || timeouts[0] != slow.ID {
		t.Fatalf("timeout transitions = %d for %s, want exactly 1", n, timeouts[0])
	}
}
