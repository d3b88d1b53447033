package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Orders, their deadlines and their history (store/orders.go).

func fmtTime(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.Format(time.RFC3339Nano) + "(" + p.Location().String() + ")"
}

func fmtOrder(o *presso.Order) string {
	if o == nil {
		return "nil"
	}
	d, _ := json.Marshal(o.Drink)
	return fmt.Sprintf("{ID:%s EventID:%s UserID:%s UserName:%s State:%s Cause:%s Number:%d Drink:%s BaristaID:%s BaristaName:%s "+
		"CreatedAt:%s SubmittedAt:%s MadeAt:%s FinishedAt:%s Deadline:%s CollectedAt:%s CalledAt:%s Position:%d Day:%s "+
		"Exempt:%v Walkup:%v Version:%d}",
		o.ID, o.EventID, o.UserID, o.UserName, o.State, o.Cause, o.Number, d, o.BaristaID, o.BaristaName,
		fmtTime(&o.CreatedAt), fmtTime(o.SubmittedAt), fmtTime(o.MadeAt), fmtTime(o.FinishedAt), fmtTime(o.Deadline),
		fmtTime(o.CollectedAt), fmtTime(o.CalledAt), o.Position, o.Day, o.Exempt, o.Walkup, o.Version)
}

func wantOrder(t *testing.T, what string, got, want *presso.Order) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s =\n  %s\nwant\n  %s", what, fmtOrder(got), fmtOrder(want))
	}
}

func insertOrder(t *testing.T, db *store.DB, o *presso.Order) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.InsertOrder(t.Context(), o) })
}

func getOrder(t *testing.T, db *store.DB, id string) *presso.Order {
	t.Helper()
	o, err := db.GetOrder(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOrder(%s) = %v", id, err)
	}
	return o
}

// updateOrder writes o over the order as stored, if it is still at
// version prev.
func updateOrder(t *testing.T, db *store.DB, o *presso.Order, prev int64, numberDay string) (bool, error) {
	t.Helper()
	return txTry(t, db, func(tx *store.Tx) (bool, error) {
		before := &presso.Order{ID: o.ID}
		if stored, err := tx.GetOrder(t.Context(), o.ID); err == nil {
			before = stored
		}
		before.Version = prev
		return tx.UpdateOrder(t.Context(), before, o, numberDay)
	})
}

// order is a minimal order; the tests set what they need.
func order(id, eventID, userID string, state presso.State, number int64, created time.Time) *presso.Order {
	return &presso.Order{ID: id, EventID: eventID, UserID: userID, UserName: "name-" + userID, State: state,
		Number: number, Day: "2026-01-01", CreatedAt: created, Version: 1}
}

func drink() *presso.Drink {
	return &presso.Drink{ID: "latte", Name: "Latte", Icon: "latte.svg", Modifiers: []presso.Modifier{
		{Group: "milk", GroupName: "Milk", Option: "oat", OptionName: "Oat"},
		{Group: "shots", GroupName: "Shots", Option: "2", OptionName: "Double"},
	}}
}

// fullOrder has every field set, times below the millisecond.
func fullOrder() *presso.Order {
	return &presso.Order{ID: "o-full", EventID: "e1", UserID: "u1", UserName: "Ada", State: presso.StateMaking,
		Cause: presso.CauseBarista, Number: 42, Drink: drink(), BaristaID: "s1", BaristaName: "Bob",
		CreatedAt: t0.Add(truncated), SubmittedAt: ptr(at(time.Minute + truncated)), MadeAt: ptr(at(2*time.Minute + truncated)),
		FinishedAt: ptr(at(3*time.Minute + truncated)), Deadline: ptr(at(4*time.Minute + truncated)),
		CollectedAt: ptr(at(5*time.Minute + truncated)), CalledAt: ptr(at(6*time.Minute + truncated)),
		Day: "2026-01-01", Exempt: true, Walkup: true, Version: 7}
}

