package orders_test

import (
	"testing"

	"presso"
	"presso/orders"
	"presso/store/storetest"
)

// BenchmarkLifecycle is one whole order through the service layer on
// SQLite: redeem, choose, make, complete — four transactions.
func BenchmarkLifecycle(b *testing.B) {
	e := newEnv(b, storetest.SQLite(), func(bar *presso.Bar) {
		bar.Limits.MaxQueue, bar.Limits.DrinksPerCode, bar.Limits.WindowSeconds = 1000, 10000, 86400
	})
	code := e.code("demo").Code
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o, err := e.p.Start(e.ctx, barista, "demo", code)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.p.Submit(e.ctx, barista, o.ID, orders.SubmitInput{Drink: "flat-white", Modifiers: map[string]string{"milk": "oat"}}); err != nil {
			b.Fatal(err)
		}
		for _, tr := range []orders.Trigger{orders.TriggerMake, orders.TriggerComplete} {
			if _, err := e.p.Fire(e.ctx, barista, o.ID, tr, orders.SubmitInput{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
