package load

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"presso"
	"presso/client"
)

// stats is what the robots measure, shared by all of them.
type stats struct {
	mu sync.Mutex
	counts
	errors        map[string]int // "route status code" → how many
	scanMenu      []time.Duration
	submitNumber  []time.Duration
	completeReady []time.Duration
	completeCall  []time.Duration
	completeSent  map[string]time.Time // order id → when a barista sent complete
	promised      map[string]promised  // order id → its estimate when queued (estimate.go)
	honest        []honesty
	unestimated   int // completed orders that had no estimate when queued
}

// counts are the run's counters; a copy is a consistent snapshot.
type counts struct {
	customers    int // arrived
	signInFailed int
	refused      int // scanned but got no order
	started      int // got an order (201)
	completed    int // saw it ready
	cancelled    int
	timedOut     int
	unfinished   int // still not ended when the run stopped waiting
	sseMissed    int // ended, but the customer learnt it only by asking
	watchers     int // customers who watch their own stream (the latency sample)
	heardOnBoard int // ends customers heard of from the bar's board stream
	makeLost     int // a robot barista's make lost to another (409): expected
	reconnects   int // SSE streams resumed after the server closed them

	finishedInArrivals int // finished when the last customer had arrived
}

func (c counts) finished() int { return c.completed + c.cancelled + c.timedOut }

func (c counts) inFlight() int { return c.started - c.finished() - c.unfinished }

func (c counts) errorTotal(errs map[string]int) int {
	n := 0
	for _, v := range errs {
		n += v
	}
	return n
}

func newStats() *stats {
	return &stats{errors: map[string]int{}, completeSent: map[string]time.Time{}, promised: map[string]promised{}}
}

func (s *stats) add(f func(c *counts)) {
	s.mu.Lock()
	f(&s.counts)
	s.mu.Unlock()
}

// fail counts a failed call under its route, status and code.
func (s *stats) fail(route string, err error) {
	key := route + " " + err.Error()
	if e, ok := err.(*client.Error); ok {
		key = route + " " + errKey(e)
	}
	s.mu.Lock()
	s.errors[key]++
	s.mu.Unlock()
}

// errKey is how a failed call is counted: status and code, or "network".
func errKey(e *client.Error) string {
	if e.Status == 0 {
		return "network"
	}
	return fmt.Sprintf("%d %s", e.Status, e.Code)
}

func (s *stats) sample(dst *[]time.Duration, d time.Duration) {
	s.mu.Lock()
	*dst = append(*dst, d)
	s.mu.Unlock()
}

// heard is how a customer heard of its order's end.
type heard int

const (
	heardOnPhone  heard = iota // on its own stream: the latency sample
	heardOnBoard               // from the bar's board stream, which it shares
	heardByAsking              // by asking, when the run stopped waiting
)

// ended counts an order's end as its customer learnt it. Only an end
// heard on the customer's own stream times complete → customer sees ready.
func (s *stats) ended(orderID string, state presso.State, at time.Time, how heard) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case presso.StateCompleted:
		s.completed++
		if sent, ok := s.completeSent[orderID]; ok && how == heardOnPhone {
			s.completeReady = append(s.completeReady, at.Sub(sent))
		}
	case presso.StateCancelled:
		s.cancelled++
	case presso.StateTimedOut:
		s.timedOut++
	}
	switch how {
	case heardOnBoard:
		s.heardOnBoard++
	case heardByAsking:
		s.sseMissed++
	}
	delete(s.completeSent, orderID)
}

// sentComplete records when a barista sent complete for an order.
func (s *stats) sentComplete(orderID string, at time.Time) {
	s.mu.Lock()
	s.completeSent[orderID] = at
	s.mu.Unlock()
}

func (s *stats) snapshot() (counts, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts, maps.Clone(s.errors)
}

// dist summarises a sample of latencies.
type dist struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

func summarize(sample []time.Duration) dist {
	sorted := slices.Clone(sample)
	slices.Sort(sorted)
	d := dist{N: len(sorted)}
	if len(sorted) > 0 {
		d.P50, d.P95, d.P99 = percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99)
		d.Max = sorted[len(sorted)-1]
	}
	return d
}

// percentile is the nearest-rank percentile of a sorted sample: the
// smallest value with at least p% of the sample at or below it. Zero for
// an empty sample.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// progressLine is the once-a-second line.
func progressLine(elapsed time.Duration, c counts, errs map[string]int, perSecond float64) string {
	return fmt.Sprintf("%6.1fs  started %d  completed %d  cancelled %d  timed out %d  in flight %d  errors %d  %.1f orders/s",
		elapsed.Seconds(), c.started, c.completed, c.cancelled, c.timedOut, c.inFlight(), c.errorTotal(errs), perSecond)
}

