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

// CreateSession stores a session under the hash of its token.
func (c *Tx) CreateSession(ctx context.Context, tokenHash, userID, kind string, now, expires time.Time) (err error) {
	defer wrap(&err, "store.CreateSession")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO sessions (
			token_hash,
			user_id,
			kind,
			created_at,
			expires_at
		) VALUES (
			$1,
			$2,
			$3,
			$4,
			$5
		)`,
		tokenHash, userID, kind, ms(now), ms(expires))
	return err
}

// DeleteSession ends a session.
func (c *Tx) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer wrap(&err, "store.DeleteSession")
	_, err = c.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// SessionIdentity resolves a live session to the identity behind it.
func (c conn) SessionIdentity(ctx context.Context, tokenHash string, now time.Time) (_ presso.Identity, err error) {
	defer wrap(&err, "store.SessionIdentity")
	var id presso.Identity
	err = c.q.QueryRowContext(ctx, `
		SELECT s.user_id, s.kind, COALESCE(st.username, cu.name, ''), COALESCE(st.role, 'customer'), COALESCE(st.event_id, '')
		FROM sessions s
		LEFT JOIN staff st ON s.kind = 'staff' AND st.id = s.user_id
		LEFT JOIN customers cu ON s.kind = 'customer' AND cu.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, ms(now)).
		Scan(&id.ID, &id.Kind, &id.Name, &id.Role, &id.EventID)
	if errors.Is(err, sql.ErrNoRows) {
		return id, presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
	}
	return id, err
}

// DeleteExpiredSessions removes sessions and codes past their expiry, and
// the name-only customers nothing refers to any more.
func (c *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) (err error) {
	defer wrap(&err, "store.DeleteExpiredSessions")
	_, err = c.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
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
	return err
}

// PutSigninCode replaces the pending sign-in code for an email.
func (c *Tx) PutSigninCode(ctx context.Context, email, codeHash string, expires time.Time) (err error) {
	defer wrap(&err, "store.PutSigninCode")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO signin_codes (
			email,
			code_hash,
			expires_at,
			attempts
		) VALUES (
			$1,
			$2,
			$3,
			0
		)
		ON CONFLICT (email) DO UPDATE SET
			code_hash = excluded.code_hash,
			expires_at = excluded.expires_at,
			attempts = 0`,
		email, codeHash, ms(expires))
	return err
}

// TakeSigninAttempt counts one attempt at the email's code and returns the
// stored hash; it fails once the code expired or had maxAttempts tries.
func (c *Tx) TakeSigninAttempt(ctx context.Context, email string, now time.Time, maxAttempts int) (_ string, err error) {
	defer wrap(&err, "store.TakeSigninAttempt")
	var hash string
	err = c.q.QueryRowContext(ctx, `UPDATE signin_codes SET attempts = attempts + 1
		WHERE email = $1 AND expires_at > $2 AND attempts < $3 RETURNING code_hash`, email, ms(now), maxAttempts).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", presso.E(presso.KindInvalid, presso.CodeInvalidCode, "no valid sign-in code for this email: ask for a new one")
	}
	return hash, err
}

// DeleteSigninCode removes a used code.
func (c *Tx) DeleteSigninCode(ctx context.Context, email string) (err error) {
	defer wrap(&err, "store.DeleteSigninCode")
	_, err = c.q.ExecContext(ctx, `DELETE FROM signin_codes WHERE email = $1`, email)
	return err
}
