package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"presso"
	"presso/config"
	"presso/counting"
	"presso/store"
	"presso/validator"
)

// Trigger is what moves an order from one state to the next.
type Trigger string

const (
	TriggerRedeem   Trigger = "redeem" // a scanned QR code: creates the order
	TriggerSubmit   Trigger = "submit"
	TriggerMake     Trigger = "make"
	TriggerUnmake   Trigger = "unmake"
	TriggerComplete Trigger = "complete"
	TriggerCancel   Trigger = "cancel"
	TriggerTimeout  Trigger = "timeout"
	TriggerCollect  Trigger = "collect"
	TriggerWalkup   Trigger = "walkup" // an order taken at the bar: creates it, queued
	TriggerCall     Trigger = "call"   // "Call again": rings the customer of a ready order
)

// Initial is the pseudo-state before an order exists. A row that leaves it
// creates the order; its history step says it came from "".
const Initial presso.State = ""

// Deadline says what a transition does to the order's deadline.
type Deadline int

const (
	// deadlineUnset is the zero value, so a row that forgets its rule is
	// refused by Check instead of silently clearing the deadline.
	deadlineUnset Deadline = iota

	DeadlineClear    // no more waiting: the order has ended
	DeadlineKeep     // the current wait goes on
	DeadlineCustomer // the customer has the bar's customer timeout to choose
	DeadlineBarista  // the baristas have the bar's barista timeout to finish
)

// Guard decides whether a transition may happen. A guard may take what it
// checks (a code's use, a place in the queue) inside the transaction: a
// later refusal rolls it back, so a refused trigger uses nothing up.
type Guard func(ctx context.Context, c *change) error

// Transition is one edge of the order workflow, declared as data: the
// trigger, the states it leaves and enters, who may fire it, a guard, an
// action run inside the transaction, the deadline it sets and the events it
// emits. Processor.fire interprets it; nothing else decides the workflow.
type Transition struct {
	On       Trigger
	From     []presso.State
	To       presso.State
	Who      func(who presso.Identity, o *presso.Order) bool
	Guard    Guard
	Action   func(ctx context.Context, c *change) error
	Deadline Deadline
	Emit     []string
}

// change is the context a guard and an action see: the order before, the
// order being built, the bar, the caller and the trigger's input, and what
// the guards took on the way (the redeemed code, the number's day).
type change struct {
	tx        *store.Tx
	bar       *presso.Bar
	who       presso.Identity
	before    *presso.Order
	after     *presso.Order
	now       time.Time
	input     SubmitInput
	code      store.Code
	numberDay string
	tr        *Transition // the row being run
	prevAt    *time.Time  // when the order's last step was, for the log
}

// SubmitInput is what a trigger is fired with: the customer's drink choice
// for submit; the bar and the scanned code for redeem, which are never
// read from a request body; the bar, the drink and the name to call out
// for walkup.
type SubmitInput struct {
	Drink     string            `json:"drink"`
	Modifiers map[string]string `json:"modifiers"`
	EventID   string            `json:"-"`
	Code      string            `json:"-"`
	Name      string            `json:"-"`
	// Also, if set, runs in the trigger's transaction once its guards
	// pass, and its error refuses the trigger: web counts a client
	// address's order starts there, so a start refused later gives its
	// count back with the rest of its transaction, and the count costs
	// no transaction of its own.
	Also func(context.Context, *store.Tx) error `json:"-"`
}