// writeSummary prints the end-of-run summary. The "orders:" line is meant
// for scripts too.
func (s *stats) writeSummary(w io.Writer, arrivals, elapsed time.Duration) {
	s.mu.Lock()
	c, errs := s.counts, maps.Clone(s.errors)
	lat := []struct {
		name string
		d    dist
	}{
		{"scan → menu", summarize(s.scanMenu)},
		{"submit → number", summarize(s.submitNumber)},
		{"complete → customer sees ready", summarize(s.completeReady)},
		{"  (barista's complete call)", summarize(s.completeCall)},
	}
	est := reportEstimates(s.honest, s.unestimated)
	s.mu.Unlock()

	secs := elapsed.Seconds()
	fmt.Fprintf(w, "\nsummary after %.1fs\n", secs)
	fmt.Fprintf(w, "orders: started=%d completed=%d cancelled=%d timed_out=%d unfinished=%d refused=%d sign_in_failed=%d customers=%d\n",
		c.started, c.completed, c.cancelled, c.timedOut, c.unfinished, c.refused, c.signInFailed, c.customers)
	if secs > 0 && arrivals > 0 {
		fmt.Fprintf(w, "throughput: %.1f orders/s started over %.1fs of arrivals, %.1f orders/s finished over %.1fs\n",
			float64(c.started)/arrivals.Seconds(), arrivals.Seconds(), float64(c.finished())/secs, secs)
	}
	if secs > 0 && arrivals > 0 {
		fmt.Fprintf(w, "during arrivals: finished=%d over %.1fs, %.1f orders/s\n",
			c.finishedInArrivals, arrivals.Seconds(), float64(c.finishedInArrivals)/arrivals.Seconds())
	}
	fmt.Fprintf(w, "robot baristas: %d makes lost to another robot (409, expected); SSE: %d reconnects, %d ends learnt only by asking\n",
		c.makeLost, c.reconnects, c.sseMissed)
	fmt.Fprintf(w, "sampled: complete → customer sees ready is timed on the %d of %d customers who watched their own stream; %d heard of their order's end from the board stream\n",
		c.watchers, c.customers, c.heardOnBoard)
	fmt.Fprintf(w, "latency %32s %8s %8s %8s %8s\n", "n", "p50", "p95", "p99", "max")
	for _, l := range lat {
		if l.d.N == 0 {
			fmt.Fprintf(w, "  %-32s %6d %8s %8s %8s %8s\n", l.name, 0, "-", "-", "-", "-")
			continue
		}
		fmt.Fprintf(w, "  %-32s %6d %8s %8s %8s %8s\n", l.name, l.d.N, ms(l.d.P50), ms(l.d.P95), ms(l.d.P99), ms(l.d.Max))
	}
	est.write(w)
	if len(errs) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	fmt.Fprintf(w, "errors: %d\n", c.errorTotal(errs))
	keys := slices.Sorted(maps.Keys(errs))
	for _, k := range keys {
		fmt.Fprintf(w, "  %6d  %s\n", errs[k], k)
	}
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// writeCosts prints what the measured window cost: the load generator's
// CPU time and, with --server-pid, the server's CPU time and memory. The
// "cpu:" and "server:" lines are meant for scripts too.
func (s *stats) writeCosts(w io.Writer, c costs) {
	s.mu.Lock()
	n := s.finished()
	s.mu.Unlock()
	perOrder := func(d time.Duration) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)/float64(n))
	}
	secs := max(c.window.Seconds(), 1e-3)
	if c.selfErr != nil {
		fmt.Fprintf(w, "cpu: load generator not measured (%v)\n", c.selfErr)
	} else {
		fmt.Fprintf(w, "cpu: load_ms_per_order=%s load_user_ms_per_order=%s load_sys_ms_per_order=%s load_cores=%.2f finished=%d window=%.1fs\n",
			perOrder(c.self.total()), perOrder(c.self.user), perOrder(c.self.sys), c.self.total().Seconds()/secs, n, secs)
	}
	if c.serverPID == 0 {
		return
	}
	if c.serverErr != nil {
		fmt.Fprintf(w, "server: pid=%d not measured (%v)\n", c.serverPID, c.serverErr)
		return
	}
	mb := func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	rss := "rss_start_mb=" + mb(c.rssStart) + " rss_peak_mb=" + mb(c.rssPeak)
	if c.rssErr != nil {
		rss = fmt.Sprintf("rss not measured (%v)", c.rssErr)
	}
	fmt.Fprintf(w, "server: pid=%d cpu_ms_per_order=%s user_ms_per_order=%s sys_ms_per_order=%s cores=%.2f %s\n",
		c.serverPID, perOrder(c.server.total()), perOrder(c.server.user), perOrder(c.server.sys), c.server.total().Seconds()/secs, rss)
}
