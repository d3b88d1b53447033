package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"presso"
)

// notFound turns sql.ErrNoRows into presso's not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return presso.NotFound(what)
	}
	return unavailable(err)
}

// isUniqueViolation reports a primary-key or unique-constraint clash in
// either engine, without importing driver-specific error types.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	// pgx's *pgconn.PgError reports its SQLSTATE; 23505 is unique_violation.
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") ||
		strings.Contains(s, "duplicate key value")
}

// ---- bars ----

// barConfig is what the bars.config JSON column holds.
type barConfig struct {
	SignInMode string            `json:"signInMode"`
	Timezone   string            `json:"timezone"`
	DailyReset bool              `json:"dailyReset"`
	Menu       []presso.MenuItem `json:"menu"`
	Limits     presso.Limits     `json:"limits"`
	Timeouts   presso.Timeouts   `json:"timeouts"`
}

func encodeBarConfig(b *presso.Bar) (string, error) {
	c, err := json.Marshal(barConfig{SignInMode: b.SignInMode, Timezone: b.Timezone, DailyReset: b.DailyReset,
		Menu: b.Menu, Limits: b.Limits, Timeouts: b.Timeouts})
	return string(c), err
}

const barColumns = `id, name, is_open, config, created_at`

func scanBar(row interface{ Scan(...any) error }) (*presso.Bar, error) {
	var b presso.Bar
	var cfg string
	var created int64
	if err := row.Scan(&b.ID, &b.Name, &b.Open, &cfg, &created); err != nil {
		return nil, err
	}
	var c barConfig
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		return nil, fmt.Errorf("bar %s config: %w", b.ID, err)
	}
	b.SignInMode, b.Timezone, b.DailyReset = c.SignInMode, c.Timezone, c.DailyReset
	b.Menu, b.Limits, b.Timeouts = c.Menu, c.Limits, c.Timeouts
	b.CreatedAt = fromMS(created)
	return &b, nil
}

// CreateBar inserts a new bar; an existing id is a conflict.
func (c *Tx) CreateBar(ctx context.Context, b *presso.Bar, now time.Time) error {
	cfg, err := encodeBarConfig(b)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `INSERT INTO bars (id, name, is_open, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		b.ID, b.Name, b.Open, cfg, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, "exists", "bar %q already exists", b.ID)
	}
	return unavailable(err)
}

// UpdateBar stores a bar's name, open flag and configuration.
func (c *Tx) UpdateBar(ctx context.Context, b *presso.Bar, now time.Time) error {
	cfg, err := encodeBarConfig(b)
	if err != nil {
		return err
	}
	res, err := c.q.ExecContext(ctx, `UPDATE bars SET name = $2, is_open = $3, config = $4, updated_at = $5 WHERE id = $1`,
		b.ID, b.Name, b.Open, cfg, ms(now))
	if err != nil {
		return unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("bar")
	}
	return nil
}

// GetBar returns one bar.
func (c conn) GetBar(ctx context.Context, id string) (*presso.Bar, error) {
	b, err := scanBar(c.q.QueryRowContext(ctx, `SELECT `+barColumns+` FROM bars WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "bar")
	}
	return b, nil
}