// Machine returns the order workflow. It is a function rather than a
// package variable so nothing can change the table at run time.
func Machine() []Transition {
	start, waiting, queued, making := Initial, presso.StateWaiting, presso.StateQueued, presso.StateMaking
	return []Transition{
		{On: TriggerRedeem, From: []presso.State{start}, To: waiting, Who: signedIn,
			Guard: all(barOpen, codeValid, underLimit, hasRoom), Action: create, Deadline: DeadlineCustomer,
			Emit: []string{presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted}},
		{On: TriggerWalkup, From: []presso.State{start}, To: queued, Who: barista,
			Guard: all(openForWalkups, walkupName, chooseDrink, hasRoom), Action: takeWalkup, Deadline: DeadlineBarista,
			Emit: []string{presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion}},
		{On: TriggerSubmit, From: []presso.State{waiting}, To: queued, Who: owner,
			Guard: chooseDrink, Action: assignNumber, Deadline: DeadlineBarista,
			Emit: []string{presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion}},
		{On: TriggerMake, From: []presso.State{queued}, To: making, Who: barista,
			Action: claim, Deadline: DeadlineKeep, Emit: []string{presso.OrderManagerMakeOrder}},
		{On: TriggerUnmake, From: []presso.State{making}, To: queued, Who: barista,
			Action: unclaim, Deadline: DeadlineKeep, Emit: []string{presso.OrderManagerMakeOrder}},
		{On: TriggerComplete, From: []presso.State{queued, making}, To: presso.StateCompleted, Who: barista,
			Action: finish(""), Deadline: DeadlineClear, Emit: []string{presso.OrderManagerOrderCompleted, presso.OrderProcessorOrderFinished}},
		{On: TriggerCancel, From: []presso.State{waiting, queued, making}, To: presso.StateCancelled, Who: ownerOrBarista,
			Guard: ownerBeforeMaking, Action: cancelledBy, Deadline: DeadlineClear, Emit: []string{presso.OrderManagerOrderCancelled, presso.OrderProcessorOrderFinished}},
		{On: TriggerCollect, From: []presso.State{presso.StateCompleted}, To: presso.StateCompleted, Who: barista,
			Guard: notCollected, Action: collect, Deadline: DeadlineClear, Emit: []string{presso.OrderManagerOrderCollected}},
		{On: TriggerCall, From: []presso.State{presso.StateCompleted}, To: presso.StateCompleted, Who: barista,
			Guard: all(notCollected, cooledDown), Action: callAgain, Deadline: DeadlineClear, Emit: []string{presso.OrderManagerOrderCalled}},
		{On: TriggerTimeout, From: []presso.State{waiting}, To: presso.StateTimedOut, Who: system,
			Guard: due, Action: finish(presso.CauseCustomer), Deadline: DeadlineClear, Emit: []string{presso.OrderProcessorOrderTimeOut}},
		{On: TriggerTimeout, From: []presso.State{queued, making}, To: presso.StateTimedOut, Who: system,
			Guard: due, Action: finish(presso.CauseBarista), Deadline: DeadlineClear, Emit: []string{presso.OrderProcessorOrderTimeOut}},
	}
}

// Check reports the first row of a table that cannot be run as it stands:
// one without a trigger, a target, a caller rule or a deadline rule. New
// refuses such a table, so a forgotten field fails the first test.
func Check(ts []Transition) error {
	for i, t := range ts {
		var missing string
		switch {
		case t.On == "":
			missing = "trigger"
		case len(t.From) == 0:
			missing = "from state"
		case !t.To.Valid():
			missing = "valid target state"
		case t.Who == nil:
			missing = "caller rule (Who)"
		case t.Deadline <= deadlineUnset || t.Deadline > DeadlineBarista:
			missing = "deadline rule"
		}
		if missing != "" {
			return fmt.Errorf("transition %d (%s from %v) has no %s", i, t.On, t.From, missing)
		}
	}
	return nil
}

// systemActor is who fires timeouts.
func systemActor() presso.Identity {
	return presso.Identity{ID: "system", Kind: "system", Name: "system", Role: "system"}
}

func signedIn(who presso.Identity, _ *presso.Order) bool { return who.ID != "" }
func owner(who presso.Identity, o *presso.Order) bool    { return o.UserID != "" && who.ID == o.UserID }
func barista(who presso.Identity, o *presso.Order) bool  { return who.BaristaOf(o.EventID) }
func system(who presso.Identity, o *presso.Order) bool   { return who.Kind == "system" }
func ownerOrBarista(who presso.Identity, o *presso.Order) bool {
	return owner(who, o) || barista(who, o)
}