// insertMin inserts o-min, a minimal waiting order of u2's.
func insertMin(t *testing.T, db *store.DB) *presso.Order {
	t.Helper()
	insertOrder(t, db, order("o-min", "e1", "u2", presso.StateWaiting, 0, t0))
	return order("o-min", "e1", "u2", presso.StateWaiting, 0, t0)
}

// testOrderWalkup: a walk-up order has no customer and keeps its flag for
// good; an update cannot clear it, and other orders are not walk-ups.
func testOrderWalkup(t *testing.T, db *store.DB) {
	w := order("o-walk", "e1", "", presso.StateQueued, 1, t0)
	w.UserName, w.Walkup, w.Exempt, w.Drink = "Zoë 李", true, true, drink()
	insertOrder(t, db, w)
	want := *w
	wantOrder(t, "GetOrder() of a walk-up", getOrder(t, db, "o-walk"), &want)
	if got := insertMin(t, db); getOrder(t, db, got.ID).Walkup {
		t.Fatalf("GetOrder(o-min).Walkup = true, want false")
	}

	after := want
	after.State, after.Walkup, after.Version = presso.StateMaking, false, want.Version+1
	if ok, err := updateOrder(t, db, &after, want.Version, ""); err != nil || !ok {
		t.Fatalf("UpdateOrder() = %v, %v; want true, nil", ok, err)
	}
	want.State, want.Version = presso.StateMaking, after.Version
	wantOrder(t, "GetOrder() after an update without the flag", getOrder(t, db, "o-walk"), &want)
}

// testOrderCalled: UpdateOrder sets, moves and clears calledAt, at
// millisecond precision in UTC.
func testOrderCalled(t *testing.T, db *store.DB) {
	insertMin(t, db)
	o := getOrder(t, db, "o-min")
	for i, called := range []*time.Time{ptr(at(time.Minute + truncated)), ptr(at(2 * time.Minute)), nil} {
		next := *o
		next.CalledAt, next.Version = called, o.Version+1
		if ok, err := updateOrder(t, db, &next, o.Version, ""); err != nil || !ok {
			t.Fatalf("UpdateOrder() #%d = %v, %v; want true, nil", i, ok, err)
		}
		want := next
		if called != nil {
			want.CalledAt = ptr(called.Truncate(time.Millisecond))
		}
		got := getOrder(t, db, "o-min")
		wantOrder(t, fmt.Sprintf("GetOrder() after UpdateOrder #%d", i), got, &want)
		if got.CalledAt != nil && got.CalledAt.Location() != time.UTC {
			t.Fatalf("CalledAt = %v, want UTC", got.CalledAt)
		}
		o = got
	}
}

func testOrderRoundTrip(t *testing.T, db *store.DB) {
	insertOrder(t, db, fullOrder())
	want := fullOrder()
	want.CreatedAt = t0
	want.SubmittedAt, want.MadeAt, want.FinishedAt, want.Deadline = ptr(at(time.Minute)), ptr(at(2*time.Minute)),
		ptr(at(3*time.Minute)), ptr(at(4*time.Minute))
	want.CollectedAt, want.CalledAt = ptr(at(5*time.Minute)), ptr(at(6*time.Minute))
	wantOrder(t, "GetOrder()", getOrder(t, db, "o-full"), want)
	tx(t, db, func(tx *store.Tx) error {
		got, err := tx.GetOrder(t.Context(), "o-full")
		if err != nil {
			return err
		}
		wantOrder(t, "tx.GetOrder()", got, want)
		return nil
	})
}

func testOrderRoundTripNil(t *testing.T, db *store.DB) {
	want := insertMin(t, db)
	wantOrder(t, "GetOrder() of a minimal order", getOrder(t, db, "o-min"), want)
}

