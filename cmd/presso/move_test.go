package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestMoveBar exports a bar from one deployment with orders in every
// state and imports it into another, where its orders carry on.
func TestMoveBar(t *testing.T) {
	from := t.TempDir()
	s := startServer(t, from)
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 300, "maxQueue": 20, "maxPerCustomer": 5}}, nil)
	ann := s.customer(t, "Ann")
	var done, queued apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &done)
	ann.must(200, "PUT", "/api/orders/"+done.ID+"/drink", map[string]any{"drink": "americano"}, nil)
	admin.must(200, "POST", "/api/orders/"+done.ID+"/complete", nil, nil)
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &queued)
	ann.must(200, "PUT", "/api/orders/"+queued.ID+"/drink", map[string]any{"drink": "flat-white"}, &queued)
	var history struct{ Transitions, Events []any }
	admin.must(200, "GET", "/api/orders/"+done.ID+"/history", nil, &history)
	s.Stop(t)

	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "demo.json")
	var out bytes.Buffer
	if err := run(ctx, []string{"export", "--data", from, "--event", "demo", "--file", file}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exported bar demo: 2 orders, 12 events") {
		t.Fatalf("export said %q", out.String())
	}

	// Import into a new, empty deployment; a second import of the same
	// bar is refused rather than merged.
	to := t.TempDir()
	out.Reset()
	if err := run(ctx, []string{"import", "--data", to, "--file", file}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "--data", to, "--file", file}, func(string) string { return "" }, &out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second import: %v, want already exists", err)
	}

	s2 := startServer(t, to)
	admin2 := s2.staff(t, "admin", "admin")
	var o apiOrder
	admin2.must(200, "GET", "/api/orders/"+queued.ID, nil, &o)
	if o.State != "queued" || o.Number != 2 || o.Position != 1 {
		t.Fatalf("moved order = %+v, want queued #2 first in line", o)
	}
	var h2 struct{ Transitions, Events []any }
	admin2.must(200, "GET", "/api/orders/"+done.ID+"/history", nil, &h2)
	if len(h2.Transitions) != len(history.Transitions) || len(h2.Events) != len(history.Events) {
		t.Fatalf("moved history = %d transitions %d events, want %d and %d", len(h2.Transitions), len(h2.Events), len(history.Transitions), len(history.Events))
	}
	admin2.must(200, "POST", "/api/orders/"+queued.ID+"/complete", nil, &o)
	// Numbering carries on where the laptop left off.
	ann2 := s2.customer(t, "Ann again")
	var next apiOrder
	ann2.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s2.code(t, admin2, "demo")}, &next)
	ann2.must(200, "PUT", "/api/orders/"+next.ID+"/drink", map[string]any{"drink": "americano"}, &next)
	if next.Number != 3 {
		t.Fatalf("next number after the move = %d, want 3", next.Number)
	}
}
