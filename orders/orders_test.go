package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/internal/testkit"
	"presso/orders"
	"presso/store"
	"presso/store/storetest"
	"presso/validator"
)

// env is a processor on a real database: SQLite in a temp dir or a fresh
// PostgreSQL database.
type env struct {
	t     testing.TB
	ctx   context.Context
	db    *store.DB
	clock *testkit.Clock
	cfg   *config.Service
	p     *orders.Processor
	v     *validator.Validator
}

var (
	admin   = presso.Identity{ID: "stf_admin", Kind: "staff", Name: "admin", Role: presso.RoleAdmin}
	barista = presso.Identity{ID: "stf_b1", Kind: "staff", Name: "bea", Role: presso.RoleBarista, EventID: "demo"}
	other   = presso.Identity{ID: "stf_b2", Kind: "staff", Name: "bob", Role: presso.RoleBarista, EventID: "demo"}
)

func customer(n int) presso.Identity {
	return presso.Identity{ID: fmt.Sprintf("cus_%d", n), Kind: "customer", Name: fmt.Sprintf("c%d", n), Role: presso.RoleCustomer}
}

// newEnv is a processor on a fresh database of the engine, with the demo
// bar seeded (after tweak) and a clock at 2026-11-25 10:00 UTC.
//
// Every order-flow test runs through storetest.EachEngine and hands newEnv
// the engine, so a new one cannot help running on all of them.
func newEnv(t testing.TB, eng storetest.Engine, tweak func(*presso.Bar)) *env {
	t.Helper()
	ctx := context.Background()
	db := eng.Open(t)
	c := testkit.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	e := &env{t: t, ctx: ctx, db: db, clock: c, cfg: config.New(db, c.Now, func() {}),
		p: orders.New(db, c.Now, func() {}, slog.New(slog.NewTextHandler(io.Discard, nil))),
		v: validator.New(db, c.Now, "http://presso.test")}
	bar := config.DemoBar()
	if tweak != nil {
		tweak(bar)
	}
	if err := e.cfg.Seed(ctx, bar); err != nil {
		t.Fatal(err)
	}
	return e
}

// envelope is the event an outbox row holds.
func envelope(t testing.TB, ev store.Outboxed) presso.Envelope {
	t.Helper()
	var env presso.Envelope
	if err := json.Unmarshal(ev.Payload, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

func (e *env) bar(id string) *presso.Bar {
	e.t.Helper()
	b, err := e.cfg.Get(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) code(event string) validator.Current {
	e.t.Helper()
	cur, err := e.v.Current(e.ctx, e.bar(event))
	if err != nil {
		e.t.Fatal(err)
	}
	return cur
}

// start redeems the current code for who and fails the test on error.
func (e *env) start(who presso.Identity) *presso.Order {
	e.t.Helper()
	o, err := e.p.Start(e.ctx, who, "demo", e.code("demo").Code)
	if err != nil {
		e.t.Fatalf("Start(%s): %v", who.ID, err)
	}
	return o
}

func (e *env) submit(who presso.Identity, id string) *presso.Order {
	e.t.Helper()
	o, err := e.p.Submit(e.ctx, who, id, orders.SubmitInput{Drink: "americano"})
	if err != nil {
		e.t.Fatalf("Submit(%s): %v", id, err)
	}
	return o
}

func (e *env) get(id string) *presso.Order {
	e.t.Helper()
	o, err := e.p.Get(e.ctx, admin, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) events(id string) []string {
	e.t.Helper()
	evs, err := e.db.OrderEvents(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.DetailType)
	}
	return types
}

func (e *env) sweep() int {
	e.t.Helper()
	n, err := e.p.Sweep(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func code(err error) string {
	var pe *presso.Error
	if ok := asError(err, &pe); ok {
		return pe.Code
	}
	return fmt.Sprintf("not a presso error: %v", err)
}

func asError(err error, target **presso.Error) bool {
	for err != nil {
		if pe, ok := err.(*presso.Error); ok {
			*target = pe
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// sweepFires moves the clock to 1 s before a deadline due in d and then to
// it: the sweep fires nothing before and exactly one order at it. at is
// the deadline's second of the order's wait, for the messages.
func (e *env) sweepFires(t *testing.T, d time.Duration, at int) {
	t.Helper()
	e.clock.Advance(d - time.Second)
	if n := e.sweep(); n != 0 {
		t.Fatalf("sweep at %ds fired %d, want 0", at-1, n)
	}
	e.clock.Advance(time.Second)
	if n := e.sweep(); n != 1 {
		t.Fatalf("sweep at %ds fired %d, want 1", at, n)
	}
}

func TestTimeouts(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		t.Run("customer", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			o := e.start(customer(1))
			e.sweepFires(t, 300*time.Second, 300)
			got := e.get(o.ID)
			if got.State != presso.StateTimedOut || got.Cause != presso.CauseCustomer || got.Deadline != nil || got.Number != 0 {
				t.Fatalf("order = %s/%s deadline %v number %d, want timed_out/customer, no deadline, no number", got.State, got.Cause, got.Deadline, got.Number)
			}
			want := []string{presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted, presso.OrderProcessorOrderTimeOut}
			if evs := e.events(o.ID); !slices.Equal(evs, want) {
				t.Fatalf("events = %v, want %v", evs, want)
			}
			if _, err := e.p.Submit(e.ctx, customer(1), o.ID, orders.SubmitInput{Drink: "americano"}); code(err) != presso.CodeConflict {
				t.Fatalf("submit after timeout: %v, want conflict", err)
			}
			// A timed-out order frees its place and does not count against the limit.
			if n, _ := e.db.ActiveOrders(e.ctx, "demo"); n != 0 {
				t.Fatalf("active = %d, want 0", n)
			}
			e.start(customer(1))
		})
		t.Run("barista", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			o := e.start(customer(1))
			e.clock.Advance(100 * time.Second)
			e.submit(customer(1), o.ID)
			e.clock.Advance(600 * time.Second)
			// Making does not restart the barista's clock.
			if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerMake, orders.SubmitInput{}); err != nil {
				t.Fatal(err)
			}
			e.sweepFires(t, 300*time.Second, 900)
			got := e.get(o.ID)
			if got.State != presso.StateTimedOut || got.Cause != presso.CauseBarista || got.Number != 1 {
				t.Fatalf("order = %s/%s #%d, want timed_out/barista #1", got.State, got.Cause, got.Number)
			}
			want := []string{presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted, presso.OrderProcessorWaitingCompletion,
				presso.OrderManagerWaitingCompletion, presso.OrderManagerMakeOrder, presso.OrderProcessorOrderTimeOut}
			if evs := e.events(o.ID); !slices.Equal(evs, want) {
				t.Fatalf("events = %v\nwant %v", evs, want)
			}
		})
		t.Run("per-bar timeouts", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Timeouts = presso.Timeouts{CustomerSeconds: 5, BaristaSeconds: 7} })
			o := e.start(customer(1))
			if got, want := *o.Deadline, e.clock.Now().Add(5*time.Second); !got.Equal(want) {
				t.Fatalf("deadline = %v, want %v", got, want)
			}
			o = e.submit(customer(1), o.ID)
			if got, want := *o.Deadline, e.clock.Now().Add(7*time.Second); !got.Equal(want) {
				t.Fatalf("barista deadline = %v, want %v", got, want)
			}
		})
	})
}

