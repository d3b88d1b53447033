package orders_test

import (
	"encoding/json"
	"testing"
	"time"

	"presso"
	"presso/orders"
	"presso/store/storetest"
)

// TestEstimate is the wait estimate on a scripted queue: five completions
// by two baristas give the pace, and each order in front of the bar gets
// the time worked out by hand from the model in estimate.go. With four
// completions, or none in the last 15 minutes, there is no estimate.
func TestEstimate(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		at := func(hms string) time.Time {
			c, err := time.Parse(time.DateTime, "2026-11-25 "+hms)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		set := func(hms string) {
			e.clock.Set(at(hms))
		}
		fire := func(who presso.Identity, o *presso.Order, tr orders.Trigger) *presso.Order {
			t.Helper()
			got, err := e.p.Fire(e.ctx, who, o.ID, tr, orders.SubmitInput{})
			if err != nil {
				t.Fatalf("%s order %d: %v", tr, o.Number, err)
			}
			return got
		}
		order := func(n int, drink string) *presso.Order {
			t.Helper()
			o, err := e.p.Submit(e.ctx, customer(n), e.start(customer(n)).ID, orders.SubmitInput{Drink: drink})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		estimate := func(o *presso.Order) *time.Time {
			t.Helper()
			return e.get(o.ID).EstimatedReadyAt
		}

		// 09:51: one order, completed straight from the queue (no make
		// time), then the bar stands idle for ten minutes: that gap is
		// not the bar's pace.
		set("09:50:00")
		early := order(10, "americano")
		set("09:51:00")
		fire(barista, early, orders.TriggerComplete)

		// 10:00: five orders; bea and bob make them. Make times: 60 s,
		// 30 s, 45 s (americano: median 45 s), 120 s, 180 s (flat white:
		// only two, so the bar's median, 60 s).
		set("10:00:00")
		a1, a2, a3, a4, a5 := order(1, "americano"), order(2, "flat-white"), order(3, "americano"), order(4, "flat-white"), order(5, "americano")
		if a5.EstimatedReadyAt != nil {
			t.Errorf("with no made completions, the estimate is %v, want none", a5.EstimatedReadyAt)
		}
		for _, step := range []struct {
			at string
			by presso.Identity
			o  *presso.Order
			tr orders.Trigger
		}{
			{"10:00:00", barista, a1, orders.TriggerMake},
			{"10:00:00", other, a2, orders.TriggerMake},
			{"10:01:00", barista, a1, orders.TriggerComplete},
			{"10:01:00", barista, a3, orders.TriggerMake},
			{"10:01:30", barista, a3, orders.TriggerComplete},
			{"10:01:30", barista, a5, orders.TriggerMake},
			{"10:02:00", other, a2, orders.TriggerComplete},
			{"10:02:00", other, a4, orders.TriggerMake},
			{"10:02:15", barista, a5, orders.TriggerComplete},
		} {
			set(step.at)
			fire(step.by, step.o, step.tr)
		}
		if got := estimate(a4); got != nil {
			t.Errorf("after four completions, the making order's estimate is %v, want none", got)
		}
		if b, _ := json.Marshal(e.get(a4.ID)); json.Valid(b) && containsKey(t, b, "estimatedReadyAt") {
			t.Errorf("order JSON without an estimate = %s, want no estimatedReadyAt", b)
		}
		set("10:05:00")
		fire(other, a4, orders.TriggerComplete)

		// Completions at 09:51:00 and then 10:01:00, 10:01:30, 10:02:00,
		// 10:02:15, 10:05:00: the gaps are 600, 30, 30, 15 and 165 s; 600
		// is over ten times the median (30 s), so the pace is four gaps
		// in 240 s, one slot per 60 s. Two baristas.
		m1 := order(6, "flat-white")
		fire(barista, m1, orders.TriggerMake) // making since 10:05:00
		q1, q2, q3 := order(7, "americano"), order(8, "flat-white"), order(9, "americano")
		// When q3 was queued: one making, so one barista free for q1; q3
		// waits for two slots (120 s), then 45 s of americano.
		if want := at("10:07:45"); q3.EstimatedReadyAt == nil || !q3.EstimatedReadyAt.Equal(want) {
			t.Errorf("q3's estimate as queued = %v, want %v", q3.EstimatedReadyAt, want)
		}
		var ev struct {
			Detail struct {
				Order presso.Order `json:"order"`
			} `json:"detail"`
		}
		evs, err := e.db.OrderEvents(e.ctx, q3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(evs[len(evs)-1].Payload, &ev); err != nil {
			t.Fatal(err)
		}
		if got, want := ev.Detail.Order.EstimatedReadyAt, at("10:07:45"); got == nil || !got.Equal(want) {
			t.Errorf("q3's %s event carries estimatedReadyAt %v, want %v", evs[len(evs)-1].DetailType, got, want)
		}

		set("10:05:10")
		want := map[*presso.Order]time.Time{
			m1: at("10:06:00"), // started 10:05:00, 60 s
			q1: at("10:05:55"), // a barista is free: now + 45 s
			q2: at("10:07:10"), // one slot (60 s), then 60 s
			q3: at("10:07:55"), // two slots (120 s), then 45 s
		}
		for o, w := range want {
			if got := estimate(o); got == nil || !got.Equal(w) {
				t.Errorf("order %d (%s): estimate %v, want %v", o.Number, o.State, got, w)
			}
		}
		board, err := e.p.Board(e.ctx, barista, "demo")
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, o := range board {
			for w, at := range want {
				if o.ID == w.ID {
					seen++
					if o.EstimatedReadyAt == nil || !o.EstimatedReadyAt.Equal(at) {
						t.Errorf("board: order %d estimate %v, want %v", o.Number, o.EstimatedReadyAt, at)
					}
				}
			}
			if o.State.Terminal() && o.EstimatedReadyAt != nil {
				t.Errorf("board: finished order %d has an estimate", o.Number)
			}
		}
		if seen != len(want) {
			t.Errorf("board shows %d of the %d active orders", seen, len(want))
		}
		mine, err := e.p.Mine(e.ctx, customer(8))
		if err != nil || len(mine) != 1 || mine[0].EstimatedReadyAt == nil || !mine[0].EstimatedReadyAt.Equal(want[q2]) {
			t.Errorf("customer 8's own orders = %v, %v; want q2 with estimate %v", mine, err, want[q2])
		}

		// Fifteen minutes after the last completion nothing is recent.
		// (09:51's is gone by then too.)
		set("10:20:01")
		if got := estimate(q1); got != nil {
			t.Errorf("with no completion in 15 minutes, the estimate is %v, want none", got)
		}
	})
}

func containsKey(t *testing.T, b []byte, key string) bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	_, ok := m[key]
	return ok
}
