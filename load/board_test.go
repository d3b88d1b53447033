package load

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"presso"
)

// msg is a board message of one order, as the server sends it.
func msg(typ, id string, state presso.State, extra string) []byte {
	return fmt.Appendf(nil, `{"detail":{"eventId":"demo","orderId":%q,"order":{"id":%q,"eventId":"demo","state":%q,"number":7%s}},"type":%q}`,
		id, id, state, extra, typ)
}

// TestLoadBoard: the robots' shared view of a bar's queue, and the ends it
// hands to waiting customers, from the messages as they come.
func TestLoadBoard(t *testing.T) {
	b := newBoard("demo")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	takeAll := func() []string {
		var ids []string
		b.mu.Lock()
		live := 0
		for _, id := range b.queue {
			if b.queued[id] {
				live++
			}
		}
		b.mu.Unlock()
		for range live {
			id, ok := b.take(ctx)
			if !ok {
				t.Fatal("take gave nothing with orders queued")
			}
			ids = append(ids, id)
		}
		return ids
	}

	o1, cancel1 := b.wait("o_1")
	defer cancel1()
	o3, cancel3 := b.wait("o_3")
	cancel3() // a customer that stopped waiting hears nothing

	b.see(msg(presso.OrderProcessorWaitingCompletion, "o_1", presso.StateQueued, ""))
	b.see(msg(presso.OrderManagerWaitingCompletion, "o_1", presso.StateQueued, "")) // the same order again
	b.see(msg(presso.OrderProcessorWaitingCompletion, "o_2", presso.StateQueued, ""))
	b.see(msg(presso.OrderProcessorWaitingCompletion, "o_3", presso.StateQueued, ""))
	b.see(msg(presso.OrderManagerMakeOrder, "o_3", presso.StateMaking, "")) // someone else took it
	b.see([]byte(`{"type":"OrderProcessor.WaitingCompletion","detail":{"order":{"id":"o_9","eventId":"other","state":"queued"}}}`))
	b.see([]byte(`{"type":"OrderManager.MakeOrder",`)) // not JSON: dropped
	if got := takeAll(); !slices.Equal(got, []string{"o_1", "o_2"}) {
		t.Fatalf("taken %v, want o_1 then o_2 (o_3 is being made, o_9 is another bar's)", got)
	}
	// A late queued message of a taken order does not queue it again.
	b.see(msg(presso.OrderManagerWaitingCompletion, "o_2", presso.StateQueued, ""))
	if got := takeAll(); len(got) != 0 {
		t.Fatalf("taken %v after a late message, want nothing", got)
	}

	b.see(msg(presso.OrderProcessorOrderFinished, "o_1", presso.StateCompleted, "")) // not the end event: no decode
	select {
	case e := <-o1:
		t.Fatalf("heard %+v from orderFinished", e)
	default:
	}
	b.see(msg(presso.OrderManagerOrderCompleted, "o_1", presso.StateCompleted, `,"finishedAt":"2026-01-01T10:00:00Z"`))
	b.see(msg(presso.OrderManagerOrderCompleted, "o_3", presso.StateCompleted, ""))
	select {
	case e := <-o1:
		if e.state != presso.StateCompleted || e.finishedAt == nil || !e.finishedAt.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)) || e.at.IsZero() {
			t.Errorf("o_1 heard %+v", e)
		}
	default:
		t.Fatal("o_1's customer heard nothing of its completion")
	}
	select {
	case e := <-o3:
		t.Errorf("o_3's customer, gone, heard %+v", e)
	default:
	}
	b.mu.Lock()
	if len(b.waiting) != 0 || len(b.taken) != 1 || !b.taken["o_2"] {
		t.Errorf("waiting %v, taken %v; want none waiting, o_2 taken", b.waiting, b.taken)
	}
	b.mu.Unlock()

	// A snapshot (a reconnection that could not resume) replaces the queue
	// and tells the ends it shows.
	o2, cancel2 := b.wait("o_2")
	defer cancel2()
	b.see([]byte(`{"type":"snapshot","detail":{"bar":{"id":"demo"},"orders":[` +
		`{"id":"o_2","eventId":"demo","state":"cancelled"},{"id":"o_4","eventId":"demo","state":"queued","number":9},{"id":"o_5","eventId":"demo","state":"making"}]}}`))
	if e := <-o2; e.state != presso.StateCancelled {
		t.Errorf("o_2 heard %+v, want cancelled", e)
	}
	if got := takeAll(); !slices.Equal(got, []string{"o_4"}) {
		t.Errorf("after the snapshot taken %v, want o_4", got)
	}

	// A robot waiting for work leaves when the run ends.
	got := make(chan bool)
	go func() { _, ok := b.take(ctx); got <- ok }()
	time.Sleep(10 * time.Millisecond)
	b.see(msg(presso.OrderProcessorWaitingCompletion, "o_6", presso.StateQueued, ""))
	if ok := <-got; !ok {
		t.Error("a waiting robot was not woken by a queued order")
	}
	stopped, stop := context.WithCancel(ctx)
	context.AfterFunc(stopped, func() { b.mu.Lock(); b.work.Broadcast(); b.mu.Unlock() })
	go func() { _, ok := b.take(stopped); got <- ok }()
	time.Sleep(10 * time.Millisecond)
	stop()
	if ok := <-got; ok {
		t.Error("take gave an order after its context ended")
	}
}

func TestLoadWatches(t *testing.T) {
	for _, c := range []struct {
		share float64
		n     int
		want  int
	}{{1, 1000, 1000}, {0, 1000, 0}, {0.1, 1000, 100}, {1.0 / 3, 3000, 1000}, {100.0 / 300, 300, 100}, {0.25, 10, 2}} {
		got := 0
		for n := 1; n <= c.n; n++ {
			if watches(n, c.share) {
				got++
			}
		}
		if got != c.want {
			t.Errorf("watches(1..%d, %v): %d watch, want %d", c.n, c.share, got, c.want)
		}
	}
	if !watches(4, 0.25) || watches(3, 0.25) || !watches(1, 1) {
		t.Errorf("watches spreads the share unevenly: 4th of 0.25 %v, 3rd %v", watches(4, 0.25), watches(3, 0.25))
	}
}
