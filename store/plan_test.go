package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"presso"
)

// outboxOf opens a database whose outbox holds perOrder events of each of
// orders orders.
func outboxOf(tb testing.TB, orders, perOrder int) *DB {
	tb.Helper()
	ctx := tb.Context()
	db := openSQLiteTest(tb)
	now := time.UnixMilli(1_767_225_600_000).UTC()
	for batch := 0; batch < orders; batch += 500 {
		err := db.Tx(ctx, func(tx *Tx) error {
			for o := batch; o < min(batch+500, orders); o++ {
				for e := range perOrder {
					env := presso.NewEnvelope(presso.OrderManagerMakeOrder, "bar", now, map[string]any{"n": e})
					if err := tx.AppendOutbox(ctx, env, fmt.Sprintf("o%05d", o)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("Tx(AppendOutbox) = %v", err)
		}
	}
	return db
}

// BenchmarkOrderEvents reads one order's events from an outbox of 21,000,
// by the query as it is and by the one before it repeated the index's
// condition.
func BenchmarkOrderEvents(b *testing.B) {
	db := outboxOf(b, 4200, 5)
	for _, c := range []struct{ name, query string }{
		{"index", orderEventsSQL},
		{"scan", `SELECT ` + outboxColumns + ` FROM outbox WHERE order_id = $1 ORDER BY seq`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				evs, err := collect(b.Context(), db.q, nil, c.query, scanOutboxed, "o01234")
				if err != nil || len(evs) != 5 {
					b.Fatalf("events = %d, %v, want 5", len(evs), err)
				}
			}
		})
	}
}

// TestOutboxQueriesUseIndex fails if the two queries that read the outbox
// by order scan it instead of searching the partial index outbox_order:
// a history read and the invariant check's terminal events, on an outbox
// of 20,000 events.
func TestOutboxQueriesUseIndex(t *testing.T) {
	ctx := t.Context()
	const orders, perOrder = 4000, 5
	db := outboxOf(t, orders, perOrder)
	now := time.UnixMilli(1_767_225_600_000).UTC()
	if n, err := db.PendingOutbox(ctx); err != nil || n != orders*perOrder {
		t.Fatalf("PendingOutbox() = %d, %v, want %d", n, err, orders*perOrder)
	}
	evs, err := db.OrderEvents(ctx, "o01234")
	if err != nil || len(evs) != perOrder {
		t.Fatalf("OrderEvents(o01234) = %d events, %v, want %d", len(evs), err, perOrder)
	}

	var terminal string
	var terminalArgs []any
	for _, c := range invariantChecks() {
		if c.name == "terminal events" {
			terminal, terminalArgs = c.query, c.args(now, time.Minute)
		}
	}
	if terminal == "" {
		t.Fatal(`invariantChecks() has no "terminal events" check`)
	}
	for _, c := range []struct {
		name  string
		query string
		args  []any
	}{
		{"OrderEvents", orderEventsSQL, []any{"o01234"}},
		{"terminal events", terminal, terminalArgs},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := queryPlan(t, db, c.query, c.args...)
			joined := strings.Join(plan, "; ")
			if !strings.Contains(joined, "USING INDEX outbox_order") && !strings.Contains(joined, "USING COVERING INDEX outbox_order") {
				t.Errorf("query plan = %q, want a SEARCH using index outbox_order", joined)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN outbox") || strings.HasPrefix(step, "SCAN x") {
					t.Errorf("query plan step %q scans the outbox (plan %q)", step, joined)
				}
			}
		})
	}
}

// queryPlan returns the detail of each step of SQLite's plan for query.
func queryPlan(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN = %v", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("plan rows: %v", err)
	}
	return plan
}

// TestQueueCountsUseIndex fails if the counts behind the wait estimate and
// the queue position read orders' rows instead of counting in the partial
// index orders_queue, with 3,000 orders queued at one bar.
func TestQueueCountsUseIndex(t *testing.T) {
	ctx := t.Context()
	db := openSQLiteTest(t)
	now := time.UnixMilli(1_767_225_600_000).UTC()
	err := db.Tx(ctx, func(tx *Tx) error {
		for i := range 3000 {
			state := presso.StateQueued
			if i%100 == 0 {
				state = presso.StateMaking
			}
			at := now.Add(time.Duration(i) * time.Millisecond)
			o := &presso.Order{ID: fmt.Sprintf("o%05d", i), EventID: "bar", UserID: "cus", UserName: "c", State: state,
				Number: int64(i + 1), Day: "2026-01-01", CreatedAt: at, SubmittedAt: &at, Version: 1}
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Tx(InsertOrder) = %v", err)
	}
	last, err := db.GetOrder(ctx, "o02999")
	if err != nil {
		t.Fatalf("GetOrder() = %v", err)
	}
	if l, err := db.QueueLoad(ctx, last); err != nil || l != (Load{Making: 30, Ahead: 2969}) {
		t.Fatalf("QueueLoad(last) = %+v, %v, want {Making:30 Ahead:2969}", l, err)
	}
	if n, err := db.QueuePosition(ctx, last); err != nil || n != 3000 {
		t.Fatalf("QueuePosition(last) = %d, %v, want 3000", n, err)
	}
	for _, c := range []struct {
		name  string
		query string
		// counts is how many steps count in orders_queue; the others
		// (QueueLoad's own row) must find orders by its key.
		counts int
	}{
		{"QueueLoad", queueLoadSQL, 2},
		{"QueuePosition", queuePositionSQL, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := queryPlan(t, db, c.query, "bar", ms(last.SubmittedAt.UTC()), last.Number, last.ID)
			joined := strings.Join(plan, "; ")
			if got := strings.Count(joined, "USING COVERING INDEX orders_queue"); got != c.counts {
				t.Errorf("query plan = %q: %d steps count in the covering index orders_queue, want %d", joined, got, c.counts)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN orders") || (strings.HasPrefix(step, "SEARCH orders") && !strings.Contains(step, "orders_queue") && !strings.Contains(step, "(id=?)")) {
					t.Errorf("query plan step %q reads orders' rows (plan %q)", step, joined)
				}
			}
		})
	}
}

// BenchmarkOrderRead reads one order by id on the read pool: the part the
// workflow checks a trigger against (OrderHead), and the whole order.
func BenchmarkOrderRead(b *testing.B) {
	ctx := b.Context()
	db := openSQLiteTest(b)
	now := time.UnixMilli(1_767_225_600_000).UTC()
	o := &presso.Order{ID: "o1", EventID: "bar", UserID: "cus", UserName: "Ada", State: presso.StateQueued, Number: 7,
		Day: "2026-01-01", CreatedAt: now, SubmittedAt: &now, Version: 2, Drink: &presso.Drink{ID: "latte", Name: "Latte",
			Modifiers: []presso.Modifier{{Group: "milk", GroupName: "Milk", Option: "oat", OptionName: "Oat"}}}}
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.InsertOrder(ctx, o) }); err != nil {
		b.Fatalf("InsertOrder() = %v", err)
	}
	for _, c := range []struct {
		name string
		read func() (*presso.Order, error)
	}{
		{"head", func() (*presso.Order, error) { return db.OrderHead(ctx, "o1") }},
		{"whole", func() (*presso.Order, error) { return db.GetOrder(ctx, "o1") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got, err := c.read(); err != nil || got.State != presso.StateQueued {
					b.Fatalf("read = %v, %v", got, err)
				}
			}
		})
	}
}
