package store

import (
	"context"
	"database/sql"
	"time"

	"presso"
)

// Staff is a staff account as stored.
type Staff struct {
	ID, Username, PasswordHash, Role, EventID string
	Disabled                                  bool
}

// StaffAccount is a staff account as the staff list shows it: no hash.
type StaffAccount struct {
	ID           string     `json:"id"`
	Username     string     `json:"username"`
	Role         string     `json:"role"`
	EventID      string     `json:"eventId"`
	Disabled     bool       `json:"disabled"`
	CreatedAt    time.Time  `json:"createdAt"`
	LastSignInAt *time.Time `json:"lastSignInAt"`
}

// CreateStaff inserts a staff account; a taken username is a conflict.
func (c *Tx) CreateStaff(ctx context.Context, s Staff, now time.Time) (err error) {
	defer wrap(&err, "store.CreateStaff")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO staff (
			id,
			username,
			password_hash,
			role,
			event_id,
			disabled,
			created_at
		) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, s.Username, s.PasswordHash, s.Role, s.EventID, s.Disabled, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, presso.CodeExists, "username %q is taken", s.Username)
	}
	return err
}

// SetStaffPassword replaces a staff account's password hash.
func (c *Tx) SetStaffPassword(ctx context.Context, username, hash string) (err error) {
	defer wrap(&err, "store.SetStaffPassword")
	res, err := c.q.ExecContext(ctx, `UPDATE staff SET password_hash = $2 WHERE username = $1`, username, hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("staff account")
	}
	return nil
}

// UpdateStaff stores an account's role, bar and whether it is disabled.
func (c *Tx) UpdateStaff(ctx context.Context, s Staff) (err error) {
	defer wrap(&err, "store.UpdateStaff")
	res, err := c.q.ExecContext(ctx, `
		UPDATE staff SET
			role = $2,
			event_id = $3,
			disabled = $4
		WHERE id = $1`,
		s.ID, s.Role, s.EventID, s.Disabled)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return presso.NotFound("staff account")
	}
	return nil
}

// RecordSignIn notes a sign-in, but only while the account is enabled and
// its password hash is still the one that was checked: it runs in the
// transaction that stores the session, so a sign-in racing a disable or a
// password change either happens before it (and its session is ended) or
// is refused. It reports whether the account qualified.
func (c *Tx) RecordSignIn(ctx context.Context, id, checkedHash string, now time.Time) (_ bool, err error) {
	defer wrap(&err, "store.RecordSignIn")
	res, err := c.q.ExecContext(ctx, `UPDATE staff SET last_sign_in_at = $3
		WHERE id = $1 AND password_hash = $2 AND NOT disabled`, id, checkedHash, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LockAdmins takes a row lock on every enabled admin (a no-op write), so
// two transactions that each disable or demote a different admin cannot
// both see the other still enabled: the second waits for the first, then
// counts again. SQLite's single writer serialises them anyway.
func (c *Tx) LockAdmins(ctx context.Context) (err error) {
	defer wrap(&err, "store.LockAdmins")
	_, err = c.q.ExecContext(ctx, `UPDATE staff SET disabled = disabled WHERE role = 'admin' AND NOT disabled`)
	return err
}

// CountEnabledAdmins counts the enabled admins other than the account
// with id except.
func (c conn) CountEnabledAdmins(ctx context.Context, except string) (_ int, err error) {
	defer wrap(&err, "store.CountEnabledAdmins")
	var n int
	err = c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff WHERE role = 'admin' AND NOT disabled AND id <> $1`, except).Scan(&n)
	return n, err
}

const staffColumns = `id, username, password_hash, role, event_id, disabled`

// StaffByUsername finds a staff account for sign-in.
func (c conn) StaffByUsername(ctx context.Context, username string) (_ Staff, err error) {
	defer wrap(&err, "store.StaffByUsername")
	var s Staff
	err = c.q.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE username = $1`, username).
		Scan(&s.ID, &s.Username, &s.PasswordHash, &s.Role, &s.EventID, &s.Disabled)
	return s, notFound(err, "staff account")
}

// ListStaff returns every staff account by username, without hashes.
func (c conn) ListStaff(ctx context.Context) (_ []StaffAccount, err error) {
	defer wrap(&err, "store.ListStaff")
	return collect(ctx, c.q, []StaffAccount{}, `
		SELECT id, username, role, event_id, disabled, created_at, last_sign_in_at
		FROM staff ORDER BY username`, scanStaffAccount)
}

// StaffAccountByUsername is one row of the staff list.
func (c conn) StaffAccountByUsername(ctx context.Context, username string) (_ StaffAccount, err error) {
	defer wrap(&err, "store.StaffAccountByUsername")
	a, err := scanStaffAccount(c.q.QueryRowContext(ctx, `
		SELECT id, username, role, event_id, disabled, created_at, last_sign_in_at
		FROM staff WHERE username = $1`, username))
	return a, notFound(err, "staff account")
}

func scanStaffAccount(row scanner) (StaffAccount, error) {
	var a StaffAccount
	var created int64
	var last sql.NullInt64
	err := row.Scan(&a.ID, &a.Username, &a.Role, &a.EventID, &a.Disabled, &created, &last)
	a.CreatedAt, a.LastSignInAt = fromMS(created), fromNullMS(last)
	return a, err
}

// CountStaff counts staff accounts, to know whether this is a first start.
func (c conn) CountStaff(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "store.CountStaff")
	var n int
	err = c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n)
	return n, err
}