// TestRaces runs each pair of conflicting actions at once, many times: one
// wins, the other gets a conflict, and the order ends in the winner's state.
func TestRaces(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		type action struct {
			who presso.Identity
			t   orders.Trigger
		}
		cases := []struct {
			name  string
			setup func(e *env, o *presso.Order) // brings the order to the starting state
			a, b  action
			// states the order may end in, by which action won
			wantA, wantB presso.State
		}{
			{"two baristas make", submitted, action{barista, orders.TriggerMake}, action{other, orders.TriggerMake}, presso.StateMaking, presso.StateMaking},
			{"complete vs cancel", submitted, action{barista, orders.TriggerComplete}, action{other, orders.TriggerCancel}, presso.StateCompleted, presso.StateCancelled},
			{"repeated submit", nothing, action{customer(1), orders.TriggerSubmit}, action{customer(1), orders.TriggerSubmit}, presso.StateQueued, presso.StateQueued},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, eng, func(b *presso.Bar) {
					b.Limits.MaxPerCustomer = 1000
					b.Limits.DrinksPerCode = 1000
					b.Limits.MaxQueue = 1000
				})
				for i := range 20 {
					o := e.start(customer(1))
					tc.setup(e, o)
					var wg sync.WaitGroup
					errs := make([]error, 2)
					for j, act := range []action{tc.a, tc.b} {
						wg.Add(1)
						go func() {
							defer wg.Done()
							_, errs[j] = e.p.Fire(e.ctx, act.who, o.ID, act.t, orders.SubmitInput{Drink: "americano"})
						}()
					}
					wg.Wait()
					got := e.get(o.ID)
					switch {
					case errs[0] == nil && errs[1] == nil:
						t.Fatalf("round %d: both won", i)
					case errs[0] != nil && errs[1] != nil:
						t.Fatalf("round %d: both lost: %v / %v", i, errs[0], errs[1])
					case errs[0] == nil && (code(errs[1]) != presso.CodeConflict || got.State != tc.wantA):
						t.Fatalf("round %d: a won, b got %v, state %s; want conflict, %s", i, errs[1], got.State, tc.wantA)
					case errs[1] == nil && (code(errs[0]) != presso.CodeConflict || got.State != tc.wantB):
						t.Fatalf("round %d: b won, a got %v, state %s; want conflict, %s", i, errs[0], got.State, tc.wantB)
					}
					if got.State.Terminal() && got.Deadline != nil {
						t.Fatalf("round %d: ended with a deadline", i)
					}
				}
			})
		}
	})
}

func nothing(*env, *presso.Order) {}

func submitted(e *env, o *presso.Order) { e.submit(customer(1), o.ID) }

