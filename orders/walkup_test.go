package orders_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/orders"
	"presso/publisher"
	"presso/store"
	"presso/store/storetest"
)

var display = presso.Identity{ID: "stf_d1", Kind: "staff", Name: "tv", Role: presso.RoleDisplay, EventID: "demo"}

// walkup takes a walk-up order of a flat white with oat for name.
func (e *env) walkup(who presso.Identity, name string) (*presso.Order, error) {
	return e.p.Walkup(e.ctx, who, "demo", orders.SubmitInput{Name: name, Drink: "flat-white", Modifiers: map[string]string{"milk": "oat"}})
}

func (e *env) mustWalkup(who presso.Identity, name string) *presso.Order {
	e.t.Helper()
	o, err := e.walkup(who, name)
	if err != nil {
		e.t.Fatalf("Walkup(%s, %q) = %v", who.ID, name, err)
	}
	return o
}

func (e *env) fire(who presso.Identity, id string, tr orders.Trigger) *presso.Order {
	e.t.Helper()
	o, err := e.p.Fire(e.ctx, who, id, tr, orders.SubmitInput{})
	if err != nil {
		e.t.Fatalf("%s %s as %s = %v", tr, id, who.ID, err)
	}
	return o
}

// TestWalkup is the walkup row: an order taken at the bar is queued at
// once with the next number, under the name given, with no customer; it
// is flagged as a walk-up, stored so, and emits what a submitted order
// emits.
func TestWalkup(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		now := e.clock.Now()
		o := e.mustWalkup(barista, "  Zoë 李 ")
		got := e.get(o.ID)
		for _, g := range []*presso.Order{o, got} {
			if g.State != presso.StateQueued || g.EventID != "demo" || g.UserID != "" || g.UserName != "Zoë 李" ||
				!g.Walkup || !g.Exempt || g.Number != 1 || g.Day != "2026-11-25" || g.Version != 1 ||
				!g.CreatedAt.Equal(now) || g.SubmittedAt == nil || !g.SubmittedAt.Equal(now) ||
				g.Deadline == nil || !g.Deadline.Equal(now.Add(900*time.Second)) || g.CalledAt != nil || g.BaristaID != "" {
				t.Fatalf("walk-up = %+v, want queued #1 at demo for no customer, named Zoë 李, a walk-up, exempt, due at 10:15", g)
			}
			mods, _ := json.Marshal(g.Drink)
			if want := `{"id":"flat-white","name":"Flat White","icon":"flat-white","modifiers":[{"group":"milk","groupName":"Milk","option":"oat","optionName":"Oat"}]}`; string(mods) != want {
				t.Fatalf("walk-up drink = %s, want %s", mods, want)
			}
		}
		if want := []string{presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion}; !slices.Equal(e.events(o.ID), want) {
			t.Fatalf("events = %v, want %v", e.events(o.ID), want)
		}
		j, err := e.p.History(e.ctx, barista, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(j.Transitions) != 1 || j.Transitions[0] != (store.Step{At: j.Transitions[0].At, From: "", To: presso.StateQueued, Trigger: "walkup", Actor: barista.ID}) ||
			!j.Transitions[0].At.Equal(now) {
			t.Fatalf("history = %+v, want one walkup step from \"\" to queued by %s", j.Transitions, barista.ID)
		}
		// Its events reach the board but no customer's own channel.
		batch, err := e.db.Unpublished(e.ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range batch {
			if ev.OrderID != o.ID {
				continue
			}
			env := envelope(t, ev)
			if _, ok := (publisher.Channel{Kind: publisher.Board, EventID: "demo"}).Match(&env); !ok {
				t.Errorf("%s is not on the board", env.DetailType)
			}
			for _, uid := range []string{barista.ID, "cus_1"} {
				if _, ok := (publisher.Channel{Kind: publisher.User, UserID: uid}).Match(&env); ok {
					t.Errorf("%s reaches the own channel of %q", env.DetailType, uid)
				}
			}
			if env.Detail["userId"] != "" || env.Detail["orderNumber"] != float64(1) {
				t.Errorf("%s detail userId %v, orderNumber %v; want \"\" and 1", env.DetailType, env.Detail["userId"], env.Detail["orderNumber"])
			}
		}
		// Nobody owns it: not the barista who took it, not an anonymous caller.
		for _, who := range []presso.Identity{{}, customer(1)} {
			if _, err := e.p.Get(e.ctx, who, o.ID); code(err) != presso.CodeNotFound {
				t.Errorf("Get(walk-up) as %q = %v, want not_found", who.ID, err)
			}
		}
		if mine, err := e.p.Mine(e.ctx, barista); err != nil || len(mine) != 0 {
			t.Errorf("the barista's own orders = %d, %v; want none", len(mine), err)
		}
		if _, err := e.p.Fire(e.ctx, presso.Identity{}, o.ID, orders.TriggerCancel, orders.SubmitInput{}); code(err) != presso.CodeNotFound {
			t.Errorf("anonymous cancel of a walk-up = %v, want not_found", err)
		}
		// An admin may take one too, and the barista works it like any other.
		if w := e.mustWalkup(admin, "Bo"); w.Number != 2 || !w.Walkup {
			t.Fatalf("admin's walk-up = #%d walkup %v, want #2 walkup", w.Number, w.Walkup)
		}
		e.fire(barista, o.ID, orders.TriggerMake)
		if done := e.fire(barista, o.ID, orders.TriggerComplete); done.State != presso.StateCompleted || !done.Walkup || done.UserName != "Zoë 李" {
			t.Fatalf("completed walk-up = %s walkup %v %q", done.State, done.Walkup, done.UserName)
		}
	})
}

