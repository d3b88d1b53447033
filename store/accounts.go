package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"presso"
)

// Customer is a customer as stored.
type Customer struct {
	ID, Email, Name string
}

// CreateCustomer inserts a customer. An empty email stays NULL so name-mode
// customers never collide.
func (c *Tx) CreateCustomer(ctx context.Context, cu Customer, now time.Time) (err error) {
	defer wrap(&err, "store.CreateCustomer")
	email := sql.NullString{String: cu.Email, Valid: cu.Email != ""}
	_, err = c.q.ExecContext(ctx, `INSERT INTO customers (id, email, name, created_at) VALUES ($1, $2, $3, $4)`,
		cu.ID, email, cu.Name, ms(now))
	if isUniqueViolation(err) {
		return presso.E(presso.KindConflict, presso.CodeExists, "customer exists")
	}
	return err
}

// CustomerByEmail finds a customer signed in by email.
func (c conn) CustomerByEmail(ctx context.Context, email string) (_ Customer, err error) {
	defer wrap(&err, "store.CustomerByEmail")
	var cu Customer
	var e sql.NullString
	err = c.q.QueryRowContext(ctx, `SELECT id, email, name FROM customers WHERE email = $1`, email).Scan(&cu.ID, &e, &cu.Name)
	cu.Email = e.String
	return cu, notFound(err, "customer")
}

// SetCustomerName renames a customer: the first name they gave to be called
// out by. Their sessions see it at once (an identity is read through its
// session); orders keep the name they were placed under.
func (c *Tx) SetCustomerName(ctx context.Context, id, name string) (err error) {
	defer wrap(&err, "store.SetCustomerName")
	res, err := c.q.ExecContext(ctx, `UPDATE customers SET name = $2 WHERE id = $1`, id, name)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return presso.NotFound("customer")
	}
	return err
}

// Session is a session as stored, under the hash of its token.
type Session struct {
	TokenHash string
	UserID    string
	Kind      string
	EventID   string // the bar a name sign-in was made at; "" for every other session
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a session under the hash of its token.
func (c *Tx) CreateSession(ctx context.Context, tokenHash, userID, kind string, now, expires time.Time) error {
	return c.PutSession(ctx, Session{TokenHash: tokenHash, UserID: userID, Kind: kind, CreatedAt: now, ExpiresAt: expires})
}

// PutSession stores a session.
func (c *Tx) PutSession(ctx context.Context, s Session) (err error) {
	defer wrap(&err, "store.PutSession")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO sessions (
			token_hash,
			user_id,
			kind,
			event_id,
			created_at,
			expires_at
		) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.TokenHash, s.UserID, s.Kind, s.EventID, ms(s.CreatedAt), ms(s.ExpiresAt))
	return err
}