func testOrderDrinkWithoutModifiers(t *testing.T, db *store.DB) {
	o := order("o-plain", "e1", "u2", presso.StateQueued, 0, t0)
	o.Drink = &presso.Drink{ID: "tea", Name: "Tea", Icon: "tea.svg", Modifiers: []presso.Modifier{}}
	insertOrder(t, db, o)
	want := order("o-plain", "e1", "u2", presso.StateQueued, 0, t0)
	want.Drink = &presso.Drink{ID: "tea", Name: "Tea", Icon: "tea.svg", Modifiers: []presso.Modifier{}}
	wantOrder(t, "GetOrder() of a drink without modifiers", getOrder(t, db, "o-plain"), want)
}

func testOrderNotFound(t *testing.T, db *store.DB) {
	insertMin(t, db) // another order exists
	_, err := db.GetOrder(t.Context(), "nope")
	wantKind(t, "GetOrder(nope)", err, presso.KindNotFound)
}

func testOrderDuplicateID(t *testing.T, db *store.DB) {
	ctx := t.Context()
	want := insertMin(t, db)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertOrder(ctx, order("o-min", "e1", "u9", presso.StateWaiting, 0, t0))
	})
	wantKind(t, "InsertOrder() of an existing id", err, presso.KindConflict)
	wantOrder(t, "GetOrder() after a duplicate insert", getOrder(t, db, "o-min"), want)
}

func testOrderUpdate(t *testing.T, db *store.DB) {
	insertMin(t, db)
	before := getOrder(t, db, "o-min")
	after := *before
	after.State, after.Cause, after.Number, after.Drink = presso.StateQueued, "", 3, drink()
	after.BaristaID, after.BaristaName = "s2", "Cy"
	after.SubmittedAt, after.MadeAt, after.FinishedAt, after.Deadline = ptr(at(time.Second+truncated)), ptr(at(2*time.Second)), ptr(at(3*time.Second)), ptr(at(4*time.Second))
	after.Version = before.Version + 1
	ok, err := updateOrder(t, db, &after, before.Version, "")
	if err != nil || !ok {
		t.Fatalf("UpdateOrder() at the current version = %v, %v; want true, nil", ok, err)
	}
	want := after
	want.SubmittedAt = ptr(at(time.Second))
	wantOrder(t, "GetOrder() after UpdateOrder", getOrder(t, db, "o-min"), &want)

	// A stale version loses and changes nothing.
	stale := after
	stale.State, stale.Version = presso.StateCancelled, before.Version+1
	ok, err = updateOrder(t, db, &stale, before.Version, "")
	if err != nil || ok {
		t.Fatalf("UpdateOrder() at a stale version = %v, %v; want false, nil", ok, err)
	}
	wantOrder(t, "GetOrder() after a stale UpdateOrder", getOrder(t, db, "o-min"), &want)

	// Pointers can be cleared again.
	cleared := want
	cleared.Drink, cleared.SubmittedAt, cleared.MadeAt, cleared.FinishedAt, cleared.Deadline = nil, nil, nil, nil, nil
	cleared.Version++
	ok, err = updateOrder(t, db, &cleared, want.Version, "")
	if err != nil || !ok {
		t.Fatalf("UpdateOrder() clearing fields = %v, %v; want true, nil", ok, err)
	}
	wantOrder(t, "GetOrder() after clearing fields", getOrder(t, db, "o-min"), &cleared)

	ok, err = updateOrder(t, db, order("nope", "e1", "u1", presso.StateQueued, 0, t0), 1, "")
	if err != nil || ok {
		t.Fatalf("UpdateOrder(nope) = %v, %v; want false, nil", ok, err)
	}
}