// ListBars returns every bar, by id.
func (c conn) ListBars(ctx context.Context) ([]*presso.Bar, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT `+barColumns+` FROM bars ORDER BY id`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var bars []*presso.Bar
	for rows.Next() {
		b, err := scanBar(rows)
		if err != nil {
			return nil, err
		}
		bars = append(bars, b)
	}
	return bars, unavailable(rows.Err())
}

// ReserveCapacity takes one place in the bar's queue if the bar is open and
// has fewer than max active orders. The check and the increment are one
// statement, so concurrent orders cannot overshoot.
func (c *Tx) ReserveCapacity(ctx context.Context, eventID string, max int) (bool, error) {
	res, err := c.q.ExecContext(ctx, `UPDATE bars SET active = active + 1 WHERE id = $1 AND is_open AND active < $2`, eventID, max)
	if err != nil {
		return false, unavailable(err)
	}
	n, err := res.RowsAffected()
	return n == 1, unavailable(err)
}

// ReleaseCapacity gives a place back when an order ends.
func (c *Tx) ReleaseCapacity(ctx context.Context, eventID string) error {
	_, err := c.q.ExecContext(ctx, `UPDATE bars SET active = active - 1 WHERE id = $1 AND active > 0`, eventID)
	return unavailable(err)
}

// ActiveOrders is the bar's capacity counter.
func (c conn) ActiveOrders(ctx context.Context, eventID string) (int, error) {
	var n int
	err := c.q.QueryRowContext(ctx, `SELECT active FROM bars WHERE id = $1`, eventID).Scan(&n)
	return n, notFound(err, "bar")
}

// ---- accounts and sessions ----

// Staff is a staff account as stored.
type Staff struct {
	ID, Username, PasswordHash, Role, EventID string
}

// CreateStaff inserts a staff account; a taken username is a conflict.
func (c *Tx) CreateStaff(ctx context.Context, s Staff, now time.Time) error {
	_, err := c.q.ExecContext(ctx, `INSERT INTO staff (id, username, password_hash, role, event_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.ID, s.Username, s.PasswordHash, s.Role, s.EventID, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, "exists", "username %q is taken", s.Username)
	}
	return unavailable(err)
}

// SetStaffPassword replaces a staff account's password hash.
func (c *Tx) SetStaffPassword(ctx context.Context, username, hash string) error {
	res, err := c.q.ExecContext(ctx, `UPDATE staff SET password_hash = $2 WHERE username = $1`, username, hash)
	if err != nil {
		return unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("staff account")
	}
	return nil
}

const staffColumns = `id, username, password_hash, role, event_id`

// StaffByUsername finds a staff account for sign-in.
func (c conn) StaffByUsername(ctx context.Context, username string) (Staff, error) {
	var s Staff
	err := c.q.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE username = $1`, username).
		Scan(&s.ID, &s.Username, &s.PasswordHash, &s.Role, &s.EventID)
	return s, notFound(err, "staff account")
}

// CountStaff counts staff accounts, to know whether this is a first start.
func (c conn) CountStaff(ctx context.Context) (int, error) {
	var n int
	err := c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n)
	return n, unavailable(err)
}

// Customer is a customer as stored.
type Customer struct {
	ID, Email, Name string
}

// CreateCustomer inserts a customer. An empty email stays NULL so name-mode
// customers never collide.
func (c *Tx) CreateCustomer(ctx context.Context, cu Customer, now time.Time) error {
	email := sql.NullString{String: cu.Email, Valid: cu.Email != ""}
	_, err := c.q.ExecContext(ctx, `INSERT INTO customers (id, email, name, created_at) VALUES ($1, $2, $3, $4)`,
		cu.ID, email, cu.Name, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, "exists", "customer exists")
	}
	return unavailable(err)
}

// CustomerByEmail finds a customer signed in by email.
func (c conn) CustomerByEmail(ctx context.Context, email string) (Customer, error) {
	var cu Customer
	var e sql.NullString
	err := c.q.QueryRowContext(ctx, `SELECT id, email, name FROM customers WHERE email = $1`, email).Scan(&cu.ID, &e, &cu.Name)
	cu.Email = e.String
	return cu, notFound(err, "customer")
}

// CreateSession stores a session under the hash of its token.
func (c *Tx) CreateSession(ctx context.Context, tokenHash, userID, kind string, now, expires time.Time) error {
	_, err := c.q.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		tokenHash, userID, kind, ms(now), ms(expires))
	return unavailable(err)
}

// DeleteSession ends a session.
func (c *Tx) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := c.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return unavailable(err)
}

// SessionIdentity resolves a live session to the identity behind it.
func (c conn) SessionIdentity(ctx context.Context, tokenHash string, now time.Time) (presso.Identity, error) {
	var id presso.Identity
	err := c.q.QueryRowContext(ctx, `
		SELECT s.user_id, s.kind, COALESCE(st.username, cu.name, ''), COALESCE(st.role, 'customer'), COALESCE(st.event_id, '')
		FROM sessions s
		LEFT JOIN staff st ON s.kind = 'staff' AND st.id = s.user_id
		LEFT JOIN customers cu ON s.kind = 'customer' AND cu.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, ms(now)).
		Scan(&id.ID, &id.Kind, &id.Name, &id.Role, &id.EventID)
	if errors.Is(err, sql.ErrNoRows) {
		return id, presso.E(presso.KindUnauthenticated, "unauthenticated", "sign in first")
	}
	return id, unavailable(err)
}