func TestCancelWhileChoosingEndsWorkflow(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		o := e.start(customer(1))
		if _, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerCancel, orders.SubmitInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.p.Submit(e.ctx, customer(1), o.ID, orders.SubmitInput{Drink: "americano"}); code(err) != presso.CodeConflict {
			t.Fatalf("submit after cancel: %v, want conflict", err)
		}
		if got := e.get(o.ID); got.State != presso.StateCancelled || got.Number != 0 || got.Deadline != nil {
			t.Fatalf("order = %s #%d deadline %v, want cancelled, unnumbered, no deadline", got.State, got.Number, got.Deadline)
		}
		e.clock.Advance(time.Hour)
		if n := e.sweep(); n != 0 {
			t.Fatalf("sweep fired %d for a cancelled order, want 0", n)
		}
		want := []string{presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted, presso.OrderManagerOrderCancelled, presso.OrderProcessorOrderFinished}
		if evs := e.events(o.ID); !slices.Equal(evs, want) {
			t.Fatalf("events = %v, want %v", evs, want)
		}
		// No number was drawn: the next order is #1.
		o2 := e.submit(customer(2), e.start(customer(2)).ID)
		if o2.Number != 1 {
			t.Fatalf("next number = %d, want 1", o2.Number)
		}
	})
}

func TestCustomerCancelRules(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 10 })
		o := e.submit(customer(1), e.start(customer(1)).ID)
		if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerMake, orders.SubmitInput{}); err != nil {
			t.Fatal(err)
		}
		_, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerCancel, orders.SubmitInput{})
		if code(err) != presso.CodeAlreadyMaking {
			t.Fatalf("owner cancel while making: %v, want already_making", err)
		}
		if _, err := e.p.Fire(e.ctx, customer(2), o.ID, orders.TriggerCancel, orders.SubmitInput{}); code(err) != presso.CodeNotFound {
			t.Fatalf("stranger cancel: %v, want not_found", err)
		}
		if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerCancel, orders.SubmitInput{}); err != nil {
			t.Fatalf("barista cancel while making: %v", err)
		}
	})
}

func TestOrderNumbers(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.DrinksPerCode = 1000; b.Limits.MaxQueue = 1000 })
		second := config.DemoBar()
		second.ID, second.Name = "second", "Second bar"
		second.Limits.DrinksPerCode, second.Limits.MaxQueue = 1000, 1000
		if err := e.cfg.Seed(e.ctx, second); err != nil {
			t.Fatal(err)
		}
		const n = 200
		var ids [n]string
		var otherIDs [10]string
		for i := range n {
			ids[i] = e.start(customer(i)).ID
		}
		for i := range otherIDs {
			o, err := e.p.Start(e.ctx, customer(i), "second", e.code("second").Code)
			if err != nil {
				t.Fatal(err)
			}
			otherIDs[i] = o.ID
		}
		numbers := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := e.p.Submit(e.ctx, customer(i), ids[i], orders.SubmitInput{Drink: "double-espresso"})
				if err != nil {
					t.Errorf("submit %d: %v", i, err)
					return
				}
				numbers[i] = o.Number
			}()
		}
		wg.Wait()
		slices.Sort(numbers)
		for i, got := range numbers {
			if got != int64(i+1) {
				t.Fatalf("sorted numbers[%d] = %d, want %d (gap or duplicate)", i, got, i+1)
			}
		}
		for i, id := range otherIDs {
			o, err := e.p.Submit(e.ctx, customer(i), id, orders.SubmitInput{Drink: "americano"})
			if err != nil {
				t.Fatal(err)
			}
			if o.Number != int64(i+1) {
				t.Fatalf("second bar order %d got number %d, want %d", i, o.Number, i+1)
			}
		}
	})
}

func TestDailyReset(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.DailyReset = true; b.Limits.MaxPerCustomer = 10 })
		if o := e.submit(customer(1), e.start(customer(1)).ID); o.Number != 1 {
			t.Fatalf("first number = %d, want 1", o.Number)
		}
		if o := e.submit(customer(1), e.start(customer(1)).ID); o.Number != 2 {
			t.Fatalf("second number = %d, want 2", o.Number)
		}
		e.clock.Advance(24 * time.Hour)
		if o := e.submit(customer(1), e.start(customer(1)).ID); o.Number != 1 {
			t.Fatalf("next day's first number = %d, want 1", o.Number)
		}
	})
}

// TestNumberAcrossMidnight: an order started before midnight and numbered
// after it keeps its number's day on every later transition (it once took
// the day it was started, clashed with that day's #1 and stuck).
func TestNumberAcrossMidnight(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.DailyReset = true; b.Limits.MaxPerCustomer = 10; b.Limits.WindowSeconds = 60 })
		e.clock.Advance(13*time.Hour + 58*time.Minute) // 23:58 UTC
		first := e.submit(customer(1), e.start(customer(1)).ID)
		late := e.start(customer(2))
		e.clock.Advance(3 * time.Minute) // 00:01 the next day
		late = e.submit(customer(2), late.ID)
		if first.Number != 1 || late.Number != 1 {
			t.Fatalf("numbers = %d and %d, want #1 on each day", first.Number, late.Number)
		}
		for _, tr := range []orders.Trigger{orders.TriggerMake, orders.TriggerComplete} {
			if _, err := e.p.Fire(e.ctx, barista, late.ID, tr, orders.SubmitInput{}); err != nil {
				t.Fatalf("%s after midnight: %v", tr, err)
			}
		}
		e.clock.Advance(time.Hour)
		if n := e.sweep(); n != 1 {
			t.Fatalf("sweep fired %d, want 1 (the first order's barista timeout)", n)
		}
	})
}