func testOrderConcurrentUpdates(t *testing.T, db *store.DB) {
	ctx := t.Context()
	insertOrder(t, db, order("o-race", "e1", "u3", presso.StateQueued, 0, t0))
	const n = 10
	won := wins(race(t, db, "UpdateOrder()", n, func(tx *store.Tx, i int) (bool, error) {
		o, err := tx.GetOrder(ctx, "o-race")
		if err != nil {
			return false, err
		}
		// Every racer writes from version 1; the ones after the winner
		// read its version 2.
		before := *o
		before.Version = 1
		o.State, o.BaristaID, o.Version = presso.StateMaking, "s"+strconv.Itoa(i), o.Version+1
		return tx.UpdateOrder(ctx, &before, o, "")
	}))
	if won != 1 {
		t.Fatalf("%d concurrent UpdateOrder() from version 1: %d won, want exactly 1", n, won)
	}
	if got := getOrder(t, db, "o-race"); got.Version != 2 || got.State != presso.StateMaking {
		t.Fatalf("GetOrder() after the race = version %d state %s, want 2 making", got.Version, got.State)
	}
}

func testOrderNumbersUnique(t *testing.T, db *store.DB) {
	for _, o := range []*presso.Order{
		order("a", "e1", "u1", presso.StateWaiting, 0, t0),
		order("b", "e1", "u2", presso.StateWaiting, 0, t0),
		order("c", "e2", "u3", presso.StateWaiting, 0, t0),
		order("d", "e1", "u4", presso.StateWaiting, 0, t0), // several unnumbered orders may share number 0
	} {
		insertOrder(t, db, o)
	}
	number := func(id string, n int64, day string) (bool, error) {
		o := getOrder(t, db, id)
		prev := o.Version
		o.Number, o.State, o.Version = n, presso.StateQueued, prev+1
		return updateOrder(t, db, o, prev, day)
	}
	if ok, err := number("a", 5, ""); err != nil || !ok {
		t.Fatalf("UpdateOrder(a, number 5) = %v, %v; want true, nil", ok, err)
	}
	ok, err := number("b", 5, "")
	if err == nil || ok {
		t.Fatalf("UpdateOrder(b, number 5 again) = %v, %v; want false and an error", ok, err)
	}
	if got := getOrder(t, db, "b"); got.Number != 0 || got.Version != 1 {
		t.Fatalf("GetOrder(b) after a refused number = number %d version %d, want 0 1", got.Number, got.Version)
	}
	for _, c := range []struct {
		id, day string
	}{
		{"b", "2026-01-02"}, // the same number on another number day
		{"c", ""},           // the same number at another bar
	} {
		if ok, err := number(c.id, 5, c.day); err != nil || !ok {
			t.Fatalf("UpdateOrder(%s, number 5, day %q) = %v, %v; want true, nil", c.id, c.day, ok, err)
		}
	}
}

// testOrderInsertNumbered: an order numbered as it is made takes its
// number's day at once, so the number is unique among that day's only,
// and later updates keep the day.
func testOrderInsertNumbered(t *testing.T, db *store.DB) {
	ctx := t.Context()
	insert := func(id string, n int64, day string) error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertNumberedOrder(ctx, order(id, "e1", "", presso.StateQueued, n, t0), day)
		})
	}
	for _, c := range []struct {
		id, day string
	}{
		{"undated", ""},        // a bar without a daily reset, or from before it
		{"day1", "2026-01-01"}, // the same number on a number day
		{"day2", "2026-01-02"}, // and on the next
	} {
		if err := insert(c.id, 1, c.day); err != nil {
			t.Fatalf("InsertNumberedOrder(%s, #1, day %q) = %v, want nil", c.id, c.day, err)
		}
	}
	if err := insert("again", 1, "2026-01-02"); err == nil {
		t.Fatalf("InsertNumberedOrder(again, #1, day 2026-01-02) = nil, want an error: #1 is taken that day")
	}
	if _, err := db.GetOrder(ctx, "again"); presso.KindOf(err) != presso.KindNotFound {
		t.Fatalf("GetOrder(again) after a refused insert = %v, want not found", err)
	}
	o := getOrder(t, db, "day2")
	prev := o.Version
	o.State, o.Version = presso.StateMaking, prev+1
	if ok, err := updateOrder(t, db, o, prev, ""); err != nil || !ok {
		t.Fatalf("UpdateOrder(day2) = %v, %v; want true, nil", ok, err)
	}
	if err := insert("again", 1, "2026-01-02"); err == nil {
		t.Fatalf("InsertNumberedOrder(again, #1, day 2026-01-02) after an update = nil, want an error: the update kept the day")
	}
}

