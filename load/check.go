package load

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"presso/store"
)

// Report is the result of an invariant check.
type Report struct {
	Engine     string         // "sqlite" or "postgres"
	Orders     int            // orders in the database
	States     map[string]int // orders by state
	Violations []store.Violation
}

// OK reports whether no invariant is broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// checkGrace is how long past its deadline an active order may stay before the
// check calls it stuck, and checkSettle how long the check keeps looking while
// it finds violations, so work still in flight (a relay batch, a sweep)
// can land.
const (
	checkGrace  = 5 * time.Second
	checkSettle = 3 * time.Second
)

// Check reads the database named by dsn (a SQLite file, or a postgres://
// URL) and reports every broken invariant: an order in an unknown state or
// stuck past its deadline by more than 5 s, an ended order with a deadline
// or no finish time, a duplicate number per bar and number day, a history
// that does not start at waiting, breaks its chain, does not match the
// order's version or does not end in its state, other than exactly one
// transition and one terminal event for an ended order (none for an active
// one), events not yet relayed from the outbox, and capacity or
// per-customer counters that disagree with the orders. It only reads, so it
// may run beside a live server, or after a crash.
func Check(ctx context.Context, dsn string) (Report, error) {
	return check(ctx, dsn, checkGrace, checkSettle)
}

func check(ctx context.Context, dsn string, grace, settle time.Duration) (Report, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		if _, err := os.Stat(dsn); err != nil {
			return Report{}, fmt.Errorf("no database at %s: %w", dsn, err)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return Report{}, err
	}
	defer db.Close()
	rep := Report{Engine: db.Engine(), States: map[string]int{}}
	deadline := time.Now().Add(settle)
	for {
		rep.Violations, err = db.CheckInvariants(ctx, time.Now(), grace)
		if err != nil {
			return rep, err
		}
		if len(rep.Violations) == 0 || time.Now().After(deadline) {
			break
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return rep, ctx.Err()
		}
	}
	states, err := db.OrderStates(ctx)
	if err != nil {
		return rep, err
	}
	for s, n := range states {
		rep.States[string(s)] = n
		rep.Orders += n
	}
	return rep, nil
}

// write prints the report: a line of totals, then each violation.
func (r Report) write(w io.Writer) {
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(r.States)) {
		parts = append(parts, fmt.Sprintf("%s %d", s, r.States[s]))
	}
	fmt.Fprintf(w, "invariants (%s): %d orders (%s): %d violations\n", r.Engine, r.Orders, strings.Join(parts, ", "), len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
}