func TestStartRejections(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		t.Run("unknown bar is 404, not closed", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			if _, err := e.p.Start(e.ctx, customer(1), "nope", "whatever"); code(err) != presso.CodeNotFound {
				t.Fatalf("Start(nope) = %v, want not_found", err)
			}
		})
		t.Run("closed keeps the code's uses and in-flight orders", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 10 })
			inflight := e.submit(customer(1), e.start(customer(1)).ID)
			waiting := e.start(customer(1))
			open := false
			if _, err := e.cfg.Update(e.ctx, barista, "demo", config.Patch{Open: &open}); err != nil {
				t.Fatal(err)
			}
			before := e.code("demo").Remaining
			if _, err := e.p.Start(e.ctx, customer(2), "demo", e.code("demo").Code); code(err) != presso.CodeClosed {
				t.Fatalf("Start while closed = %v, want closed", err)
			}
			if after := e.code("demo").Remaining; after != before {
				t.Fatalf("remaining %d → %d: a rejected order used the code", before, after)
			}
			e.submit(customer(1), waiting.ID)
			for _, tr := range []orders.Trigger{orders.TriggerMake, orders.TriggerComplete} {
				if _, err := e.p.Fire(e.ctx, barista, inflight.ID, tr, orders.SubmitInput{}); err != nil {
					t.Fatalf("%s while closed: %v", tr, err)
				}
			}
		})
		t.Run("capacity", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxQueue = 2 })
			first := e.start(customer(1))
			e.start(customer(2))
			before := e.code("demo").Remaining
			if _, err := e.p.Start(e.ctx, customer(3), "demo", e.code("demo").Code); code(err) != presso.CodeBusy {
				t.Fatalf("Start at capacity = %v, want busy", err)
			}
			if after := e.code("demo").Remaining; after != before {
				t.Fatalf("remaining %d → %d: a rejected order used the code", before, after)
			}
			if _, err := e.p.Fire(e.ctx, customer(1), first.ID, orders.TriggerCancel, orders.SubmitInput{}); err != nil {
				t.Fatal(err)
			}
			e.start(customer(3))
		})
		t.Run("refused by what runs in its transaction", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			before := e.code("demo").Remaining
			ran := 0
			refuse := func(ctx context.Context, tx *store.Tx) error {
				ran++
				return presso.E(presso.KindLimited, presso.CodeRateLimited, "enough from here")
			}
			if _, err := e.p.StartAlso(e.ctx, customer(1), "demo", e.code("demo").Code, refuse); code(err) != presso.CodeRateLimited || ran != 1 {
				t.Fatalf("StartAlso(refusing) = %v after %d runs, want rate_limited after 1", err, ran)
			}
			if after := e.code("demo").Remaining; after != before {
				t.Fatalf("remaining %d → %d: a refused start used the code", before, after)
			}
			if got, err := e.p.Mine(e.ctx, customer(1)); err != nil || len(got) != 0 {
				t.Fatalf("Mine() after a refused start = %d orders, %v; want none", len(got), err)
			}
			// Refused by a guard first (a dead code), it does not run.
			if _, err := e.p.StartAlso(e.ctx, customer(1), "demo", "not-a-code", refuse); code(err) != presso.CodeInvalidCode || ran != 1 {
				t.Fatalf("StartAlso(dead code) = %v after %d runs, want invalid_code with no run", err, ran)
			}
		})
		t.Run("qr codes", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.DrinksPerCode = 1 })
			cur := e.code("demo")
			if _, err := e.p.Start(e.ctx, customer(1), "demo", "not-a-code"); code(err) != presso.CodeInvalidCode {
				t.Fatalf("invalid code: %v", err)
			}
			if _, err := e.p.Start(e.ctx, customer(1), "demo", cur.Code); err != nil {
				t.Fatal(err)
			}
			_, err := e.p.Start(e.ctx, customer(2), "demo", cur.Code)
			var pe *presso.Error
			if !asError(err, &pe) || pe.Code != presso.CodeSoldOut || !pe.RetryAt.Equal(cur.WindowEnd) {
				t.Fatalf("sold out: %v, want sold_out retrying at %v", err, cur.WindowEnd)
			}
			e.clock.Advance(300 * time.Second)
			if _, err := e.p.Start(e.ctx, customer(2), "demo", cur.Code); code(err) != presso.CodeCodeExpired {
				t.Fatalf("old code: %v, want code_expired", err)
			}
			next := e.code("demo")
			if next.Code == cur.Code || !next.WindowStart.Equal(cur.WindowEnd) || next.Remaining != 1 {
				t.Fatalf("next window = %+v, want a new code from %v with 1 use", next, cur.WindowEnd)
			}
		})
	})
}