func ids(orders []*presso.Order) string {
	var s []string
	for _, o := range orders {
		s = append(s, o.ID)
	}
	return strings.Join(s, ",")
}

func finished(o *presso.Order, d time.Duration) *presso.Order {
	o.FinishedAt = ptr(at(d))
	return o
}

// listFixture inserts the orders the ListOrders tests list: every state at
// e1, finished at different times, and one order at e2.
func listFixture(t *testing.T, db *store.DB) {
	t.Helper()
	for _, o := range []*presso.Order{
		order("waiting", "e1", "u1", presso.StateWaiting, 0, at(5*time.Second)),
		order("q2", "e1", "u2", presso.StateQueued, 2, at(1*time.Second)),
		order("q1", "e1", "u3", presso.StateQueued, 1, at(2*time.Second)),
		order("m3", "e1", "u4", presso.StateMaking, 3, at(3*time.Second)),
		finished(order("done4", "e1", "u5", presso.StateCompleted, 4, at(4*time.Second)), 10*time.Minute),
		finished(order("done6", "e1", "u6", presso.StateCompleted, 6, at(4*time.Second)), 20*time.Minute),
		finished(order("timeout5", "e1", "u7", presso.StateTimedOut, 5, at(4*time.Second)), 5*time.Minute),
		finished(order("old", "e1", "u8", presso.StateCancelled, 0, at(-3*time.Hour)), -2*time.Hour),
		order("other", "e2", "u1", presso.StateQueued, 1, at(time.Second)),
	} {
		insertOrder(t, db, o)
	}
}

func listOrdersTests() []test {
	var tests []test
	for _, c := range []struct {
		name   string
		event  string
		states []presso.State
		since  time.Time
		want   string
	}{
		{"All", "e1", nil, t0, "waiting,q1,q2,m3,done6,done4,timeout5"},
		{"SinceInclusive", "e1", nil, at(10 * time.Minute), "waiting,q1,q2,m3,done6,done4"},
		{"Queued", "e1", []presso.State{presso.StateQueued}, t0, "q1,q2"},
		{"Finished", "e1", []presso.State{presso.StateCompleted, presso.StateCancelled}, at(-3 * time.Hour), "done6,done4,old"},
		{"Active", "e1", []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking}, at(time.Hour), "waiting,q1,q2,m3"},
		{"OtherBar", "e2", nil, t0, "other"},
	} {
		tests = append(tests, test{name: c.name, fn: func(t *testing.T, db *store.DB) {
			listFixture(t, db)
			got, err := db.ListOrders(t.Context(), c.event, c.states, c.since)
			if err != nil {
				t.Fatalf("ListOrders() = %v", err)
			}
			if g := ids(got); g != c.want {
				t.Fatalf("ListOrders(%s, %v, since %v) = %s, want %s", c.event, c.states, c.since, g, c.want)
			}
		}})
	}
	return append(tests,
		test{name: "Empty", fn: testListOrdersEmpty},
		test{name: "FullRows", fn: testListOrdersFullRows},
	)
}

func testListOrdersEmpty(t *testing.T, db *store.DB) {
	listFixture(t, db)
	got, err := db.ListOrders(t.Context(), "nope", nil, t0)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ListOrders(nope) = %v (nil %v), %v; want an empty, non-nil list", len(got), got == nil, err)
	}
}