// DeleteExpiredSessions removes sessions and codes past their expiry, and
// the name-only customers nothing refers to any more.
func (c *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := c.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
	if err == nil {
		_, err = c.q.ExecContext(ctx, `DELETE FROM signin_codes WHERE expires_at <= $1`, ms(now))
	}
	if err == nil {
		// A name sign-in is a new customer each time; one with no session
		// left and no order can never be reached again.
		_, err = c.q.ExecContext(ctx, `DELETE FROM customers WHERE email IS NULL
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = customers.id)
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = customers.id)`)
	}
	return unavailable(err)
}

// PutSigninCode replaces the pending sign-in code for an email.
func (c *Tx) PutSigninCode(ctx context.Context, email, codeHash string, expires time.Time) error {
	_, err := c.q.ExecContext(ctx, `INSERT INTO signin_codes (email, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
		ON CONFLICT (email) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0`,
		email, codeHash, ms(expires))
	return unavailable(err)
}

// TakeSigninAttempt counts one attempt at the email's code and returns the
// stored hash; it fails once the code expired or had maxAttempts tries.
func (c *Tx) TakeSigninAttempt(ctx context.Context, email string, now time.Time, maxAttempts int) (string, error) {
	var hash string
	err := c.q.QueryRowContext(ctx, `UPDATE signin_codes SET attempts = attempts + 1
		WHERE email = $1 AND expires_at > $2 AND attempts < $3 RETURNING code_hash`, email, ms(now), maxAttempts).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", presso.E(presso.KindInvalid, "invalid_code", "no valid sign-in code for this email: ask for a new one")
	}
	return hash, unavailable(err)
}

// DeleteSigninCode removes a used code.
func (c *Tx) DeleteSigninCode(ctx context.Context, email string) error {
	_, err := c.q.ExecContext(ctx, `DELETE FROM signin_codes WHERE email = $1`, email)
	return unavailable(err)
}

// ---- QR codes ----

// Code is one QR code window of one bar.
type Code struct {
	EventID     string
	Code        string
	WindowStart time.Time
	WindowEnd   time.Time
	UsesLeft    int
}

// EnsureCode inserts the window's code unless one exists, then returns the
// stored one. Two replicas creating the same window agree on one code.
func (c *Tx) EnsureCode(ctx context.Context, want Code) (Code, error) {
	// A stored row for the same start but another end was made under another
	// window length: it is stale, so it gets the new window and code.
	_, err := c.q.ExecContext(ctx, `INSERT INTO qr_codes (event_id, window_start, window_end, code, uses_left) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (event_id, window_start) DO UPDATE SET window_end = excluded.window_end, code = excluded.code, uses_left = excluded.uses_left
		WHERE qr_codes.window_end <> excluded.window_end`,
		want.EventID, ms(want.WindowStart), ms(want.WindowEnd), want.Code, want.UsesLeft)
	if err != nil {
		return Code{}, unavailable(err)
	}
	return c.CodeAt(ctx, want.EventID, want.WindowStart)
}