// all runs guards in order and stops at the first refusal, so the caller
// hears the first reason, in the order the guards are listed.
func all(guards ...Guard) Guard {
	return func(ctx context.Context, c *change) error {
		for _, g := range guards {
			if err := g(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}
}

// barOpen turns scans away while the bar is closed; orders already made
// go on.
func barOpen(_ context.Context, c *change) error {
	if err := validator.Live(c.bar); err != nil {
		return err // an ended bar says so, closed or not
	}
	if !c.bar.Open {
		return presso.E(presso.KindClosed, presso.CodeClosed, "%s is closed right now", c.bar.Name)
	}
	return nil
}

// codeValid takes one use of the scanned code and keeps what is left of it
// for the Validator.NewOrder event.
func codeValid(ctx context.Context, c *change) error {
	used, err := validator.Use(ctx, c.tx, c.bar, c.input.Code, c.now)
	if err != nil {
		return err
	}
	c.code = used
	return nil
}

// underLimit counts the order against the customer's drinks for the bar's
// day. Staff are exempt at their own bar only: elsewhere a barista is a
// customer like any other. The customer's day is locked before the bar (in
// hasRoom), the order every path takes them in.
func underLimit(ctx context.Context, c *change) error {
	if c.who.StaffOf(c.bar.ID) {
		return nil
	}
	limit := c.bar.Limits.MaxPerCustomer
	ok, err := c.tx.CountCustomerOrder(ctx, c.bar.ID, c.who.ID, c.bar.Day(c.now), limit)
	if err != nil {
		return err
	}
	if !ok {
		return &presso.Error{Kind: presso.KindLimited, Code: presso.CodeLimitReached, RetryAt: c.bar.NextDay(c.now),
			Message: fmt.Sprintf("you have had your %d drink(s) for today at %s", limit, c.bar.Name)}
	}
	return nil
}

// hasRoom takes a place in the bar's queue.
func hasRoom(ctx context.Context, c *change) error {
	ok, err := c.tx.ReserveCapacity(ctx, c.bar.ID, c.bar.Limits.MaxQueue)
	if err != nil {
		return err
	}
	if !ok {
		return presso.E(presso.KindUnavailable, presso.CodeBusy, "the baristas are busy: try again in a few minutes")
	}
	return nil
}

// create makes the order the scan started, for the bar's day as it is now.
func create(_ context.Context, c *change) error {
	c.after.ID, c.after.EventID = presso.NewID("o"), c.bar.ID
	c.after.UserID, c.after.UserName = c.who.ID, c.who.Name
	c.after.Day, c.after.Exempt, c.after.CreatedAt = c.bar.Day(c.now), c.who.StaffOf(c.bar.ID), c.now
	return nil
}

// chooseDrink validates the drink against the menu as it is now.
func chooseDrink(_ context.Context, c *change) error {
	d, err := config.ResolveDrink(c.bar, c.input.Drink, c.input.Modifiers)
	if err != nil {
		return err
	}
	c.after.Drink = d
	return nil
}

// assignNumber draws the order number only once the drink is chosen, as
// the original does, so abandoned orders leave no gaps on the board.
func assignNumber(ctx context.Context, c *change) error {
	n, day, err := counting.Next(ctx, c.tx, c.bar, c.now)
	if err != nil {
		return err
	}
	c.after.Number, c.numberDay = n, day
	c.after.SubmittedAt = &c.now
	return nil
}

func claim(_ context.Context, c *change) error {
	c.after.BaristaID, c.after.BaristaName, c.after.MadeAt = c.who.ID, c.who.Name, &c.now
	return nil
}

func unclaim(_ context.Context, c *change) error {
	c.after.BaristaID, c.after.BaristaName, c.after.MadeAt = "", "", nil
	return nil
}

// finish ends the order, with a timeout cause if there is one.
func finish(cause string) func(context.Context, *change) error {
	return func(_ context.Context, c *change) error {
		c.after.Cause, c.after.FinishedAt = cause, &c.now
		return nil
	}
}

// notCollected makes collecting happen once.
func notCollected(_ context.Context, c *change) error {
	if c.before.CollectedAt != nil {
		return presso.E(presso.KindConflict, presso.CodeConflict, "order %d was already collected", c.before.Number)
	}
	return nil
}

// collect marks a ready order as picked up, taking it off the display.
func collect(_ context.Context, c *change) error {
	c.after.CollectedAt = &c.now
	return nil
}

// cancelledBy records who cancelled, so the customer's screen can say.
func cancelledBy(ctx context.Context, c *change) error {
	cause := presso.CauseBarista
	if owner(c.who, c.before) {
		cause = presso.CauseCustomer
	}
	return finish(cause)(ctx, c)
}

// ownerBeforeMaking lets the customer cancel only until a barista starts.
func ownerBeforeMaking(_ context.Context, c *change) error {
	if c.before.State == presso.StateMaking && !barista(c.who, c.before) {
		return presso.E(presso.KindConflict, presso.CodeAlreadyMaking, "a barista is already making this order: ask at the bar")
	}
	return nil
}

// due makes a timeout a no-op unless the deadline really passed; a late
// sweep of an order that has since moved on must not end it.
func due(_ context.Context, c *change) error {
	if c.before.Deadline == nil || c.before.Deadline.After(c.now) {
		return presso.E(presso.KindConflict, presso.CodeNotDue, "order %s is not due", c.before.ID)
	}
	return nil
}

// Mermaid renders the workflow as a Mermaid state diagram, so the
// documentation is drawn from the same table the processor runs: the
// initial pseudo-state and the terminal states are drawn as [*].
func Mermaid(ts []Transition) string {
	node := func(s presso.State) string {
		if s == Initial {
			return "[*]"
		}
		return string(s)
	}
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	var ends []presso.State
	for _, t := range ts {
		label := string(t.On)
		if len(t.Emit) > 0 {
			label += " / " + strings.Join(t.Emit, ", ")
		}
		for _, from := range t.From {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", node(from), node(t.To), label)
		}
		if t.To.Terminal() && !slices.Contains(ends, t.To) {
			ends = append(ends, t.To)
		}
	}
	for _, s := range ends {
		fmt.Fprintf(&b, "    %s --> [*]\n", s)
	}
	return b.String()
}
