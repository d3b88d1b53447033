// Package config is the config service: bars, their menus with modifier
// groups and availability, whether the store is open, limits, timeouts and
// time zone. Every change is written together with a
// ConfigService.ConfigChanged event in one transaction.
package config

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"presso"
	"presso/store"
)

// Service reads and changes bar configuration.
type Service struct {
	db     *store.DB
	now    func() time.Time
	notify func() // forgets the cached bars and tells the relay an event is waiting
	bars   *barCache
}

// New returns a config service. notify is called after each committed change.
func New(db *store.DB, now func() time.Time, notify func()) *Service {
	s := &Service{db: db, now: now, bars: newBarCache(barCacheTTL)}
	s.notify = func() {
		s.bars.forget("") // read-your-writes on this replica, whatever changed
		if notify != nil {
			notify()
		}
	}
	return s
}

var (
	idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// Defaults fills every unset setting with the original's values.
func Defaults(b *presso.Bar) {
	b.SignInMode = cmp.Or(b.SignInMode, "code")
	b.Timezone = cmp.Or(b.Timezone, "UTC")
	if b.Menu == nil {
		b.Menu = DefaultMenu()
	}
	b.Limits.DrinksPerCode = cmp.Or(b.Limits.DrinksPerCode, 10)
	b.Limits.WindowSeconds = cmp.Or(b.Limits.WindowSeconds, 300)
	b.Limits.MaxQueue = cmp.Or(b.Limits.MaxQueue, 20)
	b.Limits.MaxPerCustomer = cmp.Or(b.Limits.MaxPerCustomer, 1)
	b.Timeouts.CustomerSeconds = cmp.Or(b.Timeouts.CustomerSeconds, 300)
	b.Timeouts.BaristaSeconds = cmp.Or(b.Timeouts.BaristaSeconds, 900)
	b.Language = cmp.Or(b.Language, "en")
	b.ReadySeconds = cmp.Or(b.ReadySeconds, 600)
	fillMenuDefaults(b.Menu)
}

// fillMenuDefaults makes a modifier group's first option its default when
// none is named.
func fillMenuDefaults(menu []presso.MenuItem) {
	for i := range menu {
		for j := range menu[i].Modifiers {
			g := &menu[i].Modifiers[j]
			if g.Default == "" && len(g.Options) > 0 {
				g.Default = g.Options[0].ID
			}
			if g.Options == nil {
				g.Options = []presso.Option{}
			}
		}
		if menu[i].Modifiers == nil {
			menu[i].Modifiers = []presso.ModifierGroup{}
		}
	}
}

// DefaultMenu is the original V3 menu with "Singe Espresso" spelled right.
func DefaultMenu() []presso.MenuItem {
	milk := func() []presso.ModifierGroup {
		return []presso.ModifierGroup{{ID: "milk", Name: "Milk", Default: "regular",
			Options: []presso.Option{{ID: "regular", Name: "Regular"}, {ID: "oat", Name: "Oat"}}}}
	}
	return []presso.MenuItem{
		{ID: "americano", Name: "Americano", Icon: "americano", Available: true, Modifiers: milk()},
		{ID: "flat-white", Name: "Flat White", Icon: "flat-white", Available: true, Modifiers: milk()},
		{ID: "cappuccino", Name: "Cappuccino", Icon: "cappuccino", Available: true, Modifiers: milk()},
		{ID: "single-espresso", Name: "Single Espresso", Icon: "espresso", Available: true, Modifiers: []presso.ModifierGroup{}},
		{ID: "double-espresso", Name: "Double Espresso", Icon: "espresso", Available: true, Modifiers: []presso.ModifierGroup{}},
	}
}

// DemoBar is the bar created on first start: open, name sign-in, the
// default menu.
func DemoBar() *presso.Bar {
	b := &presso.Bar{ID: "demo", Name: "Demo bar", Open: true, SignInMode: "name", AllowCustomerLanguage: true}
	Defaults(b)
	return b
}

// Validate checks a whole bar and names the first bad field.
func Validate(b *presso.Bar) error {
	if !idPattern.MatchString(b.ID) {
		return presso.Invalid("id", "id must be 1-32 lower-case letters, digits, '-' or '_', starting with a letter or digit")
	}
	if b.Name == "" || len(b.Name) > 100 {
		return presso.Invalid("name", "name must be 1-100 characters")
	}
	if b.SignInMode != "name" && b.SignInMode != "code" {
		return presso.Invalid("signInMode", "signInMode must be \"name\" or \"code\"")
	}
	if _, err := time.LoadLocation(b.Timezone); err != nil || b.Timezone == "" || b.Timezone == "Local" {
		return presso.Invalid("timezone", "timezone %q is not an IANA time zone", b.Timezone)
	}
	checks := []struct {
		field    string
		v        int
		min, max int
	}{
		{"limits.drinksPerCode", b.Limits.DrinksPerCode, 1, 10000},
		{"limits.windowSeconds", b.Limits.WindowSeconds, 10, 86400},
		{"limits.maxQueue", b.Limits.MaxQueue, 1, 100000},
		{"limits.maxPerCustomer", b.Limits.MaxPerCustomer, 1, 1000},
		{"timeouts.customerSeconds", b.Timeouts.CustomerSeconds, 1, 86400},
		{"timeouts.baristaSeconds", b.Timeouts.BaristaSeconds, 1, 86400},
		{"readySeconds", b.ReadySeconds, 10, 86400},
	}
	for _, c := range checks {
		if c.v < c.min || c.v > c.max {
			return presso.Invalid(c.field, "%s must be between %d and %d", c.field, c.min, c.max)
		}
	}
	if !slices.Contains(presso.Languages, b.Language) {
		return presso.Invalid("language", "language must be one of %s", strings.Join(presso.Languages, ", "))
	}
	for _, t := range []struct{ field, v string }{{"welcomeText", b.WelcomeText}, {"pickupText", b.PickupText}} {
		if utf8.RuneCountInString(t.v) > 500 {
			return presso.Invalid(t.field, "%s must be at most 500 characters", t.field)
		}
	}
	return validateMenu(b.Menu)
}

func validateMenu(menu []presso.MenuItem) error {
	if len(menu) > 100 {
		return presso.Invalid("menu", "a menu has at most 100 drinks")
	}
	drinks := map[string]bool{}
	for _, d := range menu {
		f := "menu." + d.ID
		if !idPattern.MatchString(d.ID) {
			return presso.Invalid("menu", "drink id %q must be 1-32 lower-case letters, digits, '-' or '_'", d.ID)
		}
		if drinks[d.ID] {
			return presso.Invalid(f, "drink id %q appears twice", d.ID)
		}
		drinks[d.ID] = true
		if d.Name == "" || len(d.Name) > 100 {
			return presso.Invalid(f+".name", "drink %q needs a name of 1-100 characters", d.ID)
		}
		if d.Icon != "" && !idPattern.MatchString(d.Icon) {
			return presso.Invalid(f+".icon", "the icon of %q is a name such as \"flat-white\" (or empty)", d.ID)
		}
		groups := map[string]bool{}
		for _, g := range d.Modifiers {
			gf := f + ".modifiers." + g.ID
			if !idPattern.MatchString(g.ID) || groups[g.ID] {
				return presso.Invalid(f+".modifiers", "modifier group id %q is missing, malformed or repeated", g.ID)
			}
			groups[g.ID] = true
			if g.Name == "" || len(g.Name) > 100 || len(g.Options) == 0 || len(g.Options) > 50 {
				return presso.Invalid(gf, "modifier group %q needs a name of 1-100 characters and 1-50 options", g.ID)
			}
			opts := map[string]bool{}
			for _, o := range g.Options {
				if !idPattern.MatchString(o.ID) || opts[o.ID] || o.Name == "" || len(o.Name) > 100 {
					return presso.Invalid(gf, "option %q of group %q is missing, malformed or repeated", o.ID, g.ID)
				}
				opts[o.ID] = true
			}
			if !opts[g.Default] {
				return presso.Invalid(gf+".default", "default %q of group %q is not one of its options", g.Default, g.ID)
			}
		}
	}
	return nil
}

// ResolveDrink checks a customer's choice against the menu: the drink must
// exist and be available, and each modifier must name a group of that drink
// and one of its options. Groups left out take their default.
func ResolveDrink(bar *presso.Bar, drinkID string, mods map[string]string) (*presso.Drink, error) {
	var item *presso.MenuItem
	for i := range bar.Menu {
		if bar.Menu[i].ID == drinkID {
			item = &bar.Menu[i]
		}
	}
	if item == nil {
		return nil, presso.Invalid("drink", "%q is not on the menu", drinkID)
	}
	if !item.Available {
		return nil, presso.Invalid("drink", "%s is not available right now", item.Name)
	}
	for g := range mods {
		found := false
		for _, mg := range item.Modifiers {
			found = found || mg.ID == g
		}
		if !found {
			return nil, presso.Invalid("modifiers."+g, "%s has no modifier %q", item.Name, g)
		}
	}
	d := &presso.Drink{ID: item.ID, Name: item.Name, Icon: item.Icon, Modifiers: []presso.Modifier{}}
	for _, g := range item.Modifiers {
		choice, ok := mods[g.ID]
		if !ok {
			choice = g.Default
		}
		var opt *presso.Option
		for i := range g.Options {
			if g.Options[i].ID == choice {
				opt = &g.Options[i]
			}
		}
		if opt == nil {
			return nil, presso.Invalid("modifiers."+g.ID, "%q is not an option of %s", choice, g.Name)
		}
		d.Modifiers = append(d.Modifiers, presso.Modifier{Group: g.ID, GroupName: g.Name, Option: opt.ID, OptionName: opt.Name})
	}
	return d, nil
}
