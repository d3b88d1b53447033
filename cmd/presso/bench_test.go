package main

import (
	"testing"
)

// BenchmarkHTTPLifecycle is one whole order over HTTP against run():
// redeem, choose, make, complete — the four requests a real order takes.
func BenchmarkHTTPLifecycle(b *testing.B) { benchLifecycle(b) }

// benchLifecycle is the lifecycle benchmark on a server started with args.
func benchLifecycle(b *testing.B, args ...string) {
	s := startServer(b, "", args...)
	admin := s.staff(b, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 10000, "windowSeconds": 86400, "maxQueue": 1000, "maxPerCustomer": 1000}}, nil)
	barista := s.staff(b, "barista", "barista")
	ann := s.customer(b, "Ann")
	code := s.code(b, admin, "demo")
	body := map[string]string{"code": code}
	drink := map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var o apiOrder
		ann.must(201, "POST", "/api/events/demo/orders", body, &o)
		ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", drink, nil)
		barista.must(200, "POST", "/api/orders/"+o.ID+"/make", nil, nil)
		barista.must(200, "POST", "/api/orders/"+o.ID+"/complete", nil, nil)
	}
}
