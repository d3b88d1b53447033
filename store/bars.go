package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"presso"
)

// barConfig is what the bars.config JSON column holds.
type barConfig struct {
	SignInMode string            `json:"signInMode"`
	Timezone   string            `json:"timezone"`
	DailyReset bool              `json:"dailyReset"`
	Menu       []presso.MenuItem `json:"menu"`
	Limits     presso.Limits     `json:"limits"`
	Timeouts   presso.Timeouts   `json:"timeouts"`
	Ended      bool              `json:"ended,omitempty"`
	Language   string            `json:"language,omitempty"`
	// FixedLanguage is AllowCustomerLanguage negated, so that bars stored
	// before the setting existed read as allowing the phone's language.
	FixedLanguage bool   `json:"fixedLanguage,omitempty"`
	WelcomeText   string `json:"welcomeText,omitempty"`
	PickupText    string `json:"pickupText,omitempty"`
	ReadySeconds  int    `json:"readySeconds,omitempty"`
	Speak         bool   `json:"speak,omitempty"`
}

func encodeBarConfig(b *presso.Bar) (string, error) {
	c, err := json.Marshal(barConfig{SignInMode: b.SignInMode, Timezone: b.Timezone, DailyReset: b.DailyReset,
		Menu: b.Menu, Limits: b.Limits, Timeouts: b.Timeouts, Ended: b.Ended, Language: b.Language,
		FixedLanguage: !b.AllowCustomerLanguage, WelcomeText: b.WelcomeText, PickupText: b.PickupText,
		ReadySeconds: b.ReadySeconds, Speak: b.Speak})
	return string(c), err
}

const barColumns = `id, name, is_open, config, created_at, qr_epoch`

// barMemo keeps each bar's settings as last decoded. An order's every
// transition reads its bar, and decoding the settings' JSON (the whole
// menu) each time was 5% of the server's CPU per order. It is keyed by
// the stored text itself, so a change made anywhere, by any replica, is
// new text and decoded afresh: nothing needs invalidating.
type barMemo struct {
	mu sync.Mutex
	m  map[string]decodedBar // by bar id
}

type decodedBar struct {
	text string
	cfg  barConfig
}

// maxMemoBars bounds the memo; past it, it starts again.
const maxMemoBars = 1024

func newBarMemo() *barMemo { return &barMemo{m: make(map[string]decodedBar)} }

// decode returns bar id's settings from their stored text, each caller
// with a menu of its own to change.
func (m *barMemo) decode(id, text string) (barConfig, error) {
	m.mu.Lock()
	d, ok := m.m[id]
	m.mu.Unlock()
	if !ok || d.text != text {
		d = decodedBar{text: text} // afresh: Unmarshal would keep what the new text leaves out
		if err := json.Unmarshal([]byte(text), &d.cfg); err != nil {
			return barConfig{}, fmt.Errorf("bar %s config: %w", id, err)
		}
		m.mu.Lock()
		if len(m.m) >= maxMemoBars {
			clear(m.m)
		}
		m.m[id] = d
		m.mu.Unlock()
	}
	c := d.cfg
	c.Menu = cloneMenu(c.Menu)
	return c, nil
}

func cloneMenu(menu []presso.MenuItem) []presso.MenuItem {
	if menu == nil {
		return nil
	}
	out := slices.Clone(menu)
	for i := range out {
		out[i].Modifiers = slices.Clone(out[i].Modifiers)
		for j := range out[i].Modifiers {
			out[i].Modifiers[j].Options = slices.Clone(out[i].Modifiers[j].Options)
		}
	}
	return out
}

func (m *barMemo) scan(row scanner) (*presso.Bar, error) {
	var b presso.Bar
	var cfg string
	var created, epoch int64
	if err := row.Scan(&b.ID, &b.Name, &b.Open, &cfg, &created, &epoch); err != nil {
		return nil, err
	}
	c, err := m.decode(b.ID, cfg)
	if err != nil {
		return nil, err
	}
	b.SignInMode, b.Timezone, b.DailyReset = c.SignInMode, c.Timezone, c.DailyReset
	b.Menu, b.Limits, b.Timeouts = c.Menu, c.Limits, c.Timeouts
	b.Ended, b.Language, b.AllowCustomerLanguage = c.Ended, c.Language, !c.FixedLanguage
	b.WelcomeText, b.PickupText, b.ReadySeconds, b.Speak = c.WelcomeText, c.PickupText, c.ReadySeconds, c.Speak
	b.CreatedAt = fromMS(created)
	if epoch != 0 { // never rotated: the zero time, as a new bar has
		b.QREpoch = fromMS(epoch)
	}
	return &b, nil
}

