// Package counting issues order numbers: sequential per bar, starting at 1,
// optionally restarting each bar-local day. A number is issued inside the
// transition that queues the order, so a rolled-back transition leaves no
// gap and two orders never share a number.
package counting

import (
	"context"
	"fmt"
	"time"

	"presso"
	"presso/store"
)

// Next returns the bar's next order number and the counter day it was
// drawn from ("" unless the bar resets daily).
func Next(ctx context.Context, tx *store.Tx, bar *presso.Bar, now time.Time) (int64, string, error) {
	day := ""
	if bar.DailyReset {
		day = bar.Day(now)
	}
	n, err := tx.NextNumber(ctx, bar.ID, day)
	if err != nil {
		return 0, "", fmt.Errorf("next number for %s: %w", bar.ID, err)
	}
	return n, day, nil
}
