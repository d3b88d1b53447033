package config

import (
	"context"
	"fmt"
	"time"

	"presso"
	"presso/store"
)

// Get returns a bar, from the cache when it has it (cache.go). The bar is
// the caller's, but its menu is shared: read it, do not change it.
func (s *Service) Get(ctx context.Context, id string) (*presso.Bar, error) {
	now := s.now()
	if b, ok := s.bars.get(id, now); ok {
		return b, nil
	}
	gen := s.bars.begin()
	b, err := s.db.GetBar(ctx, id)
	if err != nil {
		return nil, err
	}
	stored(b)
	s.bars.put(b, gen, now)
	return b, nil
}

// List returns every bar.
func (s *Service) List(ctx context.Context) ([]*presso.Bar, error) {
	bars, err := s.db.ListBars(ctx)
	for _, b := range bars {
		stored(b)
	}
	return bars, err
}

// stored gives a bar saved before a setting existed that setting's default,
// so clients always see a whole bar.
func stored(b *presso.Bar) {
	if b.Language == "" {
		b.Language = "en"
	}
	if b.ReadySeconds == 0 {
		b.ReadySeconds = 600
	}
}

// Create adds a bar. Only admins may.
func (s *Service) Create(ctx context.Context, who presso.Identity, b *presso.Bar) (*presso.Bar, error) {
	return s.create(ctx, who, b, "")
}

// create adds a bar and its audit row; copyFrom names the bar it copies,
// if any, for the audit.
func (s *Service) create(ctx context.Context, who presso.Identity, b *presso.Bar, copyFrom string) (*presso.Bar, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can create a bar")
	}
	Defaults(b)
	if err := Validate(b); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		if err := tx.CreateBar(ctx, b, now); err != nil {
			return err
		}
		after := map[string]any{"name": b.Name}
		if copyFrom != "" {
			after["copyFrom"] = copyFrom
		}
		if err := tx.AppendAudit(ctx, store.Audit(who, now, "bar.create", b.ID, b.ID, nil, after)); err != nil {
			return err
		}
		return tx.AppendOutbox(ctx, Changed(b, now, ReasonConfig), "")
	})
	if err != nil {
		return nil, fmt.Errorf("create bar %s: %w", b.ID, err)
	}
	s.notify()
	return s.Get(ctx, b.ID)
}

// Seed creates the bar unless it exists, for first start.
func (s *Service) Seed(ctx context.Context, b *presso.Bar) error {
	if _, err := s.db.GetBar(ctx, b.ID); err == nil {
		return nil
	}
	_, err := s.Create(ctx, presso.Identity{Kind: "staff", Role: presso.RoleAdmin}, b)
	if presso.IsKind(err, presso.KindConflict) {
		return nil // another replica seeded it first
	}
	return err
}

// Patch is a partial change to a bar; nil fields stay as they are.
type Patch struct {
	Name       *string            `json:"name"`
	Open       *bool              `json:"open"`
	SignInMode *string            `json:"signInMode"`
	Timezone   *string            `json:"timezone"`
	DailyReset *bool              `json:"dailyReset"`
	Menu       *[]presso.MenuItem `json:"menu"`
	Limits     *LimitsPatch       `json:"limits"`
	Timeouts   *TimeoutsPatch     `json:"timeouts"`

	Ended                 *bool   `json:"ended"`
	Language              *string `json:"language"`
	AllowCustomerLanguage *bool   `json:"allowCustomerLanguage"`
	WelcomeText           *string `json:"welcomeText"`
	PickupText            *string `json:"pickupText"`
	ReadySeconds          *int    `json:"readySeconds"`
	Speak                 *bool   `json:"speak"`
}

// LimitsPatch changes some of a bar's limits and keeps the others.
type LimitsPatch struct {
	DrinksPerCode  *int `json:"drinksPerCode"`
	WindowSeconds  *int `json:"windowSeconds"`
	MaxQueue       *int `json:"maxQueue"`
	MaxPerCustomer *int `json:"maxPerCustomer"`
}

// TimeoutsPatch changes one or both timeouts.
type TimeoutsPatch struct {
	CustomerSeconds *int `json:"customerSeconds"`
	BaristaSeconds  *int `json:"baristaSeconds"`
}

