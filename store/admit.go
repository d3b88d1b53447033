package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"presso"
)

// Admission. Past what the machine can do, a server that takes every
// request queues them until all are slow: an order a barista already
// holds waits behind customers who have just arrived, times out, and
// finished throughput collapses. database/sql hands SQLite's one writer
// connection to a random waiter, so under overload the baristas' makes
// and completes starved behind new redemptions. The writer's queue is
// ours instead: work that finishes something already under way goes
// first, and new work is turned away at once with 503 busy (and a time to
// try again) when it would wait longer than maxWait, rather than admitted
// to wait.

// Priority says where a write transaction waits for SQLite's writer; mark
// a call with WithPriority. PostgreSQL runs transactions side by side and
// ignores it.
type Priority int8

const (
	// PriorityNormal is any call not marked otherwise (sign-ins, the
	// admin's changes): after work in flight, before new work, never
	// turned away.
	PriorityNormal Priority = iota
	// PriorityInFlight carries on with something already under way: the
	// drink choice of a redeemed order, a barista's make or complete, a
	// timeout, the relay recording what it published. It goes first.
	PriorityInFlight
	// PriorityNew starts something new, such as redeeming a code. It goes
	// last, and is refused with presso.CodeBusy when the writer is
	// overloaded.
	PriorityNew
)

// retryAfter is when a caller turned away is told to try again.
const retryAfter = time.Second

// maxWait is the longest new work is let wait for the writer: past it the
// caller is told the server is busy. It is retryAfter because a customer
// told to come back loses that much anyway: refusing sooner would turn
// away a burst (fifty phones scanning the same code in one second) that
// the writer clears in a fraction of it, and waiting longer only queues
// what overload would make later still.
const maxWait = retryAfter

type priorityKey struct{}

// WithPriority marks the write transactions run with ctx.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

func priorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// lane is where a priority waits: lower lanes are taken first.
func (p Priority) lane() int {
	switch p {
	case PriorityInFlight:
		return 0
	case PriorityNew:
		return 2
	}
	return 1
}

// overload is the cause inside the error that turns new work away.
type overload struct{}

func (overload) Error() string { return "presso is past its capacity" }

// Overloaded reports whether err is the refusal of new work under
// overload, as opposed to another reason to say busy (a bar's full queue):
// nothing was attempted, so nothing needs telling.
func Overloaded(err error) bool { return errors.As(err, new(overload)) }

// Busy is the refusal of new work under overload, told to try again
// after retryAfter: the writer's queue answers it, and so does web's
// admission before the work (web/admit.go).
func Busy(now time.Time) error {
	return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusy, RetryAt: now.Add(retryAfter),
		Message: "presso is busy right now: try again in a moment", Err: overload{}}
}

// queue holds the calls waiting for the writer, one FIFO lane per
// priority, and decides which new work to admit.
type queue struct {
	mu      sync.Mutex
	ready   *sync.Cond
	lanes   [3][]*call
	n       int // calls in the lanes, cancelled ones included
	running int // calls in the group the writer is running
	closed  bool
	maxWait time.Duration
	// perCall is the writer's recent time per call (a moving average),
	// from which the wait of a new arrival is foreseen.
	perCall time.Duration
}

func newQueue() *queue {
	q := &queue{maxWait: maxWait}
	q.ready = sync.NewCond(&q.mu)
	return q
}

// push queues c, or turns it away: new work that would wait longer than
// maxWait behind what is queued and running, and everything once the
// database is closed.
func (q *queue) push(c *call) error {
	c.queued = time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return closedErr()
	}
	if c.prio == PriorityNew && time.Duration(q.n+q.running)*q.perCall > q.maxWait {
		return Busy(c.queued)
	}
	l := c.prio.lane()
	q.lanes[l] = append(q.lanes[l], c)
	q.n++
	q.ready.Signal()
	return nil
}

// take waits for calls and returns up to max of them, lane by lane; nil
// once the queue is closed. New work that waited past maxWait meanwhile
// is told busy instead.
func (q *queue) take(max int) []*call {
	for {
		batch, late, ok := q.collect(max)
		for _, c := range late {
			c.finish(Busy(time.Now()))
		}
		if !ok || len(batch) > 0 {
			return batch
		}
	}
}

// collect is take's work under the lock: the batch, the new work that
// came too late, and false once the queue is closed.
func (q *queue) collect(max int) (batch, late []*call, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.closed {
		q.ready.Wait()
	}
	if q.closed {
		return nil, nil, false
	}
	now := time.Now()
	for l := range q.lanes {
		lane := q.lanes[l]
		k := 0
		for ; k < len(lane) && len(batch) < max; k++ {
			c := lane[k]
			q.n--
			if !c.state.CompareAndSwap(callQueued, callTaken) {
				continue // cancelled
			}
			if c.prio == PriorityNew && now.Sub(c.queued) > q.maxWait {
				late = append(late, c)
				continue
			}
			batch = append(batch, c)
		}
		clear(lane[:k])
		q.lanes[l] = lane[k:]
	}
	q.running = len(batch)
	return batch, late, true
}

// ran records that the writer ran n calls in took.
func (q *queue) ran(n int, took time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running = 0
	if n > 0 {
		q.perCall += (took/time.Duration(n) - q.perCall) / 8
	}
}

// close turns every queued and later call away.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	var left []*call
	for l, lane := range q.lanes {
		for _, c := range lane {
			if c.state.CompareAndSwap(callQueued, callTaken) {
				left = append(left, c)
			}
		}
		q.lanes[l] = nil
	}
	q.n = 0
	q.ready.Broadcast()
	q.mu.Unlock()
	for _, c := range left {
		c.finish(closedErr())
	}
}

func closedErr() error {
	return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeUnavailable, Message: "the database is closed"}
}