// limitReached checks that customer 1's next scan is refused as
// limit_reached, to be tried again at retry.
func (e *env) limitReached(t *testing.T, what string, retry time.Time) {
	t.Helper()
	_, err := e.p.Start(e.ctx, customer(1), "demo", e.code("demo").Code)
	var pe *presso.Error
	if !asError(err, &pe) || pe.Code != presso.CodeLimitReached {
		t.Fatalf("%s: %v, want limit_reached", what, err)
	}
	if !pe.RetryAt.Equal(retry) {
		t.Fatalf("%s: retryAt = %v, want %v", what, pe.RetryAt, retry)
	}
}

func TestCustomerLimit(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		t.Run("not off by one", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 2 })
			e.start(customer(1))
			e.start(customer(1))
			e.limitReached(t, "third order", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
		})
		t.Run("cancelled and timed out do not count", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			o := e.start(customer(1))
			if _, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerCancel, orders.SubmitInput{}); err != nil {
				t.Fatal(err)
			}
			e.start(customer(1)) // times out below
			e.clock.Advance(301 * time.Second)
			e.sweep()
			done := e.submit(customer(1), e.start(customer(1)).ID)
			if _, err := e.p.Fire(e.ctx, barista, done.ID, orders.TriggerComplete, orders.SubmitInput{}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.p.Start(e.ctx, customer(1), "demo", e.code("demo").Code); code(err) != presso.CodeLimitReached {
				t.Fatalf("after a completed order: %v, want limit_reached", err)
			}
		})
		t.Run("staff are exempt", func(t *testing.T) {
			e := newEnv(t, eng, nil)
			for range 3 {
				e.start(barista)
			}
		})
		t.Run("day boundary in the bar's time zone", func(t *testing.T) {
			e := newEnv(t, eng, func(b *presso.Bar) { b.Timezone = "Pacific/Auckland" }) // UTC+13 in November
			e.clock.Advance(30 * time.Minute)                                            // 10:30 UTC = 23:30 in Auckland
			e.start(customer(1))
			e.clock.Advance(20 * time.Minute) // 23:50 local: same day
			// Tried again at local midnight.
			e.limitReached(t, "same local day", time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC))
			e.clock.Advance(15 * time.Minute) // 00:05 local, next day; still the 25th in UTC
			e.start(customer(1))
		})
	})
}

func TestVisibility(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		mine := e.start(customer(1))
		e.start(customer(2))
		list, err := e.p.Mine(e.ctx, customer(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != mine.ID {
			t.Fatalf("Mine(customer 1) = %d orders, want only %s", len(list), mine.ID)
		}
		if _, err := e.p.Get(e.ctx, customer(2), mine.ID); code(err) != presso.CodeNotFound {
			t.Fatalf("Get by another customer: %v, want not_found", err)
		}
		if _, err := e.p.History(e.ctx, customer(2), mine.ID); code(err) != presso.CodeNotFound {
			t.Fatalf("History by another customer: %v, want not_found", err)
		}
	})
}

// TestFastBarista makes the order the moment the submit returns: the
// original lost such actions while a Lambda was still writing the row.
func TestFastBarista(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		o := e.submit(customer(1), e.start(customer(1)).ID)
		got, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerMake, orders.SubmitInput{})
		if err != nil || got.State != presso.StateMaking || got.BaristaID != barista.ID {
			t.Fatalf("make right after submit = %v, %v", got, err)
		}
	})
}

func TestEventPayloads(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		o := e.submit(customer(1), e.start(customer(1)).ID)
		evs, err := e.db.OrderEvents(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			env := envelope(t, ev)
			if env.ID != ev.ID || env.EventID != "demo" || env.Detail["eventId"] != "demo" || env.Detail["orderId"] != o.ID {
				t.Errorf("%s envelope = %+v, want ids matching", ev.DetailType, env)
			}
			if env.Source+"."+env.DetailType[len(env.Source)+1:] != env.DetailType {
				t.Errorf("source %q does not prefix %q", env.Source, env.DetailType)
			}
		}
	})
}

// TestUnmake puts an order back in the queue (the original lost its
// eventId and emitted nothing): another barista can then make it.
func TestUnmake(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		o := e.submit(customer(1), e.start(customer(1)).ID)
		if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerMake, orders.SubmitInput{}); err != nil {
			t.Fatal(err)
		}
		got, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerUnmake, orders.SubmitInput{})
		if err != nil || got.State != presso.StateQueued || got.BaristaID != "" || got.MadeAt != nil || got.Deadline == nil {
			t.Fatalf("unmake = %+v, %v; want queued, unclaimed, deadline kept", got, err)
		}
		evs, err := e.db.OrderEvents(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := envelope(t, evs[len(evs)-1])
		if last.DetailType != presso.OrderManagerMakeOrder || last.Detail["baristaUserId"] != "" || last.Detail["eventId"] != "demo" {
			t.Fatalf("unmake event = %s %v, want MakeOrder with an empty baristaUserId and the eventId", last.DetailType, last.Detail)
		}
		if got, err := e.p.Fire(e.ctx, other, o.ID, orders.TriggerMake, orders.SubmitInput{}); err != nil || got.BaristaID != other.ID {
			t.Fatalf("another barista's make = %+v, %v", got, err)
		}
		if _, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerUnmake, orders.SubmitInput{}); code(err) != presso.CodeForbidden {
			t.Fatalf("customer unmake: %v, want forbidden", err)
		}
	})
}

