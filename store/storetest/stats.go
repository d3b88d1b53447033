package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// The reads behind the stats, the wait estimate, the journey and the
// metrics (store/stats.go).

// kolkata is UTC+05:30, so a local hour is not a UTC hour: it checks that
// the engines bucket by (t + offset) / 3600000 alike.
func kolkata(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// statsOrder is one order of a fixture: its times as local "hh:mm" on
// 2026-01-01 (before 12:00: the next day), its path as history steps.
type statsOrder struct {
	id, bar, state, cause     string
	created, submitted        string
	made, finished, collected string
	baristaID, baristaName    string
	steps                     []statsStep
}

type statsStep struct {
	at, from, to, trigger, actor string
}

// insertStatsOrders writes the fixture's orders and their history.
func insertStatsOrders(t *testing.T, db *store.DB, loc *time.Location, orders []statsOrder) {
	t.Helper()
	at := func(hm string) time.Time {
		l, err := time.ParseInLocation("2006-01-02 15:04", "2026-01-01 "+hm, loc)
		if err != nil {
			t.Fatal(err)
		}
		if l.Hour() < 12 {
			l = l.AddDate(0, 0, 1)
		}
		return l.UTC()
	}
	opt := func(hm string) *time.Time {
		if hm == "" {
			return nil
		}
		return ptr(at(hm))
	}
	for i, f := range orders {
		o := order(f.id, f.bar, "cus_"+f.id, presso.State(f.state), 0, at(f.created))
		o.Cause, o.BaristaID, o.BaristaName = f.cause, f.baristaID, f.baristaName
		o.SubmittedAt, o.MadeAt, o.FinishedAt, o.CollectedAt = opt(f.submitted), opt(f.made), opt(f.finished), opt(f.collected)
		if o.SubmittedAt != nil {
			o.Number, o.Drink = int64(i+1), drink()
		}
		o.Version = int64(len(f.steps))
		tx(t, db, func(tx *store.Tx) error {
			if err := tx.InsertOrder(t.Context(), o); err != nil {
				return err
			}
			for seq, s := range f.steps {
				step := store.Step{At: at(s.at), From: presso.State(s.from), To: presso.State(s.to), Trigger: s.trigger, Actor: s.actor}
				if err := tx.AppendHistory(t.Context(), o.ID, int64(seq+1), step); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func testBarStats(t *testing.T, db *store.DB) {
	loc := kolkata(t)
	tx(t, db, func(tx *store.Tx) error {
		for _, s := range []store.Staff{{ID: "stf_ann", Username: "ann", Role: "barista", EventID: "s"}, {ID: "stf_bo", Username: "bo", Role: "barista", EventID: "s"}} {
			s.PasswordHash = "x"
			if err := tx.CreateStaff(t.Context(), s, t0); err != nil {
				return err
			}
		}
		return nil
	})
	insertStatsOrders(t, db, loc, []statsOrder{
		{id: "o1", bar: "s", state: "completed", created: "23:10", submitted: "23:12", made: "23:13", finished: "23:20", collected: "23:21",
			baristaID: "stf_ann", baristaName: "ann", steps: []statsStep{
				{"23:10", "", "waiting", "redeem", "cus_o1"}, {"23:12", "waiting", "queued", "submit", "cus_o1"},
				{"23:13", "queued", "making", "make", "stf_ann"}, {"23:20", "making", "completed", "complete", "stf_ann"},
				{"23:21", "completed", "completed", "collect", "stf_ann"}}},
		// Completed straight from the queue by bo: no make time.
		{id: "o2", bar: "s", state: "completed", created: "23:50", submitted: "23:55", finished: "00:05", steps: []statsStep{
			{"23:50", "", "waiting", "redeem", "cus_o2"}, {"23:55", "waiting", "queued", "submit", "cus_o2"},
			{"00:05", "queued", "completed", "complete", "stf_bo"}}},
		{id: "o3", bar: "s", state: "cancelled", cause: "customer", created: "00:10", submitted: "00:11", finished: "00:12", steps: []statsStep{
			{"00:10", "", "waiting", "redeem", "cus_o3"}, {"00:11", "waiting", "queued", "submit", "cus_o3"},
			{"00:12", "queued", "cancelled", "cancel", "cus_o3"}}},
		{id: "o4", bar: "s", state: "timed_out", cause: "customer", created: "00:20", finished: "00:25", steps: []statsStep{
			{"00:20", "", "waiting", "redeem", "cus_o4"}, {"00:25", "waiting", "timed_out", "timeout", "system"}}},
		{id: "o5", bar: "s", state: "making", created: "00:30", submitted: "00:31", made: "00:32", baristaID: "stf_bo", baristaName: "bo",
			steps: []statsStep{{"00:30", "", "waiting", "redeem", "cus_o5"}, {"00:31", "waiting", "queued", "submit", "cus_o5"},
				{"00:32", "queued", "making", "make", "stf_bo"}}},
		// Redeemed before the window: not one of its orders, but its
		// completion falls in the window's first hour.
		{id: "o6", bar: "s", state: "completed", created: "22:50", submitted: "22:51", finished: "23:05", steps: []statsStep{
			{"22:50", "", "waiting", "redeem", "cus_o6"}, {"22:51", "waiting", "queued", "submit", "cus_o6"},
			{"23:05", "queued", "completed", "complete", "stf_ann"}}},
		// Another bar's.
		{id: "o7", bar: "elsewhere", state: "completed", created: "23:30", submitted: "23:31", finished: "23:32", steps: []statsStep{
			{"23:30", "", "waiting", "redeem", "cus_o7"}, {"23:32", "queued", "completed", "complete", "stf_ann"}}},
	})
	from := time.Date(2026, 1, 1, 17, 30, 0, 0, time.UTC) // 23:00 in Kolkata
	q := store.StatsQuery{EventID: "s", From: from, To: from.Add(2 * time.Hour), Loc: loc,
		Now: time.Date(2026, 1, 1, 18, 44, 0, 0, time.UTC), ReadyFor: 10 * time.Minute} // now 00:14
	got, err := db.BarStats(t.Context(), q)
	if err != nil {
		t.Fatalf("BarStats() = %v", err)
	}
	v := func(n int64) *int64 { return &n }
	s := func(n int, p50, p90 int64) store.Summary { return store.Summary{N: n, P50: v(p50), P90: v(p90)} }
	want := &store.Stats{
		Counts: map[presso.State]int{"waiting": 0, "queued": 0, "making": 1, "completed": 2, "cancelled": 1, "timed_out": 1},
		Causes: map[presso.State]map[string]int{"cancelled": {"customer": 1, "barista": 0}, "timed_out": {"customer": 1, "barista": 0}},
		PerHour: []store.HourStats{
			{Start: from, Day: "2026-01-01", Hour: "23:00", Redeemed: 2, Ordered: 2, Completed: 2, WaitP50Ms: v(480_000)},
			{Start: from.Add(time.Hour), Day: "2026-01-02", Hour: "00:00", Redeemed: 3, Ordered: 2, Completed: 1},
		},
		Funnel: store.Funnel{Redeemed: 5, Chosen: 4, Making: 3, Completed: 2, Collected: 1},
		Wait: store.WaitStats{Overall: s(2, 480_000, 600_000),
			ByDrink: []store.DrinkSummary{{Drink: "latte", Name: "Latte", Summary: s(2, 480_000, 600_000)}}},
		Make: store.MakeStats{Overall: s(1, 420_000, 420_000),
			ByDrink: []store.DrinkSummary{{Drink: "latte", Name: "Latte", Summary: s(1, 420_000, 420_000)}},
			ByBarista: []store.BaristaSummary{
				{ID: "stf_ann", Name: "ann", Completed: 1, Make: s(1, 420_000, 420_000)},
				{ID: "stf_bo", Name: "bo", Completed: 1, Make: store.Summary{}},
			}},
		Now: store.NowStats{Queued: 0, Making: 1, Ready: 1, CompletedLast15: 1},
	}
	if g, w := asJSON(t, got), asJSON(t, want); g != w {
		t.Fatalf("BarStats() =\n%s\nwant\n%s", g, w)
	}

	// A window with no orders has its hours, all empty.
	q.From, q.To = from.Add(-3*time.Hour), from.Add(-time.Hour)
	got, err = db.BarStats(t.Context(), q)
	if err != nil {
		t.Fatalf("BarStats(empty window) = %v", err)
	}
	if len(got.PerHour) != 2 || got.PerHour[0].Hour != "20:00" || got.Funnel != (store.Funnel{}) || got.Wait.Overall.N != 0 ||
		got.Wait.Overall.P50 != nil || len(got.Wait.ByDrink) != 0 || len(got.Make.ByBarista) != 0 {
		t.Errorf("BarStats(empty window) = %s, want two empty hours from 20:00 and no figures", asJSON(t, got))
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testPercentile(t *testing.T, _ *store.DB) {
	for _, c := range []struct {
		sample []int64
		p      int
		want   int64
	}{
		{[]int64{7}, 50, 7}, {[]int64{7}, 90, 7},
		{[]int64{1, 2}, 50, 1}, {[]int64{1, 2}, 90, 2},
		{[]int64{1, 2, 3, 4}, 50, 2}, {[]int64{1, 2, 3, 4}, 90, 4},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9}, {[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10}, {[]int64{1, 2, 3}, 0, 1}, {[]int64{1, 2, 3}, 100, 3},
	} {
		if got := store.Percentile(c.sample, c.p); got != c.want {
			t.Errorf("Percentile(%v, %d) = %d, want %d", c.sample, c.p, got, c.want)
		}
	}
}

func testRecentCompletions(t *testing.T, db *store.DB) {
	for i, f := range []struct {
		id, bar, state string
		made, finished time.Duration
		barista        string
	}{
		{"r1", "s", "completed", 1 * time.Minute, 2 * time.Minute, "stf_a"},
		{"r2", "s", "completed", -1, 3 * time.Minute, ""}, // straight from the queue
		{"r3", "s", "completed", 3 * time.Minute, 4 * time.Minute, "stf_b"},
		{"r4", "s", "cancelled", 3 * time.Minute, 5 * time.Minute, "stf_b"},
		{"r5", "t", "completed", 3 * time.Minute, 6 * time.Minute, "stf_b"},
		{"r0", "s", "completed", 0, 30 * time.Second, "stf_a"}, // before since
	} {
		o := order(f.id, f.bar, "cus", presso.State(f.state), int64(i+1), at(0))
		o.SubmittedAt, o.FinishedAt, o.Drink, o.BaristaID = ptr(at(0)), ptr(at(f.finished)), drink(), f.barista
		if f.made >= 0 {
			o.MadeAt = ptr(at(f.made))
		}
		insertOrder(t, db, o)
	}
	got, err := db.RecentCompletions(t.Context(), "s", at(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Completion{
		{FinishedAt: at(4 * time.Minute), MadeAt: ptr(at(3 * time.Minute)), Drink: "latte", BaristaID: "stf_b"},
		{FinishedAt: at(3 * time.Minute), Drink: "latte"},
		{FinishedAt: at(2 * time.Minute), MadeAt: ptr(at(time.Minute)), Drink: "latte", BaristaID: "stf_a"},
	}
	if asJSON(t, got) != asJSON(t, want) {
		t.Fatalf("RecentCompletions() = %s, want %s", asJSON(t, got), asJSON(t, want))
	}
	if got, err := db.RecentCompletions(t.Context(), "s", at(time.Minute), 2); err != nil || len(got) != 2 || !got[1].FinishedAt.Equal(at(3*time.Minute)) {
		t.Errorf("RecentCompletions(limit 2) = %v, %v; want the newest two", got, err)
	}
}

func testQueueLoad(t *testing.T, db *store.DB) {
	for i, f := range []struct {
		id, bar, state string
		submitted      time.Duration
	}{
		{"a", "s", "making", 0}, {"b", "s", "queued", time.Second}, {"c", "s", "making", 2 * time.Second},
		{"d", "s", "queued", 3 * time.Second}, {"e", "s", "queued", 3 * time.Second}, {"f", "s", "queued", 4 * time.Second},
		{"g", "t", "queued", 0}, {"h", "s", "completed", 0},
	} {
		o := order(f.id, f.bar, "cus", presso.State(f.state), int64(i+1), at(0))
		o.SubmittedAt = ptr(at(f.submitted))
		insertOrder(t, db, o)
	}
	for _, c := range []struct {
		id   string
		want store.Load
	}{
		{"b", store.Load{Making: 2, Ahead: 0}},
		{"d", store.Load{Making: 2, Ahead: 1}},
		{"e", store.Load{Making: 2, Ahead: 2}}, // queued at the same time as d, numbered after it
		{"f", store.Load{Making: 2, Ahead: 3}},
		{"c", store.Load{Making: 1, Ahead: 1}}, // a making order leaves itself out
	} {
		o := getOrder(t, db, c.id)
		got := txValue(t, db, func(tx *store.Tx) (store.Load, error) { return tx.QueueLoad(t.Context(), o) })
		if got != c.want {
			t.Errorf("QueueLoad(%s) = %+v, want %+v", c.id, got, c.want)
		}
	}
}

func testOrdersBetween(t *testing.T, db *store.DB) {
	for _, f := range []struct {
		id, bar string
		created time.Duration
	}{{"x2", "s", 2 * time.Hour}, {"x1", "s", time.Hour}, {"x0", "s", 0}, {"x3", "s", 3 * time.Hour}, {"y1", "t", time.Hour}} {
		insertOrder(t, db, order(f.id, f.bar, "cus_"+f.id, presso.StateWaiting, 0, at(f.created)))
	}
	got, err := db.OrdersBetween(t.Context(), "s", at(time.Hour), at(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		ids = append(ids, o.ID)
	}
	if !slices.Equal(ids, []string{"x1", "x2"}) {
		t.Fatalf("OrdersBetween(1h, 3h) = %v, want [x1 x2]", ids)
	}
	wantOrder(t, "OrdersBetween()[0]", got[0], order("x1", "s", "cus_x1", presso.StateWaiting, 0, at(time.Hour)))
}

func testInFlight(t *testing.T, db *store.DB) {
	for i, f := range []struct{ id, bar, state string }{
		{"a", "s", "waiting"}, {"b", "s", "queued"}, {"c", "s", "queued"}, {"d", "t", "making"}, {"e", "s", "completed"}, {"f", "t", "timed_out"},
	} {
		insertOrder(t, db, order(f.id, f.bar, "cus_"+f.id, presso.State(f.state), int64(i+1), at(0)))
	}
	got, err := db.InFlight(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []store.BarState{{EventID: "s", State: "queued", N: 2}, {EventID: "s", State: "waiting", N: 1}, {EventID: "t", State: "making", N: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("InFlight() = %v, want %v", got, want)
	}
}

func testOutboxBacklog(t *testing.T, db *store.DB) {
	n, _, ok, err := db.OutboxBacklog(t.Context())
	if err != nil || n != 0 || ok {
		t.Fatalf("OutboxBacklog() of an empty outbox = %d, %v, %v; want 0, false, nil", n, ok, err)
	}
	for i, when := range []time.Duration{2 * time.Second, time.Second, 3 * time.Second} {
		env := presso.Envelope{ID: "ev" + string(rune('a'+i)), Source: "OrderManager", DetailType: presso.OrderManagerMakeOrder,
			Time: at(when), EventID: "s", Detail: map[string]any{}}
		tx(t, db, func(tx *store.Tx) error { return tx.AppendOutbox(t.Context(), env, "o") })
	}
	pending, err := db.Unpublished(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	tx(t, db, func(tx *store.Tx) error {
		return tx.MarkPublished(t.Context(), []int64{pending[1].Seq}, at(time.Minute))
	})
	n, oldest, ok, err := db.OutboxBacklog(t.Context())
	if err != nil || n != 2 || !ok || !oldest.Equal(pending[0].CreatedAt) {
		t.Fatalf("OutboxBacklog() = %d, %v, %v, %v; want 2, %v, true", n, oldest, ok, err, pending[0].CreatedAt)
	}
}

func testStepAt(t *testing.T, db *store.DB) {
	insertOrder(t, db, order("o", "s", "cus", presso.StateQueued, 1, at(0)))
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.AppendHistory(t.Context(), "o", 1, store.Step{At: at(time.Second), To: "waiting", Trigger: "redeem", Actor: "cus"}); err != nil {
			return err
		}
		return tx.AppendHistory(t.Context(), "o", 2, store.Step{At: at(5*time.Second + truncated), From: "waiting", To: "queued", Trigger: "submit", Actor: "cus"})
	})
	for _, c := range []struct {
		seq    int64
		want   time.Time
		wantOK bool
	}{{1, at(time.Second), true}, {2, at(5 * time.Second), true}, {3, time.Time{}, false}} {
		var got time.Time
		var ok bool
		tx(t, db, func(tx *store.Tx) error {
			var err error
			got, ok, err = tx.StepAt(t.Context(), "o", c.seq)
			return err
		})
		if ok != c.wantOK || !got.Equal(c.want) {
			t.Errorf("StepAt(o, %d) = %v, %v; want %v, %v", c.seq, got, ok, c.want, c.wantOK)
		}
	}
}

func testActorNames(t *testing.T, db *store.DB) {
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateStaff(t.Context(), store.Staff{ID: "stf_1", Username: "bea", PasswordHash: "x", Role: "barista", EventID: "s"}, t0); err != nil {
			return err
		}
		return tx.CreateCustomer(t.Context(), store.Customer{ID: "cus_1", Name: "Ann"}, t0)
	})
	got, err := db.ActorNames(t.Context(), []string{"stf_1", "cus_1", "system", "cus_missing"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"stf_1": "bea", "cus_1": "Ann"}; asJSON(t, got) != asJSON(t, want) {
		t.Fatalf("ActorNames() = %v, want %v", got, want)
	}
	if got, err := db.ActorNames(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("ActorNames(nil) = %v, %v; want an empty map", got, err)
	}
}