// CodeAt returns the bar's code for the window starting at start.
func (c conn) CodeAt(ctx context.Context, eventID string, start time.Time) (Code, error) {
	got := Code{EventID: eventID}
	var from, end int64
	err := c.q.QueryRowContext(ctx, `SELECT code, window_start, window_end, uses_left FROM qr_codes WHERE event_id = $1 AND window_start = $2`,
		eventID, ms(start)).Scan(&got.Code, &from, &end, &got.UsesLeft)
	got.WindowStart, got.WindowEnd = fromMS(from), fromMS(end)
	return got, notFound(err, "code")
}

// UseCode takes one use of a live code. It reports false, with the stored
// code if there is one, when the code is unknown, expired or used up.
func (c *Tx) UseCode(ctx context.Context, eventID, code string, now time.Time) (Code, bool, error) {
	got := Code{EventID: eventID, Code: code}
	var start, end int64
	err := c.q.QueryRowContext(ctx, `UPDATE qr_codes SET uses_left = uses_left - 1
		WHERE event_id = $1 AND code = $2 AND window_end > $3 AND uses_left > 0
		RETURNING window_start, window_end, uses_left`, eventID, code, ms(now)).Scan(&start, &end, &got.UsesLeft)
	if err == nil {
		got.WindowStart, got.WindowEnd = fromMS(start), fromMS(end)
		return got, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return got, false, unavailable(err)
	}
	err = c.q.QueryRowContext(ctx, `SELECT window_start, window_end, uses_left FROM qr_codes WHERE event_id = $1 AND code = $2`,
		eventID, code).Scan(&start, &end, &got.UsesLeft)
	if err != nil {
		return got, false, notFound(err, "code")
	}
	got.WindowStart, got.WindowEnd = fromMS(start), fromMS(end)
	return got, false, nil
}

// ---- counting and limits ----

// NextNumber increments and returns the bar's counter for day ("" when the
// bar never resets). The first number is 1.
func (c *Tx) NextNumber(ctx context.Context, eventID, day string) (int64, error) {
	var n int64
	err := c.q.QueryRowContext(ctx, `INSERT INTO counters (event_id, day, value) VALUES ($1, $2, 1)
		ON CONFLICT (event_id, day) DO UPDATE SET value = counters.value + 1 RETURNING value`, eventID, day).Scan(&n)
	return n, unavailable(err)
}

// CountCustomerOrder counts one more order for the customer's day unless
// they already have max. The check and the count are one statement.
func (c *Tx) CountCustomerOrder(ctx context.Context, eventID, userID, day string, max int) (bool, error) {
	if max <= 0 {
		return false, nil // the insert below would count a first order regardless
	}
	var n int
	err := c.q.QueryRowContext(ctx, `INSERT INTO customer_days (event_id, user_id, day, n) VALUES ($1, $2, $3, 1)
		ON CONFLICT (event_id, user_id, day) DO UPDATE SET n = customer_days.n + 1 WHERE customer_days.n < $4
		RETURNING n`, eventID, userID, day, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return n <= max, nil
}

// UncountCustomerOrder gives back the count of a cancelled or timed-out order.
func (c *Tx) UncountCustomerOrder(ctx context.Context, eventID, userID, day string) error {
	_, err := c.q.ExecContext(ctx, `UPDATE customer_days SET n = n - 1 WHERE event_id = $1 AND user_id = $2 AND day = $3 AND n > 0`,
		eventID, userID, day)
	return unavailable(err)
}

// ---- orders ----

const orderColumns = `id, event_id, user_id, user_name, state, cause, number, drink, barista_id, barista_name,
	day, exempt, created_at, submitted_at, made_at, finished_at, deadline_at, version, collected_at`

func scanOrder(row interface{ Scan(...any) error }) (*presso.Order, error) {
	var o presso.Order
	var drink sql.NullString
	var created int64
	var submitted, made, finished, deadline, collected sql.NullInt64
	if err := row.Scan(&o.ID, &o.EventID, &o.UserID, &o.UserName, &o.State, &o.Cause, &o.Number, &drink,
		&o.BaristaID, &o.BaristaName, &o.Day, &o.Exempt, &created, &submitted, &made, &finished, &deadline, &o.Version, &collected); err != nil {
		return nil, err
	}
	if drink.Valid && drink.String != "" {
		o.Drink = new(presso.Drink)
		if err := json.Unmarshal([]byte(drink.String), o.Drink); err != nil {
			return nil, fmt.Errorf("order %s drink: %w", o.ID, err)
		}
	}
	o.CreatedAt = fromMS(created)
	o.SubmittedAt, o.MadeAt, o.FinishedAt, o.Deadline = fromNullMS(submitted), fromNullMS(made), fromNullMS(finished), fromNullMS(deadline)
	o.CollectedAt = fromNullMS(collected)
	return &o, nil
}

func encodeDrink(d *presso.Drink) (sql.NullString, error) {
	if d == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(d)
	return sql.NullString{String: string(b), Valid: true}, err
}

// InsertOrder stores a new order.
func (c *Tx) InsertOrder(ctx context.Context, o *presso.Order) error {
	drink, err := encodeDrink(o.Drink)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `INSERT INTO orders (`+orderColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		o.ID, o.EventID, o.UserID, o.UserName, o.State, o.Cause, o.Number, drink, o.BaristaID, o.BaristaName,
		o.Day, o.Exempt, ms(o.CreatedAt), msPtr(o.SubmittedAt), msPtr(o.MadeAt), msPtr(o.FinishedAt), msPtr(o.Deadline), o.Version,
		msPtr(o.CollectedAt))
	if isUniqueViolation(err) {
		return &presso.Error{Kind: presso.KindConflict, Code: "exists", Message: fmt.Sprintf("order %s already exists", o.ID), Err: err}
	}
	return unavailable(err)
}