// TestCollect marks a ready order as picked up: once, by a barista, only
// when it is completed, and without freeing its place a second time.
func TestCollect(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxPerCustomer = 5 })
		o := e.submit(customer(1), e.start(customer(1)).ID)
		e.start(customer(2)) // keeps one place taken
		if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerCollect, orders.SubmitInput{}); code(err) != presso.CodeConflict {
			t.Fatalf("collect before ready: %v, want conflict", err)
		}
		if _, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerComplete, orders.SubmitInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerCollect, orders.SubmitInput{}); code(err) != presso.CodeForbidden {
			t.Fatalf("customer collect: %v, want forbidden", err)
		}
		got, err := e.p.Fire(e.ctx, barista, o.ID, orders.TriggerCollect, orders.SubmitInput{})
		if err != nil || got.State != presso.StateCompleted || got.CollectedAt == nil || !got.CollectedAt.Equal(e.clock.Now()) {
			t.Fatalf("collect = %+v, %v; want completed and collected now", got, err)
		}
		if _, err := e.p.Fire(e.ctx, other, o.ID, orders.TriggerCollect, orders.SubmitInput{}); code(err) != presso.CodeConflict {
			t.Fatalf("second collect: %v, want conflict", err)
		}
		if n, _ := e.db.ActiveOrders(e.ctx, "demo"); n != 1 {
			t.Fatalf("active = %d after collecting, want 1 (the other order)", n)
		}
		want := []string{presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted, presso.OrderProcessorWaitingCompletion,
			presso.OrderManagerWaitingCompletion, presso.OrderManagerOrderCompleted, presso.OrderProcessorOrderFinished, presso.OrderManagerOrderCollected}
		if evs := e.events(o.ID); !slices.Equal(evs, want) {
			t.Fatalf("events = %v\nwant %v", evs, want)
		}
	})
}

// TestSweepSkipsAFailingOrder: a timeout that cannot be fired (here, an
// order whose bar is gone) is put back a minute and the others still fire.
func TestSweepSkipsAFailingOrder(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		due := e.clock.Now().Add(-time.Second)
		broken := &presso.Order{ID: "o_broken", EventID: "gone", UserID: "cus_x", State: presso.StateWaiting, Day: "2026-11-25",
			CreatedAt: e.clock.Now().Add(-time.Hour), Deadline: &due, Version: 1}
		if err := e.db.Tx(e.ctx, func(tx *store.Tx) error { return tx.InsertOrder(e.ctx, broken) }); err != nil {
			t.Fatal(err)
		}
		o := e.start(customer(1))
		e.clock.Advance(301 * time.Second)
		if n := e.sweep(); n != 1 {
			t.Fatalf("sweep fired %d, want 1 past the broken order", n)
		}
		if got := e.get(o.ID); got.State != presso.StateTimedOut {
			t.Fatalf("order behind the broken one is %s, want timed_out", got.State)
		}
		b, err := e.db.GetOrder(e.ctx, "o_broken")
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(time.Minute); b.State != presso.StateWaiting || b.Deadline == nil || !b.Deadline.Equal(want) {
			t.Fatalf("broken order = %s, deadline %v; want waiting, retried at %v", b.State, b.Deadline, want)
		}
	})
}

// TestNewOrderWhileLastEnds runs, for several customers at once, the end
// of an order beside the start of the customer's next one. The two take the
// same rows (the customer's day, the bar) and once deadlocked on PostgreSQL,
// which failed one of them. Nothing may fail here.
func TestNewOrderWhileLastEnds(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) {
			b.Limits.DrinksPerCode, b.Limits.MaxQueue, b.Limits.MaxPerCustomer = 10000, 10000, 1000
		})
		qr := e.code("demo").Code
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		for c := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				who := customer(c)
				for range 25 {
					o, err := e.p.Start(e.ctx, who, "demo", qr)
					if err != nil {
						errs <- err
						return
					}
					var both sync.WaitGroup
					both.Add(2)
					go func() {
						defer both.Done()
						if _, err := e.p.Fire(e.ctx, who, o.ID, orders.TriggerCancel, orders.SubmitInput{}); err != nil {
							errs <- err
						}
					}()
					go func() {
						defer both.Done()
						if _, err := e.p.Start(e.ctx, who, "demo", qr); err != nil {
							errs <- err
						}
					}()
					both.Wait()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("unexpected error: %v", err)
		}
	})
}

