package main

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentRedemptions: 50 customers scan a 10-use code at once;
// exactly 10 get an order and 40 are told it is sold out.
func TestConcurrentRedemptions(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 3600, "maxQueue": 100, "maxPerCustomer": 1}}, nil)
	code := s.code(t, admin, "demo")
	customers := make([]*client, 50)
	// Each from an address of its own, as phones are: one address may
	// start only half a code's uses at a bar in name mode (TestAttackNameOrders).
	for i := range customers {
		customers[i] = s.customerFrom(t, fmt.Sprintf("c%d", i), fmt.Sprintf("127.0.1.%d", i+1))
	}
	statuses := make([]int, len(customers))
	codes := make([]string, len(customers))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct{ Error struct{ Code string } }
			statuses[i] = c.do("POST", "/api/events/demo/orders", map[string]string{"code": code}, &out)
			codes[i] = out.Error.Code
		}()
	}
	wg.Wait()
	// New work waits at most a second for a turn (web/admit.go): how
	// close a burst of fifty comes to it.
	t.Logf("50 scans at once answered in %v", time.Since(start).Round(time.Millisecond))
	count := map[int]int{}
	for i, st := range statuses {
		count[st]++
		if st == 409 && codes[i] != "sold_out" {
			t.Errorf("409 with code %q, want sold_out", codes[i])
		}
	}
	if count[201] != 10 || count[409] != 40 || len(count) != 2 {
		t.Fatalf("statuses = %v, want 10×201 and 40×409", count)
	}
	var q struct{ Remaining int }
	admin.must(200, "GET", "/api/events/demo/qr", nil, &q)
	if q.Remaining != 0 {
		t.Fatalf("remaining = %d, want 0", q.Remaining)
	}
}

// TestHTTPErrors checks each way an order can be refused, with its status
// and code, over HTTP.
func TestHTTPErrors(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	barista := s.staff(t, "barista", "barista")
	ann := s.customer(t, "Ann")
	errCode := func(c *client, method, path string, body any) (int, string) {
		var out struct{ Error struct{ Code string } }
		st := c.do(method, path, body, &out)
		return st, out.Error.Code
	}
	check := func(name string, gotStatus int, gotCode string, wantStatus int, wantCode string) {
		t.Helper()
		if gotStatus != wantStatus || gotCode != wantCode {
			t.Errorf("%s = %d %q, want %d %q", name, gotStatus, gotCode, wantStatus, wantCode)
		}
	}
	st, c := errCode(ann, "POST", "/api/events/nope/orders", map[string]string{"code": "x"})
	check("unknown bar", st, c, 404, "not_found")
	st, c = errCode(ann, "POST", "/api/events/demo/orders", map[string]string{"code": "bogus"})
	check("invalid code", st, c, 400, "invalid_code")

	var o apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	st, c = errCode(ann, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")})
	check("second order, limit 1", st, c, 429, "limit_reached")

	barista.must(200, "PATCH", "/api/events/demo", map[string]bool{"open": false}, nil)
	bob := s.customer(t, "Bob")
	st, c = errCode(bob, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")})
	check("closed", st, c, 423, "closed")
	// The order already in flight carries on while the bar is closed.
	ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "americano"}, &o)
	barista.must(200, "PATCH", "/api/events/demo", map[string]bool{"open": true}, nil)

	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 300, "maxQueue": 1, "maxPerCustomer": 1}}, nil)
	st, c = errCode(bob, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")})
	check("at capacity", st, c, 503, "busy")

	// Two baristas make the same order: one wins, the other gets 409.
	b2 := s.staff(t, "admin", "admin")
	results := make(chan int, 2)
	for _, c := range []*client{barista, b2} {
		go func() { results <- c.do("POST", "/api/orders/"+o.ID+"/make", nil, nil) }()
	}
	got := map[int]int{<-results: 1}
	got[<-results]++
	if got[200] != 1 || got[409] != 1 {
		t.Errorf("two makes = %v, want one 200 and one 409", got)
	}
}

// TestHTTPTimeouts uses short per-bar timeouts and the real sweeper.
func TestHTTPTimeouts(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 1, "baristaSeconds": 2},
		"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 300, "maxQueue": 20, "maxPerCustomer": 5}}, nil)
	ann := s.customer(t, "Ann")
	mine := ann.openSSE("/api/me/stream", "")
	mine.next(t, 5*time.Second) // snapshot
	var slow, served apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &slow)
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &served)
	ann.must(200, "PUT", "/api/orders/"+served.ID+"/drink", map[string]any{"drink": "americano"}, nil)
	causes := map[string]string{}
	deadline := time.After(10 * time.Second)
	for len(causes) < 2 {
		select {
		case ev := <-mine.C:
			if ev.Type == "OrderProcessor.OrderTimeOut" {
				causes[ev.Detail["orderId"].(string)] = ev.Detail["cause"].(string)
			}
		case <-deadline:
			t.Fatalf("timeouts seen: %v", causes)
		}
	}
	if causes[slow.ID] != "customer" || causes[served.ID] != "barista" {
		t.Fatalf("causes = %v, want %s: customer, %s: barista", causes, slow.ID, served.ID)
	}
	var got apiOrder
	ann.must(200, "GET", "/api/orders/"+served.ID, nil, &got)
	if got.State != "timed_out" || got.Cause != "barista" {
		t.Fatalf("order = %s/%s, want timed_out/barista", got.State, got.Cause)
	}
}
