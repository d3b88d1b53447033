package config

import (
	"context"
	"reflect"
	"time"

	"presso"
	"presso/store"
)

// setting is one bar setting a "bar.update" audit row compares.
type setting struct {
	name string // as in a PATCH
	get  func(*presso.Bar) any
}

// settings are the bar settings a "bar.update" audit row compares. Open,
// ended and the menu have rows of their own.
func settings() []setting {
	return []setting{
		{"name", func(b *presso.Bar) any { return b.Name }},
		{"signInMode", func(b *presso.Bar) any { return b.SignInMode }},
		{"timezone", func(b *presso.Bar) any { return b.Timezone }},
		{"dailyReset", func(b *presso.Bar) any { return b.DailyReset }},
		{"limits.drinksPerCode", func(b *presso.Bar) any { return b.Limits.DrinksPerCode }},
		{"limits.windowSeconds", func(b *presso.Bar) any { return b.Limits.WindowSeconds }},
		{"limits.maxQueue", func(b *presso.Bar) any { return b.Limits.MaxQueue }},
		{"limits.maxPerCustomer", func(b *presso.Bar) any { return b.Limits.MaxPerCustomer }},
		{"timeouts.customerSeconds", func(b *presso.Bar) any { return b.Timeouts.CustomerSeconds }},
		{"timeouts.baristaSeconds", func(b *presso.Bar) any { return b.Timeouts.BaristaSeconds }},
		{"language", func(b *presso.Bar) any { return b.Language }},
		{"allowCustomerLanguage", func(b *presso.Bar) any { return b.AllowCustomerLanguage }},
		{"welcomeText", func(b *presso.Bar) any { return b.WelcomeText }},
		{"pickupText", func(b *presso.Bar) any { return b.PickupText }},
		{"readySeconds", func(b *presso.Bar) any { return b.ReadySeconds }},
		{"speak", func(b *presso.Bar) any { return b.Speak }},
	}
}

// changeRows are the audit rows of a bar's change from before to after:
// one per kind of change (settings, open, ended, menu), none when nothing
// changed.
func changeRows(who presso.Identity, now time.Time, before, after *presso.Bar) []store.AuditRow {
	var rows []store.AuditRow
	row := func(action string, b, a map[string]any) {
		rows = append(rows, store.Audit(who, now, action, after.ID, after.ID, b, a))
	}
	b, a := map[string]any{}, map[string]any{}
	for _, s := range settings() {
		if x, y := s.get(before), s.get(after); x != y {
			b[s.name], a[s.name] = x, y
		}
	}
	if len(a) > 0 {
		row("bar.update", b, a)
	}
	switch {
	case !before.Open && after.Open:
		row("bar.open", map[string]any{"open": false}, map[string]any{"open": true})
	case before.Open && !after.Open:
		row("bar.close", map[string]any{"open": true}, map[string]any{"open": false})
	}
	switch {
	case !before.Ended && after.Ended:
		row("bar.end", map[string]any{"ended": false}, map[string]any{"ended": true})
	case before.Ended && !after.Ended:
		row("bar.reopen", map[string]any{"ended": true}, map[string]any{"ended": false})
	}
	if !reflect.DeepEqual(before.Menu, after.Menu) {
		row("menu.save", map[string]any{"drinks": drinkIDs(before.Menu)}, map[string]any{"drinks": drinkIDs(after.Menu)})
	}
	return rows
}

func drinkIDs(menu []presso.MenuItem) []string {
	ids := make([]string, len(menu))
	for i, d := range menu {
		ids[i] = d.ID
	}
	return ids
}

// Audit lists a bar's audit rows (eventID "*": every row), newest first,
// for admins.
func (s *Service) Audit(ctx context.Context, who presso.Identity, eventID string, before int64, limit int) ([]store.AuditRow, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can read the audit")
	}
	if limit < 1 || limit > 500 {
		return nil, presso.Invalid("limit", "limit must be between 1 and 500")
	}
	if before < 0 {
		return nil, presso.Invalid("before", "before must be a seq from an earlier page")
	}
	if eventID != "*" {
		if _, err := s.db.GetBar(ctx, eventID); err != nil {
			return nil, err
		}
	}
	return s.db.ListAudit(ctx, eventID, before, limit)
}
