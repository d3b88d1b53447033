package load

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"presso"
	"presso/client"
)

// One board stream per bar serves every robot there: the robot baristas
// share its view of the queue, and customers who do not watch their own
// stream hear of their order's end from it. Each message is decoded once,
// into the few fields the robots read, so the generator's cost per order
// does not grow with the number of robot baristas.

// event is the part of an SSE message the robots read: its type and the
// order it carries (every order event carries the whole order), or a
// snapshot's orders.
type event struct {
	Type   string `json:"type"`
	Detail struct {
		Order  *eventOrder  `json:"order"`
		Orders []eventOrder `json:"orders"`
	} `json:"detail"`
}

// eventOrder is the part of an order the robots read.
type eventOrder struct {
	ID         string       `json:"id"`
	EventID    string       `json:"eventId"`
	State      presso.State `json:"state"`
	Number     int64        `json:"number"`
	FinishedAt *time.Time   `json:"finishedAt"`
}

// end is how an order ended, as a customer hears of it.
type end struct {
	state      presso.State
	finishedAt *time.Time // the server's, for a completion
	at         time.Time  // when the robot heard
}

// ending reports whether e tells that the order ended, and how: one of the
// three terminal events, or a snapshot (after a reconnection that could
// not resume) showing it ended.
func ending(e *event, orderID string) (end, bool) {
	var state presso.State
	switch e.Type {
	case presso.OrderManagerOrderCompleted:
		state = presso.StateCompleted
	case presso.OrderManagerOrderCancelled:
		state = presso.StateCancelled
	case presso.OrderProcessorOrderTimeOut:
		state = presso.StateTimedOut
	case "snapshot":
		for _, o := range e.Detail.Orders {
			if o.ID == orderID && o.State.Terminal() {
				return end{state: o.State, finishedAt: o.FinishedAt}, true
			}
		}
		return end{}, false
	default:
		return end{}, false
	}
	if o := e.Detail.Order; o != nil && o.ID == orderID {
		return end{state: state, finishedAt: o.FinishedAt}, true
	}
	return end{}, false
}

// board is a bar's shared board stream and what the robots make of it.
type board struct {
	bar string

	mu      sync.Mutex
	work    sync.Cond           // signalled when an order is queued
	queue   []string            // order ids in the order they were queued; may hold stale ones
	queued  map[string]bool     // queued and no robot has taken it: the live part of queue
	taken   map[string]bool     // taken by a robot barista and not yet ended
	waiting map[string]chan end // customers waiting to hear of their order's end
}

func newBoard(bar string) *board {
	b := &board{bar: bar, queued: map[string]bool{}, taken: map[string]bool{}, waiting: map[string]chan end{}}
	b.work.L = &b.mu
	return b
}

// open connects the board stream as staff client c and follows it until
// ctx ends.
func (b *board) open(ctx context.Context, r *runner, c *client.Client) error {
	s, err := c.Open(ctx, "/api/events/"+b.bar+"/stream", "")
	if err != nil {
		return err
	}
	go s.FollowData(ctx, b.see, func() { r.stats.add(func(c *counts) { c.reconnects++ }) })
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.work.Broadcast() // robots waiting for work see ctx end
		b.mu.Unlock()
	})
	return nil
}

// boardTypes are the quoted types (or their ends) of the board messages
// that change what the robots know: an order queued, taken, ended, or a
// snapshot. The others (a scan, the workflow's own steps) need no
// decoding.
var boardTypes = append([][]byte{
	[]byte(`.WaitingCompletion"`),
	[]byte(`"` + presso.OrderManagerMakeOrder + `"`),
}, endTypes...)

// see decodes one board message and updates the queue and the waiting
// customers.
func (b *board) see(data []byte) {
	if !holdsAny(data, boardTypes) {
		return
	}
	var e event
	if json.Unmarshal(data, &e) != nil {
		return
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.Type == "snapshot" {
		clear(b.queued)
		b.queue = b.queue[:0]
		for i := range e.Detail.Orders {
			o := &e.Detail.Orders[i]
			b.update(o, end{state: o.State, finishedAt: o.FinishedAt, at: now})
		}
		return
	}
	if o := e.Detail.Order; o != nil && o.EventID == b.bar {
		how, _ := ending(&e, o.ID)
		how.at = now
		b.update(o, how)
	}
}

// update applies one order's state. how is its end if the message told
// it (a terminal event, or a snapshot showing it ended); b.mu is held.
func (b *board) update(o *eventOrder, how end) {
	switch {
	case o.State == presso.StateQueued:
		if !b.queued[o.ID] && !b.taken[o.ID] {
			b.queued[o.ID] = true
			b.queue = append(b.queue, o.ID)
			b.work.Signal()
		}
	case o.State.Terminal():
		delete(b.queued, o.ID)
		delete(b.taken, o.ID)
		if ch, ok := b.waiting[o.ID]; ok && how.state.Terminal() {
			ch <- how // buffered for one, and sent once: the waiter goes
			delete(b.waiting, o.ID)
		}
	default:
		delete(b.queued, o.ID) // someone else is making it
	}
}

// wait registers a customer waiting for its order's end; cancel takes the
// registration back.
func (b *board) wait(orderID string) (ch <-chan end, cancel func()) {
	c := make(chan end, 1)
	b.mu.Lock()
	b.waiting[orderID] = c
	b.mu.Unlock()
	return c, func() {
		b.mu.Lock()
		if b.waiting[orderID] == c {
			delete(b.waiting, orderID)
		}
		b.mu.Unlock()
	}
}

// take hands a robot barista the oldest queued order that no robot has
// taken, waiting for one until ctx ends.
func (b *board) take(ctx context.Context) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ctx.Err() == nil {
		for len(b.queue) > 0 {
			id := b.queue[0]
			b.queue = b.queue[1:]
			if b.queued[id] {
				delete(b.queued, id)
				b.taken[id] = true
				return id, true
			}
		}
		b.work.Wait()
	}
	return "", false
}

// screen is one of a bar's other screens: it follows the board stream
// and reads every message, but decodes none, so the server serves the
// fan-out of a bar with several screens at little cost to the generator.
func screen(ctx context.Context, c *client.Client, bar string) {
	for wait := 100 * time.Millisecond; ctx.Err() == nil; wait = min(2*wait, 2*time.Second) {
		if s, err := c.Open(ctx, "/api/events/"+bar+"/stream", ""); err == nil {
			wait = 100 * time.Millisecond
			for err == nil {
				_, err = s.NextData()
			}
			s.Close()
		}
		sleep(ctx, wait)
	}
}
