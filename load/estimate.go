package load

import (
	"fmt"
	"io"
	"slices"
	"time"

	"presso"
)

// How honest the wait estimate is: for every order that completed, the
// estimatedReadyAt its customer was given when the drink was chosen (the
// submit's answer) against the moment it really became ready (finishedAt,
// as the completion event or the order tells it). Both are the server's
// clock, so the robots' own clock does not enter.

// promised is what an order was told when it was queued.
type promised struct {
	submitted time.Time  // when it was queued
	estimate  *time.Time // when it should be ready; nil: no estimate then
}

// honesty is one completed order's estimate against the truth.
type honesty struct {
	late time.Duration // estimate - ready: positive when the order came early
	wait time.Duration // ready - queued: the real wait
}

// queued records the submit's answer for an order.
func (s *stats) queued(o *presso.Order) {
	if o.SubmittedAt == nil {
		return
	}
	s.mu.Lock()
	s.promised[o.ID] = promised{submitted: *o.SubmittedAt, estimate: o.EstimatedReadyAt}
	s.mu.Unlock()
}

// ready records when an order really became ready, once per order.
func (s *stats) ready(orderID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.promised[orderID]
	if !ok {
		return
	}
	delete(s.promised, orderID)
	if p.estimate == nil {
		s.unestimated++
		return
	}
	s.honest = append(s.honest, honesty{late: p.estimate.Sub(at), wait: at.Sub(p.submitted)})
}

// estimateReport summarises the estimate's honesty: how many completed
// orders had one, the nearest-rank median and p90 of the absolute error,
// of the error relative to the real wait, the median real wait, and the
// median signed error (positive: the estimate was too long).
type estimateReport struct {
	N, Without     int
	ErrP50, ErrP90 time.Duration
	RelP50, RelP90 float64 // error / real wait
	ErrOverWaitP   float64 // median error over median wait
	Wait50         time.Duration
	Bias50         time.Duration
}

func reportEstimates(hs []honesty, without int) estimateReport {
	r := estimateReport{N: len(hs), Without: without}
	if len(hs) == 0 {
		return r
	}
	errs, waits, lates := make([]time.Duration, len(hs)), make([]time.Duration, len(hs)), make([]time.Duration, len(hs))
	rel := make([]float64, len(hs))
	for i, h := range hs {
		errs[i], waits[i], lates[i] = h.late.Abs(), h.wait, h.late
		rel[i] = float64(errs[i]) / float64(max(h.wait, time.Millisecond))
	}
	slices.Sort(errs)
	slices.Sort(waits)
	slices.Sort(lates)
	slices.Sort(rel)
	r.ErrP50, r.ErrP90, r.Bias50 = percentile(errs, 50), percentile(errs, 90), percentile(lates, 50)
	r.Wait50 = percentile(waits, 50)
	rank := func(p int) float64 { return rel[min(max((p*len(rel)+99)/100, 1), len(rel))-1] }
	r.RelP50, r.RelP90 = rank(50), rank(90)
	r.ErrOverWaitP = float64(r.ErrP50) / float64(max(r.Wait50, time.Millisecond))
	return r
}

// write prints the report; the "estimate:" line is meant for scripts too.
func (r estimateReport) write(w io.Writer) {
	if r.N == 0 {
		fmt.Fprintf(w, "estimate: none of the completed orders had one when queued (%d without: too little recent data)\n", r.Without)
		return
	}
	fmt.Fprintf(w, "estimate: n=%d without=%d error_p50=%s error_p90=%s relative_p50=%.0f%% relative_p90=%.0f%% wait_p50=%s\n",
		r.N, r.Without, ms(r.ErrP50), ms(r.ErrP90), 100*r.RelP50, 100*r.RelP90, ms(r.Wait50))
	fmt.Fprintf(w, "  estimate made when queued vs the real ready time, %d completed orders (%d had none: too little recent data then);\n", r.N, r.Without)
	fmt.Fprintf(w, "  the median error is %.0f%% of the median real wait; the median estimate was %s %s\n",
		100*r.ErrOverWaitP, ms(r.Bias50.Abs()), map[bool]string{true: "too long", false: "too short"}[r.Bias50 >= 0])
}