// UpdateOrder writes o if the stored version is still prev, and reports
// whether it did. A false means another transition won the race. numberDay
// is the counter day of a number drawn by this transition; "" keeps the
// stored one, so a later transition cannot move a number to another day.
func (c *Tx) UpdateOrder(ctx context.Context, o *presso.Order, prev int64, numberDay string) (bool, error) {
	drink, err := encodeDrink(o.Drink)
	if err != nil {
		return false, err
	}
	res, err := c.q.ExecContext(ctx, `UPDATE orders SET state = $3, cause = $4, number = $5, number_day = COALESCE(NULLIF($6, ''), number_day), drink = $7,
		barista_id = $8, barista_name = $9, submitted_at = $10, made_at = $11, finished_at = $12, deadline_at = $13, version = $14,
		collected_at = $15
		WHERE id = $1 AND version = $2`,
		o.ID, prev, o.State, o.Cause, o.Number, numberDay, drink, o.BaristaID, o.BaristaName,
		msPtr(o.SubmittedAt), msPtr(o.MadeAt), msPtr(o.FinishedAt), msPtr(o.Deadline), o.Version, msPtr(o.CollectedAt))
	if err != nil {
		if isUniqueViolation(err) {
			return false, fmt.Errorf("order %s: duplicate number %d: %w", o.ID, o.Number, err)
		}
		return false, unavailable(err)
	}
	n, err := res.RowsAffected()
	return n == 1, unavailable(err)
}

// GetOrder returns one order.
func (c conn) GetOrder(ctx context.Context, id string) (*presso.Order, error) {
	o, err := scanOrder(c.q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "order")
	}
	return o, nil
}

// ListOrders returns a bar's orders in the given states. Active orders come
// in the order they were queued (numbers restart daily on some bars); finished ones only if they finished at or after since, newest
// first. No states means every state.
func (c conn) ListOrders(ctx context.Context, eventID string, states []presso.State, since time.Time) ([]*presso.Order, error) {
	if len(states) == 0 {
		states = []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking,
			presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut}
	}
	args := []any{eventID, ms(since)}
	var ph []string
	for _, s := range states {
		args = append(args, string(s))
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := c.q.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE event_id = $1 AND state IN (`+strings.Join(ph, ", ")+`) AND (finished_at IS NULL OR finished_at >= $2)
		ORDER BY CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END, CASE WHEN finished_at IS NULL THEN submitted_at END,
			CASE WHEN finished_at IS NULL THEN number END, finished_at DESC, created_at, id`, args...)
	return collectOrders(rows, err)
}

// UserOrders returns a user's orders across bars, newest first.
func (c conn) UserOrders(ctx context.Context, userID string, limit int) ([]*presso.Order, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2`, userID, limit)
	return collectOrders(rows, err)
}

