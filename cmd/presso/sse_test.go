package main

import (
	"slices"
	"testing"
	"time"
)

// TestSSEResume drops a board connection while events happen and checks
// that resuming with Last-Event-ID delivers exactly what a connection that
// stayed open saw, and that a client that cannot resume gets a snapshot.
func TestSSEResume(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 100, "windowSeconds": 300, "maxQueue": 100, "maxPerCustomer": 100}}, nil)
	barista := s.staff(t, "barista", "barista")
	ann := s.customer(t, "Ann")
	bob := s.customer(t, "Bob")

	steady := barista.openSSE("/api/events/demo/stream", "")
	flaky := barista.openSSE("/api/events/demo/stream", "")
	annMine := ann.openSSE("/api/me/stream", "")
	bobMine := bob.openSSE("/api/me/stream", "")
	for _, c := range []*sse{steady, flaky, annMine, bobMine} {
		if ev := c.next(t, 5*time.Second); ev.Type != "snapshot" {
			t.Fatalf("first = %s, want snapshot", ev.Type)
		}
	}
	order := func() {
		var o apiOrder
		ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
		ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "americano"}, nil)
	}
	order()
	var seen []sseEvent
	for range 4 {
		seen = append(seen, flaky.next(t, 5*time.Second))
	}
	last := seen[len(seen)-1].ID
	flaky.close()
	order()
	order()
	var want []string
	for range 12 {
		want = append(want, steady.next(t, 5*time.Second).ID)
	}
	resumed := barista.openSSE("/api/events/demo/stream", last)
	got := []string{}
	for _, ev := range seen {
		got = append(got, ev.ID)
	}
	for range 8 {
		ev := resumed.next(t, 5*time.Second)
		if ev.Type == "snapshot" {
			t.Fatalf("resumed stream sent a snapshot")
		}
		got = append(got, ev.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ids seen across the reconnect = %v\nwant %v", got, want)
	}

	// A Last-Event-ID the server cannot resume from gets a snapshot.
	lost := barista.openSSE("/api/events/demo/stream", "999999")
	if ev := lost.next(t, 5*time.Second); ev.Type != "snapshot" || len(ev.Detail["orders"].([]any)) != 3 {
		t.Fatalf("unresumable = %s with %v, want a snapshot of 3 orders", ev.Type, ev.Detail["orders"])
	}

	// Each customer's channel carries only their own orders.
	if n := len(annMine.types(t, 8)); n != 8 {
		t.Fatalf("ann saw %d events", n)
	}
	select {
	case ev := <-bobMine.C:
		t.Fatalf("bob saw %s of someone else's order", ev.Type)
	case <-time.After(300 * time.Millisecond):
	}
}
