package orders

import (
	"context"
	"slices"
	"sync"
	"time"

	"presso"
	"presso/store"
)

// The wait estimate: when a queued or making order should be ready, from
// the bar's recent pace. It is shown to the customer ("about 4 min") and on
// the display, so it must be honest; presso load measures it against the
// real ready times.
//
// The pace is read from the bar's completions of the last estimateWindow
// (at most estimateSamples of them, newest first):
//
//   - rate: completions per time while the bar was working: the mean gap
//     between one completion and the next, leaving out gaps over
//     idleGaps times the median one (the bar stood idle, or closed);
//   - make: the nearest-rank median of their make times (make → complete),
//     and per drink where it has at least estimateMinDrink of them;
//   - baristas: how many different baristas made them.
//
// With fewer than estimateMinSamples made completions there is no estimate.
// An order being made should be ready its drink's make time after it was
// started (now, if that has passed). A queued order starts at once if a
// barista is free for it (baristas minus those making, more than the
// queued orders ahead of it); otherwise after the slots it waits for, ahead
// + 1 - idle, each freed at the bar's rate. It is ready its drink's make
// time after it starts. All of it is integer milliseconds, so a scripted
// queue gives an exact answer on any machine.
const (
	estimateWindow     = 15 * time.Minute
	estimateSamples    = 200
	estimateMinSamples = 5
	estimateMinDrink   = 3
	idleGaps           = 10
	// paceTTL is how long a bar's measured pace is reused: a busy bar's
	// orders share one reading of its completions a second.
	paceTTL = time.Second
)

// pace is a bar's recent pace, as the estimate uses it.
type pace struct {
	at       time.Time // when it was measured
	ok       bool      // enough data to estimate with
	doneN    int64     // gaps between completions in the rate
	spanMS   int64     // their total length
	makeMS   int64     // median make time
	byDrink  map[string]int64
	baristas int
}

// measurePace works out the pace from a bar's recent completions.
func measurePace(now time.Time, recent []store.Completion) pace {
	pc := pace{at: now, byDrink: map[string]int64{}}
	var makes, finished []int64
	drinks := map[string][]int64{}
	baristas := map[string]bool{}
	for _, c := range recent {
		finished = append(finished, c.FinishedAt.UnixMilli())
		if c.MadeAt == nil {
			continue
		}
		d := c.FinishedAt.Sub(*c.MadeAt).Milliseconds()
		makes = append(makes, d)
		drinks[c.Drink] = append(drinks[c.Drink], d)
		baristas[c.BaristaID] = true
	}
	pc.doneN, pc.spanMS = workingGaps(finished)
	if len(makes) < estimateMinSamples || pc.doneN == 0 || pc.spanMS == 0 {
		return pc
	}
	slices.Sort(makes)
	pc.ok, pc.makeMS, pc.baristas = true, store.Percentile(makes, 50), len(baristas)
	for id, ds := range drinks {
		if len(ds) >= estimateMinDrink {
			slices.Sort(ds)
			pc.byDrink[id] = store.Percentile(ds, 50)
		}
	}
	return pc
}