// CreateBar inserts a new bar; an existing id is a conflict.
func (c *Tx) CreateBar(ctx context.Context, b *presso.Bar, now time.Time) (err error) {
	defer wrap(&err, "store.CreateBar")
	cfg, err := encodeBarConfig(b)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO bars (
			id,
			name,
			is_open,
			config,
			created_at,
			updated_at
		) VALUES ($1, $2, $3, $4, $5, $5)`,
		b.ID, b.Name, b.Open, cfg, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, presso.CodeExists, "bar %q already exists", b.ID)
	}
	return err
}

// UpdateBar stores a bar's name, open flag and configuration.
func (c *Tx) UpdateBar(ctx context.Context, b *presso.Bar, now time.Time) (err error) {
	defer wrap(&err, "store.UpdateBar")
	cfg, err := encodeBarConfig(b)
	if err != nil {
		return err
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE bars SET
			name = $2,
			is_open = $3,
			config = $4,
			updated_at = $5
		WHERE id = $1`,
		b.ID, b.Name, b.Open, cfg, ms(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("bar")
	}
	return nil
}

// GetBar returns one bar.
func (c conn) GetBar(ctx context.Context, id string) (_ *presso.Bar, err error) {
	defer wrap(&err, "store.GetBar")
	b, err := c.e.bars.scan(c.q.QueryRowContext(ctx, `SELECT `+barColumns+` FROM bars WHERE id = $1`, id))
	return b, notFound(err, "bar")
}

// ListBars returns every bar, by id.
func (c conn) ListBars(ctx context.Context) (_ []*presso.Bar, err error) {
	defer wrap(&err, "store.ListBars")
	return collect(ctx, c.q, nil, `SELECT `+barColumns+` FROM bars ORDER BY id`, c.e.bars.scan)
}

// ReserveCapacity takes one place in the bar's queue if the bar is open and
// has fewer than max active orders. The check and the increment are one
// statement, so concurrent orders cannot overshoot.
func (c *Tx) ReserveCapacity(ctx context.Context, eventID string, max int) (_ bool, err error) {
	defer wrap(&err, "store.ReserveCapacity")
	res, err := c.q.ExecContext(ctx, `UPDATE bars SET active = active + 1 WHERE id = $1 AND is_open AND active < $2`, eventID, max)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseCapacity gives a place back when an order ends.
func (c *Tx) ReleaseCapacity(ctx context.Context, eventID string) (err error) {
	defer wrap(&err, "store.ReleaseCapacity")
	_, err = c.q.ExecContext(ctx, `UPDATE bars SET active = active - 1 WHERE id = $1 AND active > 0`, eventID)
	return err
}

// ActiveOrders is the bar's capacity counter, for tests; the store moves
// it only through ReserveCapacity and ReleaseCapacity.
func (c conn) ActiveOrders(ctx context.Context, eventID string) (_ int, err error) {
	defer wrap(&err, "store.ActiveOrders")
	var n int
	err = c.q.QueryRowContext(ctx, `SELECT active FROM bars WHERE id = $1`, eventID).Scan(&n)
	return n, notFound(err, "bar")
}

// SetQREpoch aligns the bar's QR windows to epoch, for a rotation. It is
// its own column, written by its own statement, so a rotation and a
// concurrent settings change cannot undo each other.
func (c *Tx) SetQREpoch(ctx context.Context, eventID string, epoch time.Time) (err error) {
	defer wrap(&err, "store.SetQREpoch")
	res, err := c.q.ExecContext(ctx, `UPDATE bars SET qr_epoch = $2 WHERE id = $1`, eventID, ms(epoch))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("bar")
	}
	return nil
}

// DayCounts counts the bar's orders created on the bar-local day, by
// state, for the console's list of bars.
func (c conn) DayCounts(ctx context.Context, eventID, day string) (_ map[presso.State]int, err error) {
	defer wrap(&err, "store.DayCounts")
	counts := map[presso.State]int{}
	err = eachRow(ctx, c.q, `SELECT state, COUNT(*) FROM orders WHERE event_id = $1 AND day = $2 GROUP BY state`,
		func(rows *sql.Rows) error {
			var st presso.State
			var n int
			err := rows.Scan(&st, &n)
			counts[st] = n
			return err
		}, eventID, day)
	return counts, err
}
