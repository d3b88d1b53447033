package web

import (
	"net/http"
	"time"

	"presso/store"
)

// Admission before the work. Past what one core can do, the CPU runs out
// before SQLite's writer does: every customer's sign-in and scan spends
// its parsing, session lookup, checks and writes before the writer's queue
// (store/admit.go) could turn it away, and that is the CPU the baristas'
// makes and completes, and the events that tell the phones, then lack. At
// twice the peak rate the writer refused a sixth of the arrivals while the
// rest ran slowly beside the orders already under way. So requests that
// start something new take one of a few turns first, and wait at most a
// second for one: the orders under way keep the core, and a customer past
// capacity hears "busy" at once, at almost no cost.
//
// A second's wait is for a burst, not for overload: held past capacity it
// became a standing queue, where every admitted scan had waited its
// second (scan to menu p50 990 ms at twice the peak) and customers' codes
// ran out while they waited. So once no request has had a turn at once
// (within turnSoon) for standingAfter, the turns are a standing queue,
// and a request waits at most standingWait: as long a wait as the ones
// that get in after it, a busy answer at once for the rest.

const (
	// newWorkTurns is how many new-work requests run at once. A sign-in
	// or a scan takes a few milliseconds, so eight turns admit far more
	// than a machine finishes; they bind only when each takes long
	// because the core is saturated.
	newWorkTurns = 8
	// newWorkWait is the longest a request waits for a turn: what a
	// customer told to come back loses anyway (store's retryAfter), and
	// enough for a burst (fifty phones scanning the same code at once).
	newWorkWait = time.Second
	// turnSoon is a wait that says the turns are keeping up.
	turnSoon = 20 * time.Millisecond
	// standingAfter is how long the turns stay full, with nobody let in
	// within turnSoon, before they are a standing queue.
	standingAfter = 100 * time.Millisecond
	// standingWait is the wait for a turn while they are.
	standingWait = 50 * time.Millisecond
)

// newWork runs h, a route that starts something new (a customer's
// sign-in, a code's use), in one of newWorkTurns turns, or answers 503
// busy with Retry-After when none frees within newWorkWait, or within
// standingWait while the turns are a standing queue.
func (s *Server) newWork(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		select {
		case s.newTurns <- struct{}{}:
			s.lastSoon.Store(arrived.UnixNano())
		default:
			wait := newWorkWait
			if arrived.Sub(time.Unix(0, s.lastSoon.Load())) > standingAfter {
				wait = standingWait
			}
			t := time.NewTimer(wait)
			select {
			case s.newTurns <- struct{}{}:
				t.Stop()
				if now := time.Now(); now.Sub(arrived) <= turnSoon {
					s.lastSoon.Store(now.UnixNano())
				}
			case <-t.C:
				s.writeError(w, r, store.Busy(time.Now()))
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-s.newTurns }()
		h(w, r)
	}
}