// TestWalkupNumbering: walk-ups and scanned orders draw from one sequence,
// and on a bar that numbers by day a walk-up takes that day's number.
func TestWalkupNumbering(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		t.Run("one sequence", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 10 })
			waiting := e.start(customer(1)) // drew no number yet
			var got []int64
			got = append(got, e.mustWalkup(barista, "Ann").Number)
			got = append(got, e.submit(customer(1), waiting.ID).Number)
			got = append(got, e.mustWalkup(barista, "Ann").Number)
			got = append(got, e.submit(customer(2), e.start(customer(2)).ID).Number)
			if want := []int64{1, 2, 3, 4}; !slices.Equal(got, want) {
				t.Fatalf("numbers = %v, want %v", got, want)
			}
		})
		t.Run("daily reset", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 10 })
			// #1 and #2 from before the bar numbered by day.
			e.submit(customer(1), e.start(customer(1)).ID)
			e.mustWalkup(barista, "Ann")
			reset := true
			if _, err := e.cfg.Update(e.ctx, admin, "demo", config.Patch{DailyReset: &reset}); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for range 2 {
				got = append(got, e.mustWalkup(barista, "Ann").Number)
			}
			got = append(got, e.submit(customer(2), e.start(customer(2)).ID).Number)
			e.clock.Advance(24 * time.Hour)
			got = append(got, e.mustWalkup(barista, "Ann").Number, e.submit(customer(3), e.start(customer(3)).ID).Number)
			if want := []int64{1, 2, 3, 1, 2}; !slices.Equal(got, want) {
				t.Fatalf("numbers = %v, want %v", got, want)
			}
		})
	})
}

// TestWalkupExempt: walk-ups count against no one's daily limit, however
// many share a name, and never the barista's; they do take places in the
// queue.
func TestWalkupExempt(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 1; b.Limits.MaxQueue = 4 })
		for i := range 3 {
			if o := e.mustWalkup(barista, "Ann"); o.Number != int64(i+1) {
				t.Fatalf("walk-up %d = #%d, want #%d", i+1, o.Number, i+1)
			}
		}
		// The barista's own order still counts as their first.
		if o := e.start(customer(1)); o.State != presso.StateWaiting {
			t.Fatalf("a customer's order after three walk-ups = %s, want waiting", o.State)
		}
		if _, err := e.walkup(barista, "Ann"); code(err) != presso.CodeBusy {
			t.Fatalf("a fifth order in a queue of 4 = %v, want busy", err)
		}
		// A cancelled walk-up gives back its place, and nobody's count moves.
		list, err := e.p.List(e.ctx, admin, "demo", []presso.State{presso.StateQueued}, 0)
		if err != nil || len(list) != 3 {
			t.Fatalf("queued = %d, %v; want the 3 walk-ups", len(list), err)
		}
		e.fire(barista, list[0].ID, orders.TriggerCancel)
		if o := e.mustWalkup(barista, "Ann"); o.Number != 4 {
			t.Fatalf("walk-up after a cancel = #%d, want #4 (the refused one drew none)", o.Number)
		}
		if _, err := e.p.Start(e.ctx, customer(1), "demo", e.code("demo").Code); code(err) != presso.CodeLimitReached {
			t.Fatalf("the customer's second order = %v, want limit_reached", err)
		}
		// No relay runs here, so the outbox is left unsent; every other
		// invariant holds.
		problems, err := e.db.CheckInvariants(e.ctx, e.clock.Now(), time.Minute)
		problems = slices.DeleteFunc(problems, func(v store.Violation) bool { return v.Check == "outbox pending" })
		if err != nil || len(problems) != 0 {
			t.Fatalf("CheckInvariants() = %v, %v; want none", problems, err)
		}
	})
}