// TestWindowChange: lengthening the code window mid-window gives the
// display a code that is live for the new window, not a code left from the
// old window length that has already run out.
func TestWindowChange(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		e.clock.Advance(2 * time.Minute) // 10:02: the 300 s window 10:00-10:05
		if old := e.code("demo"); !old.WindowEnd.Equal(time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)) {
			t.Fatalf("window end = %v, want 10:05", old.WindowEnd)
		}
		e.clock.Advance(5 * time.Minute) // 10:07
		secs := 600
		if _, err := e.cfg.Update(e.ctx, admin, "demo", config.Patch{Limits: &config.LimitsPatch{WindowSeconds: &secs}}); err != nil {
			t.Fatal(err)
		}
		cur := e.code("demo") // the 600 s window 10:00-10:10 starts where the old row did
		if !cur.WindowEnd.Equal(time.Date(2026, 11, 25, 10, 10, 0, 0, time.UTC)) || cur.Remaining != 10 {
			t.Fatalf("after the change: %+v, want a window to 10:10 with 10 uses", cur)
		}
		if _, err := e.p.Start(e.ctx, customer(1), "demo", cur.Code); err != nil {
			t.Fatalf("the displayed code does not work: %v", err)
		}
	})
}

// TestBoard is the staff board's snapshot: orders a barista can act on in
// queue order, then those finished within the last ten minutes, newest
// first; never an order still waiting for its drink, never for outsiders.
func TestBoard(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, nil)
		fire := func(who presso.Identity, id string, tr orders.Trigger) {
			t.Helper()
			if _, err := e.p.Fire(e.ctx, who, id, tr, orders.SubmitInput{}); err != nil {
				t.Fatalf("%s %s: %v", tr, id, err)
			}
		}
		old := e.submit(customer(3), e.start(customer(3)).ID)
		fire(barista, old.ID, orders.TriggerComplete) // finished at 10:00:00
		e.clock.Advance(time.Second)
		queued := e.submit(customer(1), e.start(customer(1)).ID)
		e.clock.Advance(time.Second)
		making := e.submit(customer(2), e.start(customer(2)).ID)
		fire(barista, making.ID, orders.TriggerMake)
		e.start(customer(4)) // waiting: not on the board
		e.clock.Advance(time.Second)
		ready := e.submit(customer(5), e.start(customer(5)).ID)
		fire(barista, ready.ID, orders.TriggerComplete)
		e.clock.Advance(time.Second)
		cancelled := e.start(customer(6))
		fire(customer(6), cancelled.ID, orders.TriggerCancel)

		ids := func(who presso.Identity) []string {
			t.Helper()
			list, err := e.p.Board(e.ctx, who, "demo")
			if err != nil {
				t.Fatalf("Board(%s): %v", who.ID, err)
			}
			var got []string
			for _, o := range list {
				got = append(got, o.ID)
			}
			return got
		}
		e.clock.Advance(10*time.Minute - 4*time.Second) // 10:10:00: the oldest finished exactly ten minutes ago
		if got, want := ids(barista), []string{queued.ID, making.ID, cancelled.ID, ready.ID, old.ID}; !slices.Equal(got, want) {
			t.Fatalf("board at 10:10:00 = %v, want %v", got, want)
		}
		e.clock.Advance(time.Second)
		if got, want := ids(admin), []string{queued.ID, making.ID, cancelled.ID, ready.ID}; !slices.Equal(got, want) {
			t.Fatalf("board at 10:10:01 = %v, want %v", got, want)
		}
		for _, c := range []struct {
			who   presso.Identity
			event string
			want  string
		}{
			{customer(1), "demo", presso.CodeForbidden},
			{presso.Identity{ID: "stf_x", Kind: "staff", Role: presso.RoleBarista, EventID: "elsewhere"}, "demo", presso.CodeForbidden},
			{admin, "nope", presso.CodeNotFound},
		} {
			if _, err := e.p.Board(e.ctx, c.who, c.event); code(err) != c.want {
				t.Errorf("Board(%s, %s) = %v, want %s", c.who.ID, c.event, err, c.want)
			}
		}
	})
}

