package config

import (
	"context"
	"fmt"
	"time"

	"presso"
	"presso/store"
	"presso/validator"
)

// Copy creates bar id called name with every setting and the menu of the
// bar from, but none of its orders, numbers or codes. The copy is not
// ended, and open only if open says so.
func (s *Service) Copy(ctx context.Context, who presso.Identity, from, id, name string, open bool) (*presso.Bar, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can create a bar")
	}
	src, err := s.db.GetBar(ctx, from)
	if presso.IsKind(err, presso.KindNotFound) {
		return nil, presso.Invalid("copyFrom", "there is no bar %q to copy", from)
	}
	if err != nil {
		return nil, err
	}
	stored(src)
	b := *src
	b.ID, b.Name, b.Open, b.Ended = id, name, open, false
	b.Menu = cloneMenu(src.Menu)
	b.QREpoch, b.CreatedAt = presso.Bar{}.QREpoch, presso.Bar{}.CreatedAt
	return s.create(ctx, who, &b, from)
}

// cloneMenu copies a menu deeply, so the copy shares no slice with the
// original.
func cloneMenu(menu []presso.MenuItem) []presso.MenuItem {
	out := make([]presso.MenuItem, len(menu))
	for i, d := range menu {
		out[i] = d
		out[i].Modifiers = make([]presso.ModifierGroup, len(d.Modifiers))
		for j, g := range d.Modifiers {
			out[i].Modifiers[j] = g
			out[i].Modifiers[j].Options = append([]presso.Option{}, g.Options...)
		}
	}
	return out
}

// SetAvailable marks one drink of the bar available or not: admins, and
// the bar's baristas, who may change nothing else of the menu. Orders that
// hold the drink keep it.
func (s *Service) SetAvailable(ctx context.Context, who presso.Identity, id, drink string, available bool) (*presso.Bar, error) {
	what := fmt.Sprintf("set %s available at %s", drink, id)
	return s.changeBar(ctx, id, ReasonMenu, what, func(tx *store.Tx, b *presso.Bar, now time.Time) error {
		if !who.BaristaOf(id) {
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin or a barista of %s can change what is available", b.Name)
		}
		i := -1
		for j := range b.Menu {
			if b.Menu[j].ID == drink {
				i = j
			}
		}
		if i < 0 {
			return presso.NotFound("drink " + drink)
		}
		was := b.Menu[i].Available
		b.Menu[i].Available = available
		if err := tx.UpdateBar(ctx, b, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.Audit(who, now, "menu.availability", id, drink,
			map[string]any{"available": was}, map[string]any{"available": available}))
	})
}

// changeBar runs change on bar id in one transaction and announces the
// changed bar there with a ConfigChanged for reason; what names the change
// in an error. Once committed, the relay is woken.
func (s *Service) changeBar(ctx context.Context, id, reason, what string, change func(tx *store.Tx, b *presso.Bar, now time.Time) error) (*presso.Bar, error) {
	var out *presso.Bar
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		b, err := tx.GetBar(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if err := change(tx, b, now); err != nil {
			return err
		}
		out = b
		return tx.AppendOutbox(ctx, Changed(b, now, reason), "")
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s.notify()
	stored(out)
	return out, nil
}

// Listed is a bar as an admin's list shows it: its state and today's
// orders by state.
type Listed struct {
	*presso.Bar
	State string               `json:"state"` // "open", "closed" or "ended"
	Today map[presso.State]int `json:"today"`
}

// ListFor returns the bars who may see in a list: every bar for admins,
// the bars that are not ended for anyone else.
func (s *Service) ListFor(ctx context.Context, who presso.Identity) ([]*presso.Bar, error) {
	bars, err := s.List(ctx)
	if err != nil || who.Role == presso.RoleAdmin {
		return bars, err
	}
	live := []*presso.Bar{}
	for _, b := range bars {
		if !b.Ended {
			live = append(live, b)
		}
	}
	return live, nil
}

// ListCounts returns every bar with its state and today's counts (in its
// own time zone), for admins.
func (s *Service) ListCounts(ctx context.Context, who presso.Identity) ([]Listed, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can see every bar's counts")
	}
	bars, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(bars))
	now := s.now()
	for _, b := range bars {
		counts, err := s.db.DayCounts(ctx, b.ID, b.Day(now))
		if err != nil {
			return nil, err
		}
		today := map[presso.State]int{}
		for _, st := range []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking,
			presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut} {
			today[st] = counts[st]
		}
		out = append(out, Listed{Bar: b, State: State(b), Today: today})
	}
	return out, nil
}

// State is a bar's state as the console shows it: ended, else open or
// closed.
func State(b *presso.Bar) string {
	switch {
	case b.Ended:
		return "ended"
	case b.Open:
		return "open"
	}
	return "closed"
}

// Export is the bar's `presso export`, for admins.
func (s *Service) Export(ctx context.Context, who presso.Identity, id string) (*store.BarExport, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can export a bar")
	}
	return s.db.ExportBar(ctx, id, s.now())
}

// Import writes a `presso export` into this database, for admins. The bar
// must be new here, and its settings valid.
func (s *Service) Import(ctx context.Context, who presso.Identity, x *store.BarExport) error {
	if who.Role != presso.RoleAdmin {
		return presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can import a bar")
	}
	if x.Format != 1 || x.Bar == nil {
		return presso.Invalid("format", "not a presso bar export (format %d)", x.Format)
	}
	stored(x.Bar)
	if err := Validate(x.Bar); err != nil {
		return err
	}
	now := s.now()
	err := s.db.ImportBarAnd(ctx, x, now, func(tx *store.Tx) error {
		return tx.AppendAudit(ctx, store.Audit(who, now, "bar.import", x.Bar.ID, x.Bar.ID, nil,
			map[string]any{"orders": len(x.Orders), "events": len(x.Events)}))
	})
	if err != nil {
		return fmt.Errorf("import bar %s: %w", x.Bar.ID, err)
	}
	return nil
}

// RotateQR ends the bar's current QR window now and starts a new one with
// a fresh code ("new code now"): admins and the bar's baristas. The
// ConfigChanged it sends tells the display to fetch the new code.
func (s *Service) RotateQR(ctx context.Context, who presso.Identity, id string) (*presso.Bar, error) {
	return s.changeBar(ctx, id, ReasonQRRotated, "rotate the code of "+id, func(tx *store.Tx, b *presso.Bar, now time.Time) error {
		if !who.BaristaOf(id) {
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin or a barista of %s can make a new code", b.Name)
		}
		_, oldEnd, c, err := validator.Rotate(ctx, tx, b, now)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.Audit(who, now, "qr.rotate", id, id,
			map[string]any{"windowEnd": oldEnd.UTC()}, map[string]any{"windowStart": c.WindowStart, "windowEnd": c.WindowEnd}))
	})
}
