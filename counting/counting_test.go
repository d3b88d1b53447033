package counting_test

import (
	"context"
	"testing"
	"time"

	"presso/config"
	"presso/counting"
	"presso/store"
	"presso/store/storetest"
)

func TestNext(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite().Open(t)
	bar := config.DemoBar()
	bar.Timezone = "America/New_York"
	day1 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day2 := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC) // 01:00 in New York: the next local day
	cases := []struct {
		daily   bool
		at      time.Time
		want    int64
		wantDay string
	}{
		{false, day1, 1, ""},
		{false, day1, 2, ""},
		{false, day2, 3, ""},
		{true, day1, 1, "2026-11-25"},
		{true, day1, 2, "2026-11-25"},
		{true, day2, 1, "2026-11-26"},
	}
	for i, c := range cases {
		bar.DailyReset = c.daily
		var n int64
		var day string
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			n, day, err = counting.Next(ctx, tx, bar, c.at)
			return err
		})
		if err != nil || n != c.want || day != c.wantDay {
			t.Fatalf("case %d: Next = %d %q %v, want %d %q", i, n, day, err, c.want, c.wantDay)
		}
	}
}