// TestCheck: every row of the workflow names its rules, and a row that
// leaves one out (above all the deadline, whose zero value once meant
// "clear") is refused, naming the row.
func TestCheck(t *testing.T) {
	if err := orders.Check(orders.Machine()); err != nil {
		t.Fatalf("Check(Machine()) = %v", err)
	}
	anyone := func(presso.Identity, *presso.Order) bool { return true }
	from := []presso.State{presso.StateWaiting}
	for _, c := range []struct {
		name string
		row  orders.Transition
		want string
	}{
		{"no deadline rule", orders.Transition{On: "x", From: from, To: presso.StateQueued, Who: anyone},
			"transition 0 (x from [waiting]) has no deadline rule"},
		{"unknown deadline rule", orders.Transition{On: "x", From: from, To: presso.StateQueued, Who: anyone, Deadline: 99},
			"transition 0 (x from [waiting]) has no deadline rule"},
		{"no caller rule", orders.Transition{On: "x", From: from, To: presso.StateQueued, Deadline: orders.DeadlineKeep},
			"transition 0 (x from [waiting]) has no caller rule (Who)"},
		{"no target", orders.Transition{On: "x", From: from, Who: anyone, Deadline: orders.DeadlineKeep},
			"transition 0 (x from [waiting]) has no valid target state"},
		{"no from", orders.Transition{On: "x", To: presso.StateQueued, Who: anyone, Deadline: orders.DeadlineKeep},
			"transition 0 (x from []) has no from state"},
		{"no trigger", orders.Transition{From: from, To: presso.StateQueued, Who: anyone, Deadline: orders.DeadlineKeep},
			"transition 0 ( from [waiting]) has no trigger"},
	} {
		err := orders.Check([]orders.Transition{c.row})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Check = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRedeem is the workflow's first row: the order it creates, its one
// history step from the initial pseudo-state, the two events it emits,
// and the ways the row is refused.
func TestRedeem(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) { b.Limits.MaxQueue = 2 })
		now := e.clock.Now()
		o := e.start(customer(1))
		got := e.get(o.ID)
		for _, g := range []*presso.Order{o, got} {
			if g.State != presso.StateWaiting || g.EventID != "demo" || g.UserID != "cus_1" || g.UserName != "c1" ||
				g.Day != "2026-11-25" || g.Exempt || !g.CreatedAt.Equal(now) || g.Deadline == nil ||
				!g.Deadline.Equal(now.Add(300*time.Second)) || g.Version != 1 || g.Number != 0 || g.ID != o.ID {
				t.Fatalf("redeemed order = %+v, want waiting at demo for cus_1/c1 on 2026-11-25, version 1, due at 10:05", g)
			}
		}
		j, err := e.p.History(e.ctx, customer(1), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantStep := store.Step{At: now, From: "", To: presso.StateWaiting, Trigger: "redeem", Actor: "cus_1"}
		if len(j.Transitions) != 1 || !j.Transitions[0].At.Equal(now) || j.Transitions[0].From != wantStep.From ||
			j.Transitions[0].To != wantStep.To || j.Transitions[0].Trigger != wantStep.Trigger || j.Transitions[0].Actor != wantStep.Actor {
			t.Fatalf("history = %+v, want [%+v]", j.Transitions, wantStep)
		}
		evs, err := e.db.OrderEvents(e.ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].DetailType != presso.ValidatorNewOrder || evs[1].DetailType != presso.OrderProcessorWorkflowStarted {
			t.Fatalf("events = %d, want NewOrder, WorkflowStarted", len(evs))
		}
		var newOrder struct {
			Detail map[string]any `json:"detail"`
		}
		if err := json.Unmarshal(evs[0].Payload, &newOrder); err != nil {
			t.Fatal(err)
		}
		wantDetail := map[string]any{"orderId": o.ID, "userId": "cus_1", "eventId": "demo", "remaining": float64(9),
			"windowEnd": "2026-11-25T10:05:00Z", "Message": "A QR code was redeemed"}
		if fmt.Sprint(newOrder.Detail) != fmt.Sprint(wantDetail) {
			t.Fatalf("NewOrder detail = %v\nwant %v", newOrder.Detail, wantDetail)
		}
		if s := e.start(barista); !s.Exempt {
			t.Fatalf("staff order exempt = false, want true")
		}

		before := e.code("demo").Remaining
		for _, c := range []struct {
			name    string
			who     presso.Identity
			event   string
			want    string
			unavail string // the ShopUnavailable reason written, if any
		}{
			{"anonymous", presso.Identity{}, "demo", presso.CodeUnauthenticated, ""},
			{"anonymous at an unknown bar", presso.Identity{}, "nope", presso.CodeUnauthenticated, ""},
			{"busy", customer(3), "demo", presso.CodeBusy, "busy"},
		} {
			_, err := e.p.Start(e.ctx, c.who, c.event, e.code("demo").Code)
			if code(err) != c.want {
				t.Fatalf("%s: Start = %v, want %s", c.name, err, c.want)
			}
			if after := e.code("demo").Remaining; after != before {
				t.Fatalf("%s: remaining %d → %d, want no use taken", c.name, before, after)
			}
			batch, err := e.db.Unpublished(e.ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			last := batch[len(batch)-1]
			env := envelope(t, last)
			gotReason, _ := env.Detail["reason"].(string)
			if last.DetailType != presso.OrderProcessorShopUnavailable {
				gotReason = ""
			}
			if gotReason != c.unavail || (c.unavail != "" && (env.Detail["userId"] != c.who.ID || last.OrderID != "")) {
				t.Fatalf("%s: last event %s %v, want ShopUnavailable %q for %s", c.name, last.DetailType, env.Detail, c.unavail, c.who.ID)
			}
		}
		if _, err := e.p.Fire(e.ctx, customer(1), o.ID, orders.TriggerRedeem, orders.SubmitInput{}); code(err) != presso.CodeConflict {
			t.Fatalf("redeem an existing order: %v, want conflict", err)
		}
		if _, err := e.p.Fire(e.ctx, customer(1), "", orders.TriggerSubmit, orders.SubmitInput{EventID: "demo"}); code(err) != presso.CodeNotFound {
			t.Fatalf("submit with no order: %v, want not_found", err)
		}
	})
}