// DeleteSession ends a session and reports whether there was one.
func (c *Tx) DeleteSession(ctx context.Context, tokenHash string) (_ bool, err error) {
	defer wrap(&err, "store.DeleteSession")
	res, err := c.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeleteUserSessions ends every session of a user and reports how many
// there were.
func (c *Tx) DeleteUserSessions(ctx context.Context, userID string) (_ int64, err error) {
	defer wrap(&err, "store.DeleteUserSessions")
	res, err := c.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ExtendSession moves a live session's expiry to expires, never earlier
// than it was.
func (c *Tx) ExtendSession(ctx context.Context, tokenHash string, expires time.Time) (err error) {
	defer wrap(&err, "store.ExtendSession")
	_, err = c.q.ExecContext(ctx, `UPDATE sessions SET expires_at = $2 WHERE token_hash = $1 AND expires_at < $2`, tokenHash, ms(expires))
	return err
}

// SessionIdentity resolves a live session to the identity behind it.
func (c conn) SessionIdentity(ctx context.Context, tokenHash string, now time.Time) (presso.Identity, error) {
	id, _, err := c.SessionByToken(ctx, tokenHash, now)
	return id, err
}

// SessionByToken resolves a live session to the identity behind it and
// the session as stored. A name sign-in's identity carries the bar it was
// made at as its EventID.
func (c conn) SessionByToken(ctx context.Context, tokenHash string, now time.Time) (_ presso.Identity, _ Session, err error) {
	defer wrap(&err, "store.SessionByToken")
	var id presso.Identity
	s := Session{TokenHash: tokenHash}
	var created, expires int64
	err = c.q.QueryRowContext(ctx, `
		SELECT s.user_id, s.kind, COALESCE(st.username, cu.name, ''), COALESCE(st.role, 'customer'), COALESCE(st.event_id, s.event_id),
			s.event_id, s.created_at, s.expires_at
		FROM sessions s
		LEFT JOIN staff st ON s.kind = 'staff' AND st.id = s.user_id
		LEFT JOIN customers cu ON s.kind = 'customer' AND cu.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, ms(now)).
		Scan(&id.ID, &id.Kind, &id.Name, &id.Role, &id.EventID, &s.EventID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return id, s, presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
	}
	s.UserID, s.Kind, s.CreatedAt, s.ExpiresAt = id.ID, id.Kind, fromMS(created), fromMS(expires)
	return id, s, err
}

// DeleteExpiredSessions removes sessions, codes and rate counts past their
// expiry, back-offs forgotten (see BackoffForget), and the name-only
// customers nothing refers to any more.
func (c *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) (err error) {
	defer wrap(&err, "store.DeleteExpiredSessions")
	_, err = c.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
	if err == nil {
		_, err = c.q.ExecContext(ctx, `DELETE FROM signin_codes WHERE expires_at <= $1`, ms(now))
	}
	if err == nil {
		_, err = c.q.ExecContext(ctx, `DELETE FROM rate_counts WHERE expires_at <= $1`, ms(now))
	}
	if err == nil {
		_, err = c.q.ExecContext(ctx, `DELETE FROM signin_backoff WHERE next_at <= $1 AND updated_at <= $2`, ms(now), ms(now.Add(-BackoffForget)))
	}
	if err == nil {
		// A name sign-in is a new customer each time; one with no session
		// left and no order can never be reached again.
		_, err = c.q.ExecContext(ctx, `DELETE FROM customers WHERE email IS NULL
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = customers.id)
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = customers.id)`)
	}
	return err
}

// AnyExpired reports whether DeleteExpiredSessions would find anything
// to delete now. It reads the read pool, so a cleanup with nothing to do
// takes no write transaction.
func (c conn) AnyExpired(ctx context.Context, now time.Time) (_ bool, err error) {
	defer wrap(&err, "store.AnyExpired")
	var found bool
	err = c.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE expires_at <= $1)
		OR EXISTS (SELECT 1 FROM signin_codes WHERE expires_at <= $1)
		OR EXISTS (SELECT 1 FROM rate_counts WHERE expires_at <= $1)
		OR EXISTS (SELECT 1 FROM signin_backoff WHERE next_at <= $1 AND updated_at <= $2)
		OR EXISTS (SELECT 1 FROM customers WHERE email IS NULL
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = customers.id)
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = customers.id))`,
		ms(now), ms(now.Add(-BackoffForget))).Scan(&found)
	return found, err
}

// AddSigninCode stores one more pending sign-in code for an email; the
// codes mailed before it stay valid until they expire or one is used.
func (c *Tx) AddSigninCode(ctx context.Context, email, codeHash string, now, expires time.Time) (err error) {
	defer wrap(&err, "store.AddSigninCode")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO signin_codes (
			email,
			code_hash,
			created_at,
			expires_at,
			attempts
		) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (email, code_hash) DO UPDATE SET
			created_at = excluded.created_at,
			expires_at = excluded.expires_at,
			attempts = 0`,
		email, codeHash, ms(now), ms(expires))
	return err
}

// TakeSigninAttempt counts one guess against every live code of the email
// and returns their hashes to judge it by; it fails when no code is live
// (all expired, used or tried maxAttempts times).
func (c *Tx) TakeSigninAttempt(ctx context.Context, email string, now time.Time, maxAttempts int) (_ []string, err error) {
	defer wrap(&err, "store.TakeSigninAttempt")
	hashes, err := collect(ctx, c.q, nil, `UPDATE signin_codes SET attempts = attempts + 1
		WHERE email = $1 AND expires_at > $2 AND attempts < $3 RETURNING code_hash`, scanString, email, ms(now), maxAttempts)
	if err == nil && len(hashes) == 0 {
		return nil, presso.E(presso.KindInvalid, presso.CodeInvalidCode, "no valid sign-in code for this email: ask for a new one")
	}
	return hashes, err
}

// LiveSigninCodes counts the email's codes that can still be used.
func (c conn) LiveSigninCodes(ctx context.Context, email string, now time.Time, maxAttempts int) (_ int, err error) {
	defer wrap(&err, "store.LiveSigninCodes")
	var n int
	err = c.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_codes WHERE email = $1 AND expires_at > $2 AND attempts < $3`,
		email, ms(now), maxAttempts).Scan(&n)
	return n, err
}

// DeleteSigninCode removes every code of the email, once one was used.
func (c *Tx) DeleteSigninCode(ctx context.Context, email string) (err error) {
	defer wrap(&err, "store.DeleteSigninCode")
	_, err = c.q.ExecContext(ctx, `DELETE FROM signin_codes WHERE email = $1`, email)
	return err
}

func scanString(row scanner) (s string, err error) {
	err = row.Scan(&s)
	return s, err
}
