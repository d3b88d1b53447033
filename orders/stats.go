package orders

import (
	"context"
	"time"

	"presso"
	"presso/store"
)

// MaxStatsWindow is the longest window the stats and the CSV export read:
// a week of hours is as much as one page should draw.
const MaxStatsWindow = 7 * 24 * time.Hour

// BarStats are a bar's figures for a window of its orders, as the stats
// page and GET /api/events/{event}/stats show them: store.Stats with the
// window and the moment they were read.
type BarStats struct {
	EventID  string    `json:"eventId"`
	Timezone string    `json:"timezone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	At       time.Time `json:"at"`
	*store.Stats
}

// DayStart is the first instant of the bar-local day of t.
func DayStart(bar *presso.Bar, t time.Time) time.Time {
	l := t.In(bar.Location())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
}

// checkWindow refuses a window that is empty, reversed or too long.
func checkWindow(from, to time.Time) error {
	switch {
	case !to.After(from):
		return presso.Invalid("to", "to must be after from")
	case to.Sub(from) > MaxStatsWindow:
		return presso.Invalid("to", "the window can be at most %d days", int(MaxStatsWindow/(24*time.Hour)))
	}
	return nil
}

// Stats returns the bar's figures for its orders redeemed in [from, to),
// for its staff.
func (p *Processor) Stats(ctx context.Context, who presso.Identity, bar *presso.Bar, from, to time.Time) (*BarStats, error) {
	if !who.StaffOf(bar.ID) {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of this bar can see its stats")
	}
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	now := p.now()
	st, err := p.db.BarStats(ctx, store.StatsQuery{EventID: bar.ID, From: from, To: to, Loc: bar.Location(), Now: now, ReadyFor: bar.ReadyFor()})
	if err != nil {
		return nil, err
	}
	return &BarStats{EventID: bar.ID, Timezone: bar.Location().String(), From: from.UTC(), To: to.UTC(), At: now.UTC(), Stats: st}, nil
}

// Export returns the bar's orders redeemed in [from, to), oldest first,
// for its staff: the rows of the CSV export.
func (p *Processor) Export(ctx context.Context, who presso.Identity, bar *presso.Bar, from, to time.Time) ([]*presso.Order, error) {
	if !who.StaffOf(bar.ID) {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of this bar can export its orders")
	}
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	return p.db.OrdersBetween(ctx, bar.ID, from, to)
}