func collectOrders(rows *sql.Rows, err error) ([]*presso.Order, error) {
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	orders := []*presso.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, unavailable(rows.Err())
}

// QueuePosition is how many numbered, unfinished orders of o's bar were
// queued at or before o: 1 means next. It goes by when each was queued, not
// by number, because a bar that numbers by day starts again at 1.
func (c conn) QueuePosition(ctx context.Context, o *presso.Order) (int, error) {
	if o.SubmittedAt == nil {
		return 0, nil
	}
	var n int
	err := c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE event_id = $1 AND state IN ('queued', 'making')
		AND (submitted_at < $2 OR (submitted_at = $2 AND number <= $3))`,
		o.EventID, ms(*o.SubmittedAt), o.Number).Scan(&n)
	return n, unavailable(err)
}

// ClaimDue returns ids of orders whose deadline passed. On PostgreSQL the
// rows stay locked by this transaction, hidden from other sweepers.
func (c *Tx) ClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := c.q.QueryContext(ctx, c.e.claimDue, ms(now), limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, unavailable(err)
		}
		ids = append(ids, id)
	}
	return ids, unavailable(rows.Err())
}

// PostponeDeadline moves an order's pending deadline to at, so a timeout
// that keeps failing does not stay first in line.
func (c *Tx) PostponeDeadline(ctx context.Context, id string, at time.Time) error {
	_, err := c.q.ExecContext(ctx, `UPDATE orders SET deadline_at = $2 WHERE id = $1 AND deadline_at IS NOT NULL`, id, ms(at))
	return unavailable(err)
}

// NextDeadline is the earliest pending deadline, if any.
func (c conn) NextDeadline(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := c.q.QueryRowContext(ctx, `SELECT MIN(deadline_at) FROM orders WHERE deadline_at IS NOT NULL`).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, unavailable(err)
	}
	return fromMS(v.Int64), true, nil
}

// ---- history ----

// Step is one transition in an order's history.
type Step struct {
	At      time.Time    `json:"at"`
	From    presso.State `json:"from"`
	To      presso.State `json:"to"`
	Trigger string       `json:"trigger"`
	Actor   string       `json:"actor"`
}

// AppendHistory records a transition; seq is the order's version after it.
func (c *Tx) AppendHistory(ctx context.Context, orderID string, seq int64, s Step) error {
	_, err := c.q.ExecContext(ctx, `INSERT INTO order_history (order_id, seq, at, from_state, to_state, trigger, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		orderID, seq, ms(s.At), s.From, s.To, s.Trigger, s.Actor)
	return unavailable(err)
}

// History returns an order's transitions in order.
func (c conn) History(ctx context.Context, orderID string) ([]Step, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT at, from_state, to_state, trigger, actor FROM order_history WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	steps := []Step{}
	for rows.Next() {
		var s Step
		var at int64
		if err := rows.Scan(&at, &s.From, &s.To, &s.Trigger, &s.Actor); err != nil {
			return nil, unavailable(err)
		}
		s.At = fromMS(at)
		steps = append(steps, s)
	}
	return steps, unavailable(rows.Err())
}

// ---- outbox ----

// Outboxed is one event waiting in, or relayed from, the outbox.
type Outboxed struct {
	Seq        int64
	ID         string
	EventID    string
	OrderID    string
	DetailType string
	Payload    []byte
	CreatedAt  time.Time
}