func testListOrdersFullRows(t *testing.T, db *store.DB) {
	listFixture(t, db)
	got, err := db.ListOrders(t.Context(), "e1", []presso.State{presso.StateCompleted}, at(15*time.Minute))
	if err != nil || len(got) != 1 {
		t.Fatalf("ListOrders() = %d orders, %v; want 1", len(got), err)
	}
	wantOrder(t, "ListOrders()[0]", got[0], finished(order("done6", "e1", "u6", presso.StateCompleted, 6, at(4*time.Second)), 20*time.Minute))
}

func testUserOrders(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for _, o := range []*presso.Order{
		order("u1-first", "e1", "u1", presso.StateCompleted, 0, at(0)),
		order("u1-second", "e2", "u1", presso.StateQueued, 1, at(time.Minute)),
		order("u1-third-b", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)),
		order("u1-third-a", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)),
		order("u2-only", "e1", "u2", presso.StateQueued, 2, at(3*time.Minute)),
	} {
		insertOrder(t, db, o)
	}
	for _, c := range []struct {
		user  string
		limit int
		want  string
	}{
		{"u1", 10, "u1-third-a,u1-third-b,u1-second,u1-first"},
		{"u1", 2, "u1-third-a,u1-third-b"},
		{"u2", 10, "u2-only"},
		{"nope", 10, ""},
	} {
		got, err := db.UserOrders(ctx, c.user, c.limit)
		if err != nil {
			t.Fatalf("UserOrders(%s, %d) = %v", c.user, c.limit, err)
		}
		if got == nil {
			t.Fatalf("UserOrders(%s, %d) = nil, want a non-nil list", c.user, c.limit)
		}
		if g := ids(got); g != c.want {
			t.Fatalf("UserOrders(%s, %d) = %s, want %s", c.user, c.limit, g, c.want)
		}
	}
	got, err := db.UserOrders(ctx, "u1", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("UserOrders(u1, 1) = %d, %v", len(got), err)
	}
	wantOrder(t, "UserOrders(u1, 1)[0]", got[0], order("u1-third-a", "e1", "u1", presso.StateWaiting, 0, at(2*time.Minute)))
}

func testQueuePosition(t *testing.T, db *store.DB) {
	ctx := t.Context()
	queued := func(id, event string, state presso.State, number int64, at time.Time) *presso.Order {
		o := order(id, event, "u-"+id, state, number, t0)
		if number > 0 {
			o.SubmittedAt = &at
		}
		return o
	}
	orders := map[string]*presso.Order{}
	for _, o := range []*presso.Order{
		queued("w", "e1", presso.StateWaiting, 0, t0),
		queued("q1", "e1", presso.StateQueued, 10, at(time.Minute)),
		queued("m2", "e1", presso.StateMaking, 20, at(2*time.Minute)),
		queued("c3", "e1", presso.StateCompleted, 30, at(3*time.Minute)),
		queued("q4", "e1", presso.StateQueued, 40, at(4*time.Minute)),
		queued("x5", "e1", presso.StateCancelled, 50, at(5*time.Minute)),
		// Queued last with the lowest number, as after midnight on a bar
		// that numbers by day: it is still behind everything queued before.
		queued("q1b", "e1", presso.StateQueued, 5, at(6*time.Minute)),
		// Queued at the same millisecond as q4: the number breaks the tie.
		queued("q7", "e1", presso.StateQueued, 70, at(4*time.Minute)),
		queued("other", "e2", presso.StateQueued, 1, at(time.Minute)),
	} {
		insertOrder(t, db, o)
		orders[o.ID] = o
	}
	for _, c := range []struct {
		id   string
		want int
	}{
		{"q1", 1},
		{"m2", 2},
		{"q4", 3},
		{"q7", 4},
		{"q1b", 5},
		{"other", 1},
		{"w", 0},
	} {
		got, err := db.QueuePosition(ctx, orders[c.id])
		if err != nil {
			t.Fatalf("QueuePosition(%s) = %v", c.id, err)
		}
		if got != c.want {
			t.Fatalf("QueuePosition(%s) = %d, want %d", c.id, got, c.want)
		}
	}
}

