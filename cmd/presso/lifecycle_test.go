package main

import (
	"slices"
	"testing"
	"time"
)

// TestLifecycle runs one whole order over HTTP: scan, drink, make,
// complete, and checks the exact events on the board, the store channel
// and the customer's own channel.
func TestLifecycle(t *testing.T) {
	s, natsAddr := startNATSListener(t, "")
	admin := s.staff(t, "admin", "admin")
	barista := s.staff(t, "barista", "barista")
	ann := s.customer(t, "Ann")

	board := barista.openSSE("/api/events/demo/stream", "")
	store := ann.openSSE("/api/events/demo/stream", "")
	mine := ann.openSSE("/api/me/stream", "")
	for _, ch := range []*sse{board, store, mine} {
		if ev := ch.next(t, 5*time.Second); ev.Type != "snapshot" {
			t.Fatalf("first message = %q, want snapshot", ev.Type)
		}
	}

	var o apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	if o.State != "waiting" || o.Number != 0 || o.Deadline == nil {
		t.Fatalf("new order = %+v, want waiting, unnumbered, with a deadline", o)
	}
	ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, &o)
	if o.State != "queued" || o.Number != 1 || o.Drink.ID != "flat-white" || o.Drink.Modifiers[0].Option != "oat" {
		t.Fatalf("after drink = %+v, want queued #1 flat white with oat", o)
	}
	barista.must(200, "POST", "/api/orders/"+o.ID+"/make", nil, &o)
	barista.must(200, "POST", "/api/orders/"+o.ID+"/complete", nil, &o)
	if o.State != "completed" {
		t.Fatalf("state = %s, want completed", o.State)
	}

	wantBoard := []string{"Validator.NewOrder", "OrderProcessor.WorkflowStarted", "OrderProcessor.WaitingCompletion",
		"OrderManager.WaitingCompletion", "OrderManager.MakeOrder", "OrderManager.OrderCompleted", "OrderProcessor.orderFinished"}
	if got := board.types(t, len(wantBoard)); !slices.Equal(got, wantBoard) {
		t.Errorf("board = %v\nwant    %v", got, wantBoard)
	}
	// On the stream itself: the demo bar's seeding, then the order's events.
	wantStream := append([]string{"ConfigService.ConfigChanged"}, wantBoard...)
	reader := readerURL(t, s.Data, natsAddr)
	eventually(t, 5*time.Second, "events on JetStream", func() bool { return len(streamTypes(t, reader)) >= len(wantStream) })
	if got := streamTypes(t, reader); !slices.Equal(got, wantStream) {
		t.Errorf("JetStream = %v\nwant        %v", got, wantStream)
	}
	wantMine := wantBoard[1:]
	if got := mine.types(t, len(wantMine)); !slices.Equal(got, wantMine) {
		t.Errorf("me = %v\nwant %v", got, wantMine)
	}
	// The store channel carries configuration only: closing the bar is the
	// next thing it sees, not any of the order's events.
	barista.must(200, "PATCH", "/api/events/demo", map[string]bool{"open": false}, nil)
	if ev := store.next(t, 5*time.Second); ev.Type != "ConfigService.ConfigChanged" || ev.Detail["open"] != false {
		t.Errorf("store channel = %s %v, want ConfigChanged open=false", ev.Type, ev.Detail["open"])
	}
}
