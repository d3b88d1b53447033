package config_test

import (
	"errors"
	"strings"
	"testing"

	"presso"
	"presso/config"
)

func field(err error) string {
	var pe *presso.Error
	if errors.As(err, &pe) && pe.Kind == presso.KindInvalid {
		return pe.Field
	}
	if err == nil {
		return "<nil>"
	}
	return "not invalid: " + err.Error()
}

func TestResolveDrink(t *testing.T) {
	bar := config.DemoBar()
	bar.Menu[2].Available = false // cappuccino
	cases := []struct {
		name, drink string
		mods        map[string]string
		wantField   string
		wantMods    string
	}{
		{"defaults", "flat-white", nil, "<nil>", "milk=regular"},
		{"oat", "flat-white", map[string]string{"milk": "oat"}, "<nil>", "milk=oat"},
		{"no modifiers", "double-espresso", nil, "<nil>", ""},
		{"unknown drink", "latte", nil, "drink", ""},
		{"unavailable", "cappuccino", nil, "drink", ""},
		{"unknown group", "americano", map[string]string{"sugar": "yes"}, "modifiers.sugar", ""},
		{"unknown option", "americano", map[string]string{"milk": "soy"}, "modifiers.milk", ""},
		{"group on a drink without groups", "single-espresso", map[string]string{"milk": "oat"}, "modifiers.milk", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := config.ResolveDrink(bar, c.drink, c.mods)
			if got := field(err); got != c.wantField {
				t.Fatalf("ResolveDrink(%s, %v) error field = %q, want %q", c.drink, c.mods, got, c.wantField)
			}
			if err != nil {
				return
			}
			got := ""
			for _, m := range d.Modifiers {
				got += m.Group + "=" + m.Option
			}
			if got != c.wantMods || d.ID != c.drink {
				t.Fatalf("ResolveDrink(%s) = %s %q, want %q", c.drink, d.ID, got, c.wantMods)
			}
		})
	}
}

func TestPatchApply(t *testing.T) {
	ptr := func(v int) *int { return &v }
	str := func(v string) *string { return &v }
	cases := []struct {
		name      string
		patch     config.Patch
		wantField string
		check     func(*presso.Bar) bool
	}{
		{"one limit keeps the others", config.Patch{Limits: &config.LimitsPatch{MaxQueue: ptr(50)}}, "<nil>",
			func(b *presso.Bar) bool {
				return b.Limits == presso.Limits{DrinksPerCode: 10, WindowSeconds: 300, MaxQueue: 50, MaxPerCustomer: 1}
			}},
		{"one timeout keeps the other", config.Patch{Timeouts: &config.TimeoutsPatch{CustomerSeconds: ptr(60)}}, "<nil>",
			func(b *presso.Bar) bool {
				return b.Timeouts == presso.Timeouts{CustomerSeconds: 60, BaristaSeconds: 900}
			}},
		{"explicit zero is refused", config.Patch{Limits: &config.LimitsPatch{MaxQueue: ptr(0)}}, "limits.maxQueue", nil},
		{"empty time zone is refused", config.Patch{Timezone: str("")}, "timezone", nil},
		{"unknown time zone", config.Patch{Timezone: str("Mars/Olympus")}, "timezone", nil},
		{"time zone", config.Patch{Timezone: str("Europe/Lisbon")}, "<nil>", func(b *presso.Bar) bool { return b.Timezone == "Europe/Lisbon" }},
		{"bad sign-in mode", config.Patch{SignInMode: str("magic")}, "signInMode", nil},
		{"menu default not an option", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Available: true,
			Modifiers: []presso.ModifierGroup{{ID: "milk", Name: "Milk", Default: "soy", Options: []presso.Option{{ID: "regular", Name: "Regular"}}}}}}},
			"menu.latte.modifiers.milk.default", nil},
		{"menu icon not a name", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Icon: "../latte.svg", Available: true}}},
			"menu.latte.icon", nil},
		{"menu group name too long", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Available: true,
			Modifiers: []presso.ModifierGroup{{ID: "milk", Name: strings.Repeat("m", 101), Options: []presso.Option{{ID: "regular", Name: "Regular"}}}}}}},
			"menu.latte.modifiers.milk", nil},
		{"menu option name too long", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Available: true,
			Modifiers: []presso.ModifierGroup{{ID: "milk", Name: "Milk", Options: []presso.Option{{ID: "regular", Name: strings.Repeat("r", 101)}}}}}}},
			"menu.latte.modifiers.milk", nil},
		{"menu icon empty", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Available: true}}},
			"<nil>", func(b *presso.Bar) bool { return b.Menu[0].Icon == "" }},
		{"menu default filled in", config.Patch{Menu: &[]presso.MenuItem{{ID: "latte", Name: "Latte", Available: true,
			Modifiers: []presso.ModifierGroup{{ID: "milk", Name: "Milk", Options: []presso.Option{{ID: "regular", Name: "Regular"}}}}}}},
			"<nil>", func(b *presso.Bar) bool { return b.Menu[0].Modifiers[0].Default == "regular" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := config.DemoBar()
			err := c.patch.Apply(b)
			if got := field(err); got != c.wantField {
				t.Fatalf("Apply error field = %q, want %q", got, c.wantField)
			}
			if c.check != nil && !c.check(b) {
				t.Fatalf("bar after Apply = %+v", b)
			}
		})
	}
}

func TestValidateDemo(t *testing.T) {
	b := config.DemoBar()
	if err := config.Validate(b); err != nil {
		t.Fatalf("the demo bar is invalid: %v", err)
	}
	names := []string{}
	for _, d := range b.Menu {
		names = append(names, d.Name)
	}
	want := []string{"Americano", "Flat White", "Cappuccino", "Single Espresso", "Double Espresso"}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("demo menu = %v, want %v", names, want)
		}
	}
	b.ID = "Bad Id"
	if got := field(config.Validate(b)); got != "id" {
		t.Fatalf("bad id field = %q", got)
	}
}
