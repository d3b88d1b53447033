// Package validator is the QR validator: one unguessable code per bar per
// time window, good for a fixed number of redemptions. Redemption is a
// single conditional UPDATE, so it is atomic and never goes below zero,
// and it runs inside the order's first transition, so a rejected order
// (closed, busy, over the limit) gives its use back.
package validator

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"presso"
	"presso/store"
)

// codeAlphabet avoids nothing: codes are never typed, only scanned.
const (
	codeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	codeLength   = 16 // about 95 bits
)

// Validator issues and redeems QR codes.
type Validator struct {
	db        *store.DB
	now       func() time.Time
	publicURL string
}

// New returns a validator whose codes point at publicURL's order app.
func New(db *store.DB, now func() time.Time, publicURL string) *Validator {
	return &Validator{db: db, now: now, publicURL: publicURL}
}

// Window returns the bounds of the window holding t. Windows are aligned
// to the zero time until a rotation, and then to the bar's QR epoch, the
// rotation's time, which is stored with the bar: every replica computes
// the same ones.
func Window(bar *presso.Bar, t time.Time) (start, end time.Time) {
	w := time.Duration(bar.Limits.WindowSeconds) * time.Second
	if bar.QREpoch.IsZero() {
		start = t.Truncate(w)
		return start, start.Add(w)
	}
	epoch := bar.QREpoch
	d := t.Sub(epoch)
	n := d / w
	if d < 0 && d%w != 0 {
		n-- // t before the epoch (another replica's clock is ahead): round down, not towards zero
	}
	start = epoch.Add(n * w)
	return start, start.Add(w)
}

// Live refuses a bar whose event is over: it takes no scans and shows no
// codes.
func Live(bar *presso.Bar) error {
	if bar.Ended {
		return presso.E(presso.KindExpired, presso.CodeBarEnded, "%s has ended: it takes no more orders", bar.Name)
	}
	return nil
}

// Current is the bar's code for the current window, with the order URL
// it opens.
type Current struct {
	Code          string    `json:"code"`
	URL           string    `json:"url"`
	WindowStart   time.Time `json:"windowStart"`
	WindowEnd     time.Time `json:"windowEnd"`
	Remaining     int       `json:"remaining"`
	DrinksPerCode int       `json:"drinksPerCode"`
}

// Current returns the code of the window now, creating it on first use.
func (v *Validator) Current(ctx context.Context, bar *presso.Bar) (Current, error) {
	if err := Live(bar); err != nil {
		return Current{}, err
	}
	start, end := Window(bar, v.now())
	// Screens ask often and the code exists after the first ask, so read it
	// first; only the first ask of a window (or after the window length
	// changed) needs the write transaction.
	c, err := v.db.CodeAt(ctx, bar.ID, start)
	if err != nil || !c.WindowEnd.Equal(end) {
		err = v.db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			c, err = ensure(ctx, tx, bar, start, end)
			return err
		})
	}
	if err != nil {
		return Current{}, fmt.Errorf("current code for %s: %w", bar.ID, err)
	}
	return Current{Code: c.Code, URL: v.OrderURL(bar.ID, c.Code), WindowStart: c.WindowStart, WindowEnd: c.WindowEnd,
		Remaining: c.UsesLeft, DrinksPerCode: bar.Limits.DrinksPerCode}, nil
}

// ensure makes the code of the window [start, end) unless it exists.
func ensure(ctx context.Context, tx *store.Tx, bar *presso.Bar, start, end time.Time) (store.Code, error) {
	return tx.EnsureCode(ctx, store.Code{EventID: bar.ID, Code: presso.RandomString(codeLength, codeAlphabet),
		WindowStart: start, WindowEnd: end, UsesLeft: bar.Limits.DrinksPerCode})
}

// Rotate ends the bar's current window at now, within tx, and starts a
// whole new one there with a fresh code ("new code now"). The windows
// after it are aligned to now, stored with the bar, so every replica
// serves the new code; the old one answers "expired". It returns the
// bounds of the window it ended and the new code.
func Rotate(ctx context.Context, tx *store.Tx, bar *presso.Bar, now time.Time) (endedStart, endedEnd time.Time, _ store.Code, _ error) {
	if err := Live(bar); err != nil {
		return time.Time{}, time.Time{}, store.Code{}, err
	}
	endedStart, endedEnd = Window(bar, now)
	if err := tx.EndCodes(ctx, bar.ID, now); err != nil {
		return endedStart, endedEnd, store.Code{}, err
	}
	if err := tx.SetQREpoch(ctx, bar.ID, now); err != nil {
		return endedStart, endedEnd, store.Code{}, err
	}
	bar.QREpoch = now
	start, end := Window(bar, now)
	c, err := ensure(ctx, tx, bar, start, end)
	return endedStart, endedEnd, c, err
}

// PublicURL is the address presso is reached at, for links it hands out.
func (v *Validator) PublicURL() string { return v.publicURL }

// OrderURL is what the QR code encodes: the order app with the code.
func (v *Validator) OrderURL(eventID, code string) string {
	return v.publicURL + "/order/" + url.PathEscape(eventID) + "?code=" + url.QueryEscape(code)
}

// Use takes one redemption of code within tx. Each way it can fail has
// its own error: invalid (400), expired (410), sold out (409), and the
// bar's event is over (410 bar_ended).
func Use(ctx context.Context, tx *store.Tx, bar *presso.Bar, code string, now time.Time) (store.Code, error) {
	if err := Live(bar); err != nil {
		return store.Code{}, err
	}
	if code == "" || len(code) > 64 {
		return store.Code{}, invalidCode()
	}
	c, ok, err := tx.UseCode(ctx, bar.ID, code, now)
	switch {
	case presso.IsKind(err, presso.KindNotFound):
		return c, invalidCode()
	case err != nil:
		return c, err
	case ok:
		return c, nil
	case !now.Before(c.WindowEnd):
		return c, &presso.Error{Kind: presso.KindExpired, Code: presso.CodeCodeExpired, Message: "this code has expired: scan the new one on the big screen"}
	default:
		return c, &presso.Error{Kind: presso.KindConflict, Code: presso.CodeSoldOut, Message: "every drink for this code is taken: a new code comes soon", RetryAt: c.WindowEnd}
	}
}

// invalidCode is the one answer to a code that is malformed or unknown, so
// the two cannot be told apart by guessing.
func invalidCode() *presso.Error {
	return &presso.Error{Kind: presso.KindInvalid, Code: presso.CodeInvalidCode, Field: "code",
		Message: "this is not a valid code: scan the QR code on the big screen"}
}

// SVG renders content as a QR code in SVG, one rect per dark module, so it
// stays sharp on a TV and weighs a few kilobytes.
func SVG(content string) ([]byte, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	q.DisableBorder = false
	bm := q.Bitmap()
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code to order a drink">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
