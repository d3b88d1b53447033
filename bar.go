package presso

import "time"

// Bar is one coffee bar at one event: the tenant. Everything an order
// touches (menu, numbers, codes, queue, channels) is scoped by its ID.
type Bar struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Open       bool       `json:"open"`
	SignInMode string     `json:"signInMode"` // "name" or "code"
	Timezone   string     `json:"timezone"`
	DailyReset bool       `json:"dailyReset"` // order numbers restart each local day
	Menu       []MenuItem `json:"menu"`
	Limits     Limits     `json:"limits"`
	Timeouts   Timeouts   `json:"timeouts"`
	// Ended is a bar whose event is over: scans are refused (410
	// bar_ended), its history stays, and it leaves the public home page.
	// An admin can reopen it.
	Ended bool `json:"ended"`
	// Language is the bar's language for its screens ("en", "de", "fr",
	// "es", "ja"); phones use their own when AllowCustomerLanguage is set
	// and presso has it.
	Language              string `json:"language"`
	AllowCustomerLanguage bool   `json:"allowCustomerLanguage"`
	WelcomeText           string `json:"welcomeText"` // shown on the phone above the menu
	PickupText            string `json:"pickupText"`  // shown on the phone when the drink is ready
	// ReadySeconds is how long a ready order stays on the display and the
	// board unless it is collected first.
	ReadySeconds int       `json:"readySeconds"`
	Speak        bool      `json:"speak"` // the display says "Order 12 for Ann is ready" aloud
	CreatedAt    time.Time `json:"-"`
	// QREpoch is what the bar's QR windows are aligned to: the Unix epoch
	// until a rotation ("new code now") moves it to the rotation's time.
	QREpoch time.Time `json:"-"`
}

// Languages are the languages presso's screens speak.
var Languages = []string{"en", "de", "fr", "es", "ja"}

// ReadyFor is how long a ready order stays on the screens: ten minutes
// for bars stored before the setting existed.
func (b *Bar) ReadyFor() time.Duration {
	if b.ReadySeconds <= 0 {
		return 10 * time.Minute
	}
	return time.Duration(b.ReadySeconds) * time.Second
}

// Limits bound how fast a bar can be ordered from.
type Limits struct {
	DrinksPerCode  int `json:"drinksPerCode"`  // redemptions per QR code
	WindowSeconds  int `json:"windowSeconds"`  // how long one QR code lives
	MaxQueue       int `json:"maxQueue"`       // orders waiting for a drink choice or a barista
	MaxPerCustomer int `json:"maxPerCustomer"` // per bar-local day; cancelled and timed-out orders don't count
}

// Timeouts are the named waits of the order workflow.
type Timeouts struct {
	CustomerSeconds int `json:"customerSeconds"` // to choose a drink
	BaristaSeconds  int `json:"baristaSeconds"`  // to complete it once numbered
}

// MenuItem is a drink on the menu.
type MenuItem struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Icon      string          `json:"icon"`
	Available bool            `json:"available"`
	Modifiers []ModifierGroup `json:"modifiers"`
}

// ModifierGroup is a choice of exactly one option, such as the milk.
type ModifierGroup struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Default string   `json:"default"`
	Options []Option `json:"options"`
}

// Option is one choice within a modifier group.
type Option struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Location returns the bar's time zone, UTC if it is unset or unknown.
func (b *Bar) Location() *time.Location {
	if loc, err := time.LoadLocation(b.Timezone); err == nil && b.Timezone != "" {
		return loc
	}
	return time.UTC
}

// Day is the bar-local calendar day of t, as "2006-01-02".
func (b *Bar) Day(t time.Time) string { return t.In(b.Location()).Format(time.DateOnly) }

// NextDay is the start of the bar-local day after t.
func (b *Bar) NextDay(t time.Time) time.Time {
	l := t.In(b.Location())
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, l.Location())
}

// CustomerTimeout and BaristaTimeout are the workflow's waits as durations.
func (b *Bar) CustomerTimeout() time.Duration {
	return time.Duration(b.Timeouts.CustomerSeconds) * time.Second
}

func (b *Bar) BaristaTimeout() time.Duration {
	return time.Duration(b.Timeouts.BaristaSeconds) * time.Second
}