func claimDue(t *testing.T, db *store.DB, now time.Time, limit int) []string {
	t.Helper()
	return txValue(t, db, func(tx *store.Tx) ([]string, error) {
		return tx.ClaimDue(t.Context(), now, limit)
	})
}

func due(id, event string, d *time.Duration) *presso.Order {
	o := order(id, event, "u-"+id, presso.StateWaiting, 0, t0)
	if d != nil {
		o.Deadline = ptr(at(*d))
	}
	return o
}

// deadlineFixture inserts orders at e1 and e2 due from 30 s to 3 min after
// t0, and one without a deadline.
func deadlineFixture(t *testing.T, db *store.DB) {
	t.Helper()
	for _, o := range []*presso.Order{
		due("d3", "e1", ptr(3*time.Minute)),
		due("d1", "e1", ptr(1*time.Minute)),
		due("none", "e1", nil),
		due("d2", "e1", ptr(2*time.Minute)),
		due("d0", "e2", ptr(30*time.Second)),
	} {
		insertOrder(t, db, o)
	}
}

func testDeadlinesClaim(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if _, ok, err := db.NextDeadline(ctx); err != nil || ok {
		t.Fatalf("NextDeadline() on no orders = ok %v, %v; want false, nil", ok, err)
	}
	if got := claimDue(t, db, at(time.Hour), 10); len(got) != 0 {
		t.Fatalf("ClaimDue() on no orders = %v, want none", got)
	}
	deadlineFixture(t, db)
	next, ok, err := db.NextDeadline(ctx)
	if err != nil || !ok || !next.Equal(at(30*time.Second)) {
		t.Fatalf("NextDeadline() = %v, %v, %v; want %v, true, nil", next, ok, err, at(30*time.Second))
	}
	for _, c := range []struct {
		now   time.Time
		limit int
		want  string
	}{
		{t0, 10, ""},
		{at(30*time.Second - time.Millisecond), 10, ""},
		{at(30 * time.Second), 10, "d0"}, // a deadline is due at its instant
		{at(2 * time.Minute), 10, "d0,d1,d2"},
		{at(2 * time.Minute), 2, "d0,d1"},
		{at(time.Hour), 10, "d0,d1,d2,d3"},
	} {
		if got := strings.Join(claimDue(t, db, c.now, c.limit), ","); got != c.want {
			t.Fatalf("ClaimDue(%v, %d) = %s, want %s", c.now, c.limit, got, c.want)
		}
	}
}

func testDeadlinesConcurrentSweepers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	deadlineFixture(t, db) // not yet due: no sweeper may take them
	// Sweepers each claim one due order and clear its deadline in the
	// same transaction, as orders.Sweep does: every order fires once.
	const orders, sweepers = 40, 8
	for i := range orders {
		insertOrder(t, db, due(fmt.Sprintf("s%02d", i), "e3", ptr(time.Duration(i)*time.Millisecond-time.Hour)))
	}
	var mu sync.Mutex
	fired := map[string]int{}
	errs := make([]error, sweepers)
	concurrently(sweepers, func(i int) {
		for {
			n := 0
			err := db.Tx(ctx, func(tx *store.Tx) error {
				ids, err := tx.ClaimDue(ctx, at(-time.Minute), 1)
				if err != nil || len(ids) == 0 {
					return err
				}
				n = 1
				o, err := tx.GetOrder(ctx, ids[0])
				if err != nil {
					return err
				}
				before := *o
				o.Deadline, o.State, o.Version = nil, presso.StateTimedOut, before.Version+1
				ok, err := tx.UpdateOrder(ctx, &before, o, "")
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("order %s changed under the sweeper that claimed it", o.ID)
				}
				mu.Lock()
				fired[o.ID]++
				mu.Unlock()
				return nil
			})
			if err != nil {
				errs[i] = err
				return
			}
			if n == 0 {
				return
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sweeper %d: %v", i, err)
		}
	}
	if len(fired) != orders {
		t.Fatalf("sweepers fired %d distinct orders, want %d", len(fired), orders)
	}
	for id, n := range fired {
		if n != 1 {
			t.Fatalf("order %s fired %d times, want once", id, n)
		}
	}
	if got, want := strings.Join(claimDue(t, db, at(time.Hour), 10), ","), "d0,d1,d2,d3"; got != want {
		t.Fatalf("ClaimDue() after the sweep = %s, want %s: the orders not yet due stay", got, want)
	}
}

