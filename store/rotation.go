package store

import (
	"context"
	"time"
)

// What the admin console does to a bar's live QR code: end it early for a
// new code now, and move its uses when the drinks per code change.

// EndCodes ends the bar's live code windows at now (a rotation): their
// codes answer "expired" from then on.
func (c *Tx) EndCodes(ctx context.Context, eventID string, now time.Time) (err error) {
	defer wrap(&err, "store.EndCodes")
	_, err = c.q.ExecContext(ctx, `UPDATE qr_codes SET window_end = $2 WHERE event_id = $1 AND window_start <= $2 AND window_end > $2`,
		eventID, ms(now))
	return err
}

// AdjustCodeUses moves the uses left of the bar's live code by delta when
// its drinks per code change to limit, never below zero nor above limit.
func (c *Tx) AdjustCodeUses(ctx context.Context, eventID string, now time.Time, delta, limit int) (err error) {
	defer wrap(&err, "store.AdjustCodeUses")
	_, err = c.q.ExecContext(ctx, `
		UPDATE qr_codes SET
			uses_left = CASE
				WHEN uses_left + $3 < 0 THEN 0
				WHEN uses_left + $3 > $4 THEN $4
				ELSE uses_left + $3
			END
		WHERE event_id = $1 AND window_start <= $2 AND window_end > $2`,
		eventID, ms(now), delta, limit)
	return err
}