// workingGaps are the gaps between consecutive completions (times in ms)
// while the bar was working, as a count and a total: a gap over idleGaps
// times the median gap (at least a second) is the bar standing idle, and
// left out.
func workingGaps(finished []int64) (n, total int64) {
	if len(finished) < 2 {
		return 0, 0
	}
	slices.Sort(finished)
	gaps := make([]int64, len(finished)-1)
	for i := range gaps {
		gaps[i] = finished[i+1] - finished[i]
	}
	sorted := slices.Sorted(slices.Values(gaps))
	limit := max(idleGaps*store.Percentile(sorted, 50), 1000)
	for _, g := range gaps {
		if g <= limit {
			n, total = n+1, total+g
		}
	}
	return n, total
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// makeFor is the make time of the order's drink.
func (pc pace) makeFor(o *presso.Order) time.Duration {
	ms := pc.makeMS
	if o.Drink != nil {
		if d, ok := pc.byDrink[o.Drink.ID]; ok {
			ms = d
		}
	}
	return time.Duration(ms) * time.Millisecond
}

// readyAt is the estimate for o, given the work in front of it, or nil.
func (pc pace) readyAt(o *presso.Order, l store.Load, now time.Time) *time.Time {
	if !pc.ok {
		return nil
	}
	var t time.Time
	switch o.State {
	case presso.StateMaking:
		if o.MadeAt == nil {
			return nil
		}
		t = maxTime(o.MadeAt.Add(pc.makeFor(o)), now)
	case presso.StateQueued:
		idle := max(pc.baristas-l.Making, 0)
		slots := int64(max(l.Ahead+1-idle, 0))
		start := now.Add(time.Duration(slots*pc.spanMS/pc.doneN) * time.Millisecond)
		t = start.Add(pc.makeFor(o))
	default:
		return nil
	}
	t = t.Truncate(time.Millisecond).UTC()
	return &t
}

// estimator keeps each bar's pace for paceTTL. Its zero value is ready.
type estimator struct {
	mu    sync.Mutex
	paces map[string]pace
}

// reader is what an estimate reads from: the read pool (*store.DB) or,
// inside a transition, its transaction (*store.Tx), which on PostgreSQL
// must not wait for a second connection of the pool.
type reader interface {
	RecentCompletions(ctx context.Context, eventID string, since time.Time, limit int) ([]store.Completion, error)
	QueueLoad(ctx context.Context, o *presso.Order) (store.Load, error)
}

// pace returns the bar's pace at now, measured again when it is older
// than paceTTL.
func (e *estimator) pace(ctx context.Context, r reader, eventID string, now time.Time) (pace, error) {
	e.mu.Lock()
	pc, ok := e.paces[eventID]
	e.mu.Unlock()
	if ok && !now.Before(pc.at) && now.Sub(pc.at) < paceTTL {
		return pc, nil
	}
	recent, err := r.RecentCompletions(ctx, eventID, now.Add(-estimateWindow), estimateSamples)
	if err != nil {
		return pace{}, err
	}
	pc = measurePace(now, recent)
	e.mu.Lock()
	if e.paces == nil {
		e.paces = map[string]pace{}
	}
	e.paces[eventID] = pc
	e.mu.Unlock()
	return pc, nil
}

// estimate sets o's EstimatedReadyAt (nil unless it is queued or making
// and the bar has the data), reading through r.
func (p *Processor) estimate(ctx context.Context, r reader, o *presso.Order, now time.Time) error {
	o.EstimatedReadyAt = nil
	if o.State != presso.StateQueued && o.State != presso.StateMaking {
		return nil
	}
	pc, err := p.est.pace(ctx, r, o.EventID, now)
	if err != nil || !pc.ok {
		return err
	}
	var l store.Load
	if o.State == presso.StateQueued {
		if l, err = r.QueueLoad(ctx, o); err != nil {
			return err
		}
	}
	o.EstimatedReadyAt = pc.readyAt(o, l, now)
	return nil
}

// Estimate sets the EstimatedReadyAt of a queued or making order as of
// now (see the top of estimate.go).
func (p *Processor) Estimate(ctx context.Context, o *presso.Order) error {
	return p.estimate(ctx, p.db, o, p.now())
}

// estimateList sets the estimates of a bar's orders as ListOrders returns
// them, the active ones first in the order they were queued, so the work
// in front of each is counted from the list itself.
func (p *Processor) estimateList(ctx context.Context, eventID string, list []*presso.Order) error {
	now := p.now()
	var l store.Load
	for _, o := range list {
		if o.State == presso.StateMaking {
			l.Making++
		}
	}
	var pc pace
	for _, o := range list {
		o.EstimatedReadyAt = nil
		if o.State != presso.StateQueued && o.State != presso.StateMaking {
			continue
		}
		if !pc.ok && pc.at.IsZero() {
			var err error
			if pc, err = p.est.pace(ctx, p.db, eventID, now); err != nil {
				return err
			}
		}
		load := l
		if o.State == presso.StateMaking {
			load = store.Load{}
		}
		o.EstimatedReadyAt = pc.readyAt(o, load, now)
		if o.State == presso.StateQueued {
			l.Ahead++
		}
	}
	return nil
}