func testDeadlinesSkipLocked(t *testing.T, db *store.DB) {
	if db.Engine() != "postgres" {
		t.Skip("one writer: a claimer never meets an order another transaction holds")
	}
	ctx := t.Context()
	deadlineFixture(t, db)
	// While one transaction holds a claimed order, another claimer
	// passes over it rather than waiting or taking it too.
	claimed := make(chan []string)
	finish := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			ids, err := tx.ClaimDue(ctx, at(time.Hour), 1)
			claimed <- ids
			<-finish
			return err
		})
	}()
	first := <-claimed
	second := claimDue(t, db, at(time.Hour), 10)
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("first claimer: %v", err)
	}
	if got, want := strings.Join(first, ","), "d0"; got != want {
		t.Fatalf("first ClaimDue(limit 1) = %s, want %s", got, want)
	}
	if got, want := strings.Join(second, ","), "d1,d2,d3"; got != want {
		t.Fatalf("concurrent ClaimDue() = %s, want %s (skipping the held d0)", got, want)
	}
}

func testHistory(t *testing.T, db *store.DB) {
	ctx := t.Context()
	steps := map[int64]store.Step{
		1: {At: at(truncated), From: "", To: presso.StateWaiting, Trigger: "redeem", Actor: "u1"},
		2: {At: at(time.Minute), From: presso.StateWaiting, To: presso.StateQueued, Trigger: "submit", Actor: "u1"},
		3: {At: at(2 * time.Minute), From: presso.StateQueued, To: presso.StateMaking, Trigger: "make", Actor: "s1"},
	}
	tx(t, db, func(tx *store.Tx) error {
		for _, seq := range []int64{3, 1, 2} {
			if err := tx.AppendHistory(ctx, "o1", seq, steps[seq]); err != nil {
				return err
			}
		}
		return tx.AppendHistory(ctx, "o2", 1, steps[1])
	})
	got, err := db.History(ctx, "o1")
	if err != nil {
		t.Fatalf("History() = %v", err)
	}
	want := []store.Step{steps[1], steps[2], steps[3]}
	want[0].At = t0
	wantEqual(t, "History(o1)", got, want)
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendHistory(ctx, "o1", 2, steps[2]) })
	if err == nil {
		t.Fatalf("AppendHistory() of an existing seq = nil, want an error")
	}
	got, err = db.History(ctx, "nope")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("History(nope) = %v, %v; want an empty, non-nil list", got, err)
	}
}

// testOrderHead: the part of an order the workflow checks a trigger
// against, and not found for an order that does not exist.
func testOrderHead(t *testing.T, db *store.DB) {
	o := fullOrder()
	insertOrder(t, db, o)
	got, err := db.OrderHead(t.Context(), o.ID)
	if err != nil {
		t.Fatalf("OrderHead(%s) = %v", o.ID, err)
	}
	want := &presso.Order{ID: o.ID, EventID: o.EventID, UserID: o.UserID, State: o.State}
	if asJSON(t, got) != asJSON(t, want) {
		t.Errorf("OrderHead(%s) = %s, want %s", o.ID, asJSON(t, got), asJSON(t, want))
	}
	if _, err := db.OrderHead(t.Context(), "missing"); !presso.IsKind(err, presso.KindNotFound) {
		t.Errorf("OrderHead(missing) = %v, want not found", err)
	}
}