// AppendOutbox writes an event in the caller's transaction; the relay
// publishes it after commit.
func (c *Tx) AppendOutbox(ctx context.Context, env presso.Envelope, orderID string) error {
	payload, err := json.Marshal(env)
	if err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `INSERT INTO outbox (id, event_id, order_id, detail_type, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		env.ID, env.EventID, orderID, env.DetailType, string(payload), ms(env.Time))
	return unavailable(err)
}

// LockRelay takes the relay lock for this transaction; false means another
// replica is relaying right now.
func (c *Tx) LockRelay(ctx context.Context) (bool, error) {
	var id int
	err := c.q.QueryRowContext(ctx, c.e.lockRelay).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, unavailable(err)
}

// Unpublished returns up to limit events not yet relayed, oldest first.
func (c conn) Unpublished(ctx context.Context, limit int) ([]Outboxed, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT seq, id, event_id, order_id, detail_type, payload, created_at FROM outbox
		WHERE published_at IS NULL ORDER BY seq LIMIT $1`, limit)
	return collectOutbox(rows, err)
}

// OrderEvents returns the events an order emitted, in order.
func (c conn) OrderEvents(ctx context.Context, orderID string) ([]Outboxed, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT seq, id, event_id, order_id, detail_type, payload, created_at FROM outbox
		WHERE order_id = $1 ORDER BY seq`, orderID)
	return collectOutbox(rows, err)
}

func collectOutbox(rows *sql.Rows, err error) ([]Outboxed, error) {
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []Outboxed
	for rows.Next() {
		var o Outboxed
		var payload string
		var created int64
		if err := rows.Scan(&o.Seq, &o.ID, &o.EventID, &o.OrderID, &o.DetailType, &payload, &created); err != nil {
			return nil, unavailable(err)
		}
		o.Payload, o.CreatedAt = []byte(payload), fromMS(created)
		out = append(out, o)
	}
	return out, unavailable(rows.Err())
}

// MarkPublished records that the bus acknowledged the events with seqs.
func (c *Tx) MarkPublished(ctx context.Context, seqs []int64, now time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	args := []any{ms(now)}
	ph := make([]string, len(seqs))
	for i, s := range seqs {
		args = append(args, s)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	_, err := c.q.ExecContext(ctx, `UPDATE outbox SET published_at = $1 WHERE seq IN (`+strings.Join(ph, ", ")+`)`, args...)
	return unavailable(err)
}

// PendingOutbox counts events not yet relayed.
func (c conn) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	err := c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`).Scan(&n)
	return n, unavailable(err)
}

// RelayBatch hands up to limit unpublished events, oldest first, to publish,
// and marks the ones it reports as published. On PostgreSQL it holds the
// relay lock throughout, so one replica at a time publishes and the stream
// keeps the outbox order; on SQLite there is one process, and reading
// outside the write transaction keeps the single writer free while
// publishing.
func (db *DB) RelayBatch(ctx context.Context, limit int, now func() time.Time, publish func([]Outboxed) ([]int64, error)) (int, error) {
	if db.engine.name == "sqlite" {
		batch, err := db.Unpublished(ctx, limit)
		if err != nil || len(batch) == 0 {
			return 0, err
		}
		done, perr := publish(batch)
		if len(done) > 0 {
			if err := db.Tx(ctx, func(tx *Tx) error { return tx.MarkPublished(ctx, done, now()) }); err != nil {
				return 0, err
			}
		}
		return len(done), perr
	}
	n := 0
	var pubErr error
	err := db.Tx(ctx, func(tx *Tx) error {
		ok, err := tx.LockRelay(ctx)
		if err != nil || !ok {
			return err
		}
		batch, err := tx.Unpublished(ctx, limit)
		if err != nil || len(batch) == 0 {
			return err
		}
		done, perr := publish(batch)
		n = len(done)
		if err := tx.MarkPublished(ctx, done, now()); err != nil {
			return err
		}
		if n == 0 {
			return perr
		}
		// Commit what was published, and report the failure after.
		pubErr = perr
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, pubErr
}
