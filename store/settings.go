package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns the value stored under name, or "" when there is none.
func (c conn) Setting(ctx context.Context, name string) (_ string, err error) {
	defer wrap(&err, "store.Setting")
	var v string
	err = c.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetSetting stores value under name, replacing what was there.
func (c *Tx) SetSetting(ctx context.Context, name, value string) (err error) {
	defer wrap(&err, "store.SetSetting")
	_, err = c.q.ExecContext(ctx, `
		INSERT INTO settings (
			name,
			value
		) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// InitSetting stores value under name unless a value is there already, and
// returns the one that is kept: replicas starting at once agree on the
// first one written.
func (c *Tx) InitSetting(ctx context.Context, name, value string) (_ string, err error) {
	defer wrap(&err, "store.InitSetting")
	if _, err := c.q.ExecContext(ctx, `
		INSERT INTO settings (
			name,
			value
		) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", err
	}
	var v string
	err = c.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, err
}