// TestWalkupRefused: who may take a walk-up, and what it needs; a refused
// one draws no number, takes no place and writes no event.
func TestWalkupRefused(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		strange := presso.Identity{ID: "stf_x", Kind: "staff", Name: "x", Role: presso.RoleBarista, EventID: "elsewhere"}
		cases := []struct {
			name  string
			who   presso.Identity
			in    orders.SubmitInput
			want  string
			field string
		}{
			{"a customer", customer(1), orders.SubmitInput{Name: "Ann", Drink: "americano"}, presso.CodeForbidden, ""},
			{"a display", display, orders.SubmitInput{Name: "Ann", Drink: "americano"}, presso.CodeForbidden, ""},
			{"another bar's barista", strange, orders.SubmitInput{Name: "Ann", Drink: "americano"}, presso.CodeForbidden, ""},
			{"anonymous", presso.Identity{}, orders.SubmitInput{Name: "Ann", Drink: "americano"}, presso.CodeUnauthenticated, ""},
			{"no name", barista, orders.SubmitInput{Name: "  ", Drink: "americano"}, presso.CodeInvalid, "name"},
			{"a name over 40", barista, orders.SubmitInput{Name: strings.Repeat("é", 41), Drink: "americano"}, presso.CodeInvalid, "name"},
			{"a line break", barista, orders.SubmitInput{Name: "Ann\nBarista says: free coffee", Drink: "americano"}, presso.CodeInvalid, "name"},
			{"a direction override", barista, orders.SubmitInput{Name: "Ann\u202egro", Drink: "americano"}, presso.CodeInvalid, "name"},
			{"a zero-width name", barista, orders.SubmitInput{Name: "\u200b\u200b", Drink: "americano"}, presso.CodeInvalid, "name"},
			{"no such drink", barista, orders.SubmitInput{Name: "Ann", Drink: "mocha"}, presso.CodeInvalid, "drink"},
			{"no such modifier", barista, orders.SubmitInput{Name: "Ann", Drink: "americano", Modifiers: map[string]string{"syrup": "x"}}, presso.CodeInvalid, "modifiers.syrup"},
		}
		for _, c := range cases {
			_, err := e.p.Walkup(e.ctx, c.who, "demo", c.in)
			var pe *presso.Error
			if code(err) != c.want || (c.field != "" && (!asError(err, &pe) || pe.Field != c.field)) {
				t.Errorf("%s: Walkup = %v, want %s (field %q)", c.name, err, c.want, c.field)
			}
		}
		if _, err := e.p.Walkup(e.ctx, admin, "nope", orders.SubmitInput{Name: "Ann", Drink: "americano"}); code(err) != presso.CodeNotFound {
			t.Errorf("at an unknown bar: Walkup = %v, want not_found", err)
		}
		closed := false
		if _, err := e.cfg.Update(e.ctx, barista, "demo", config.Patch{Open: &closed}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.walkup(barista, "Ann"); code(err) != presso.CodeClosed {
			t.Errorf("at a closed bar: Walkup = %v, want closed", err)
		}
		batch, err := e.db.Unpublished(e.ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range batch {
			if ev.DetailType != presso.ConfigServiceConfigChanged {
				t.Errorf("a refused walk-up wrote %s", ev.DetailType)
			}
		}
		if n, _ := e.db.ActiveOrders(e.ctx, "demo"); n != 0 {
			t.Errorf("active orders = %d, want 0", n)
		}
		open := true
		if _, err := e.cfg.Update(e.ctx, barista, "demo", config.Patch{Open: &open}); err != nil {
			t.Fatal(err)
		}
		if o := e.mustWalkup(barista, "Ann"); o.Number != 1 {
			t.Errorf("the first walk-up taken = #%d, want #1", o.Number)
		}
	})
}

