package orders

import (
	"context"
	"log/slog"
	"time"

	"presso"
	"presso/metrics"
	"presso/store"
)

// Instrument makes the processor count its transitions and late deadlines
// in m. Call it before the processor is used; without it nothing is
// counted.
func (p *Processor) Instrument(m *metrics.Metrics) { p.metrics = m }

// previousStep notes, inside the transition's transaction, when the order's
// last step happened, for the log line. A new order has none.
func (p *Processor) previousStep(ctx context.Context, tx *store.Tx, c *change) error {
	if c.before.State == Initial || !p.log.Enabled(ctx, slog.LevelInfo) {
		return nil
	}
	at, ok, err := tx.StepAt(ctx, c.before.ID, c.before.Version)
	if ok {
		c.prevAt = &at
	}
	return err
}

// observe tells of a committed transition: one log line at info, with the
// bar, the order's number, the trigger, the new state and the time since
// the previous step (never the customer's name), and the metrics.
func (p *Processor) observe(ctx context.Context, c *change) {
	p.metrics.Transition(string(c.tr.On), c.before.State, c.after.State)
	if c.tr.On == TriggerTimeout && c.before.Deadline != nil {
		p.metrics.DeadlineLate(c.now.Sub(*c.before.Deadline))
	}
	if !p.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{slog.String("bar", c.after.EventID), slog.Int64("number", c.after.Number),
		slog.String("trigger", string(c.tr.On)), slog.String("state", string(c.after.State))}
	if c.prevAt != nil {
		attrs = append(attrs, slog.Int64("since_ms", c.now.Sub(*c.prevAt).Milliseconds()))
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "order transition", attrs...)
}

// RunSummary logs one line per open bar every interval until ctx ends:
// today's orders (bar-local day), how many are in flight and their median
// wait so far.
func (p *Processor) RunSummary(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.summarize(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("bar summary", "err", err)
		}
	}
}

func (p *Processor) summarize(ctx context.Context) error {
	bars, err := p.db.ListBars(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	for _, b := range bars {
		if !b.Open || b.Ended {
			continue
		}
		st, err := p.db.BarStats(ctx, store.StatsQuery{EventID: b.ID, From: DayStart(b, now), To: now.Add(time.Millisecond),
			Loc: b.Location(), Now: now, ReadyFor: b.ReadyFor()})
		if err != nil {
			return err
		}
		inFlight := st.Counts[presso.StateWaiting] + st.Counts[presso.StateQueued] + st.Counts[presso.StateMaking]
		attrs := []slog.Attr{slog.String("bar", b.ID), slog.Int("orders", st.Funnel.Redeemed), slog.Int("in_flight", inFlight)}
		if w := st.Wait.Overall.P50; w != nil {
			attrs = append(attrs, slog.Int64("median_wait_ms", *w))
		}
		p.log.LogAttrs(ctx, slog.LevelInfo, "bar summary", attrs...)
	}
	return nil
}
