package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Pairing is a one-time code and link that signs a screen in as a bar's
// display. Only the hashes of the code and of the link's token are kept.
type Pairing struct {
	CodeHash  string
	TokenHash string
	EventID   string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// pairingsKept is how long a used or expired pairing stays, so that using
// it again is told "used" or "expired" rather than "unknown".
const pairingsKept = 24 * time.Hour

// CreatePairing stores a new pairing, and forgets those expired more than
// a day ago.
func (c *Tx) CreatePairing(ctx context.Context, p Pairing) (err error) {
	defer wrap(&err, "store.CreatePairing")
	if _, err := c.q.ExecContext(ctx, `DELETE FROM pairings WHERE expires_at <= $1`, ms(p.CreatedAt.Add(-pairingsKept))); err != nil {
		return err
	}
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO pairings (
			code_hash,
			token_hash,
			event_id,
			created_by,
			created_at,
			expires_at
		) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.CodeHash, p.TokenHash, p.EventID, p.CreatedBy, ms(p.CreatedAt), ms(p.ExpiresAt))
	return err
}

// Pairing columns: by code or by token, the two ways one is used.
const (
	PairingByCode  = "code_hash"
	PairingByToken = "token_hash"
)

// UsePairing marks the pairing whose code or token (by, one of
// PairingByCode and PairingByToken) hashes to hash as used, if it is
// unused and live at now. It reports false, with the stored pairing, when
// it was used or has expired, and a not-found error when there is none.
// The check and the mark are one statement, so a pairing is used once.
func (c *Tx) UsePairing(ctx context.Context, by, hash string, now time.Time) (_ Pairing, _ bool, err error) {
	defer wrap(&err, "store.UsePairing")
	if by != PairingByCode && by != PairingByToken {
		by = PairingByCode
	}
	var p Pairing
	var created, expires int64
	var used sql.NullInt64
	err = c.q.QueryRowContext(ctx, `UPDATE pairings SET used_at = $2
		WHERE `+by+` = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING code_hash, token_hash, event_id, created_by, created_at, expires_at, used_at`, hash, ms(now)).
		Scan(&p.CodeHash, &p.TokenHash, &p.EventID, &p.CreatedBy, &created, &expires, &used)
	ok := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = c.q.QueryRowContext(ctx, `SELECT code_hash, token_hash, event_id, created_by, created_at, expires_at, used_at
			FROM pairings WHERE `+by+` = $1`, hash).
			Scan(&p.CodeHash, &p.TokenHash, &p.EventID, &p.CreatedBy, &created, &expires, &used)
	}
	if err != nil {
		return Pairing{}, false, notFound(err, "pairing")
	}
	p.CreatedAt, p.ExpiresAt, p.UsedAt = fromMS(created), fromMS(expires), fromNullMS(used)
	return p, ok, nil
}