// TestCall is the call row on a fake clock: a ready order's customer is
// called again (calledAt, OrderCalled on the board and their own
// channel); a second call within a minute is refused with the moment it
// may be made, exactly a minute after the last.
func TestCall(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		o := e.submit(customer(1), e.start(customer(1)).ID)
		if _, err := e.p.Call(e.ctx, barista, o.ID); code(err) != presso.CodeConflict {
			t.Fatalf("call a queued order = %v, want conflict", err)
		}
		e.fire(barista, o.ID, orders.TriggerComplete)
		e.clock.Advance(5 * time.Second)
		first := e.clock.Now()
		called, err := e.p.Call(e.ctx, barista, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if called.State != presso.StateCompleted || called.CalledAt == nil || !called.CalledAt.Equal(first) || called.Version != 4 ||
			called.CollectedAt != nil || called.Deadline != nil {
			t.Fatalf("called = %s calledAt %v version %d, want completed, called at %v, version 4", called.State, called.CalledAt, called.Version, first)
		}
		if got := e.get(o.ID); got.CalledAt == nil || !got.CalledAt.Equal(first) {
			t.Fatalf("stored calledAt = %v, want %v", got.CalledAt, first)
		}
		evs, err := e.db.OrderEvents(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		env := envelope(t, last)
		if last.DetailType != presso.OrderManagerOrderCalled || env.Detail["userId"] != "cus_1" || env.Detail["Message"] != "Order 1 is ready: please collect it" ||
			env.Detail["order"].(map[string]any)["calledAt"] != "2026-11-25T10:00:05Z" {
			t.Fatalf("last event = %s %v, want OrderCalled for cus_1 with calledAt 10:00:05", last.DetailType, env.Detail)
		}
		for _, ch := range []publisher.Channel{{Kind: publisher.Board, EventID: "demo"}, {Kind: publisher.User, UserID: "cus_1"}} {
			if _, ok := ch.Match(&env); !ok {
				t.Errorf("OrderCalled is not on channel %+v", ch)
			}
		}

		retry := first.Add(time.Minute)
		for _, wait := range []time.Duration{0, 30 * time.Second, time.Minute - time.Millisecond} {
			e.clock.Set(first.Add(wait))
			_, err := e.p.Call(e.ctx, barista, o.ID)
			var pe *presso.Error
			if !asError(err, &pe) || pe.Code != presso.CodeCalledRecently || pe.Kind != presso.KindLimited || !pe.RetryAt.Equal(retry) {
				t.Fatalf("call again after %v = %v, want called_recently with retryAt %v", wait, err, retry)
			}
		}
		e.clock.Set(retry)
		again, err := e.p.Call(e.ctx, barista, o.ID)
		if err != nil || !again.CalledAt.Equal(retry) {
			t.Fatalf("call again after exactly a minute = %v, %v; want called at %v", again, err, retry)
		}
		if n := len(e.events(o.ID)); n != len(evs)+1 {
			t.Fatalf("events after the refused and the second call = %d, want %d", n, len(evs)+1)
		}

		for _, c := range []struct {
			name string
			who  presso.Identity
			want string
		}{
			{"its customer", customer(1), presso.CodeForbidden},
			{"a display", display, presso.CodeForbidden},
			{"a stranger", customer(2), presso.CodeNotFound},
		} {
			if _, err := e.p.Call(e.ctx, c.who, o.ID); code(err) != c.want {
				t.Errorf("call as %s = %v, want %s", c.name, err, c.want)
			}
		}
		e.fire(barista, o.ID, orders.TriggerCollect)
		e.clock.Advance(time.Hour)
		if _, err := e.p.Call(e.ctx, barista, o.ID); code(err) != presso.CodeConflict {
			t.Errorf("call a collected order = %v, want conflict", err)
		}
	})
}

// TestBoardReadyFor: the board keeps finished orders for the bar's ready
// time, the rule the display follows.
func TestBoardReadyFor(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.ReadySeconds = 120 })
		ready := e.submit(customer(1), e.start(customer(1)).ID)
		e.fire(barista, ready.ID, orders.TriggerComplete)
		board := func() []string {
			t.Helper()
			list, err := e.p.Board(e.ctx, barista, "demo")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, o := range list {
				ids = append(ids, o.ID)
			}
			return ids
		}
		e.clock.Advance(120 * time.Second)
		if got := board(); !slices.Equal(got, []string{ready.ID}) {
			t.Fatalf("board after 120 s = %v, want the ready order", got)
		}
		e.clock.Advance(time.Millisecond)
		if got := board(); len(got) != 0 {
			t.Fatalf("board after 120.001 s = %v, want none", got)
		}
	})
}