// onlyOpen reports whether the patch changes nothing but the open flag,
// the one thing a barista may change.
func (p Patch) onlyOpen() bool {
	return p.Name == nil && p.SignInMode == nil && p.Timezone == nil && p.DailyReset == nil &&
		p.Menu == nil && p.Limits == nil && p.Timeouts == nil && p.Ended == nil && p.Language == nil &&
		p.AllowCustomerLanguage == nil && p.WelcomeText == nil && p.PickupText == nil &&
		p.ReadySeconds == nil && p.Speak == nil
}

// Update applies a patch: admins may change anything, a barista of the bar
// only whether it is open. Orders already in flight carry on either way:
// each holds the drink it was given. A new drinksPerCode applies to the
// code on the screen at once, in the same transaction; every change
// writes its audit rows there too.
func (s *Service) Update(ctx context.Context, who presso.Identity, id string, p Patch) (*presso.Bar, error) {
	return s.changeBar(ctx, id, ReasonConfig, "update bar "+id, func(tx *store.Tx, b *presso.Bar, now time.Time) error {
		switch {
		case who.Role == presso.RoleAdmin:
		case who.BaristaOf(id) && p.onlyOpen():
		case who.StaffOf(id):
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "a barista may only open or close the bar")
		default:
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of this bar can change it")
		}
		before := *b
		if err := p.Apply(b); err != nil {
			return err
		}
		if err := tx.UpdateBar(ctx, b, now); err != nil {
			return err
		}
		if d := b.Limits.DrinksPerCode - before.Limits.DrinksPerCode; d != 0 {
			if err := tx.AdjustCodeUses(ctx, id, now, d, b.Limits.DrinksPerCode); err != nil {
				return err
			}
		}
		for _, r := range changeRows(who, now, &before, b) {
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Apply changes b as the patch says and checks the result, naming the
// first bad field. Settings the patch leaves out keep their values; an
// explicit zero is a bad value, not a request for the default.
func (p Patch) Apply(b *presso.Bar) error {
	if p.Timezone != nil && *p.Timezone == "" {
		return presso.Invalid("timezone", "timezone must be an IANA time zone such as Europe/Lisbon")
	}
	set(&b.Name, p.Name)
	set(&b.Open, p.Open)
	set(&b.SignInMode, p.SignInMode)
	set(&b.Timezone, p.Timezone)
	set(&b.DailyReset, p.DailyReset)
	set(&b.Menu, p.Menu)
	set(&b.Ended, p.Ended)
	set(&b.Language, p.Language)
	set(&b.AllowCustomerLanguage, p.AllowCustomerLanguage)
	set(&b.WelcomeText, p.WelcomeText)
	set(&b.PickupText, p.PickupText)
	set(&b.ReadySeconds, p.ReadySeconds)
	set(&b.Speak, p.Speak)
	if l := p.Limits; l != nil {
		set(&b.Limits.DrinksPerCode, l.DrinksPerCode)
		set(&b.Limits.WindowSeconds, l.WindowSeconds)
		set(&b.Limits.MaxQueue, l.MaxQueue)
		set(&b.Limits.MaxPerCustomer, l.MaxPerCustomer)
	}
	if t := p.Timeouts; t != nil {
		set(&b.Timeouts.CustomerSeconds, t.CustomerSeconds)
		set(&b.Timeouts.BaristaSeconds, t.BaristaSeconds)
	}
	if b.Menu == nil {
		b.Menu = []presso.MenuItem{}
	}
	fillMenuDefaults(b.Menu)
	return Validate(b)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Why a ConfigService.ConfigChanged event was sent, in its detail's
// "reason": screens that show the QR code fetch it again on any of them.
const (
	ReasonConfig    = "config"
	ReasonMenu      = "menu"
	ReasonQRRotated = "qr_rotated"
)

// Changed is the ConfigService.ConfigChanged event: the bar's public view,
// never a database image. The validator sends it too, for a rotation.
func Changed(b *presso.Bar, now time.Time, reason string) presso.Envelope {
	return presso.NewEnvelope(presso.ConfigServiceConfigChanged, b.ID, now, map[string]any{
		"open":    b.Open,
		"bar":     b,
		"reason":  reason,
		"Message": "The bar's configuration changed",
	})
}
