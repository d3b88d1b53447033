package orders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"presso"
	"presso/config"
	"presso/counting"
	"presso/store"
)

// Trigger is what moves an order from one state to the next.
type Trigger string

const (
	TriggerRedeem   Trigger = "redeem" // creates the order; not in the table below
	TriggerSubmit   Trigger = "submit"
	TriggerMake     Trigger = "make"
	TriggerUnmake   Trigger = "unmake"
	TriggerComplete Trigger = "complete"
	TriggerCancel   Trigger = "cancel"
	TriggerTimeout  Trigger = "timeout"
	TriggerCollect  Trigger = "collect"
)

// Deadline says what a transition does to the order's deadline.
type Deadline int

const (
	DeadlineClear    Deadline = iota // no more waiting: the order has ended
	DeadlineKeep                     // the current wait goes on
	DeadlineCustomer                 // the customer has the bar's customer timeout to choose
	DeadlineBarista                  // the baristas have the bar's barista timeout to finish
)

// Transition is one edge of the order workflow, declared as data: the
// trigger, the states it leaves and enters, who may fire it, a guard, an
// action run inside the transaction, the deadline it sets and the events it
// emits. Processor.fire interprets it; nothing else decides the workflow.
type Transition struct {
	On       Trigger
	From     []presso.State
	To       presso.State
	Who      func(who presso.Identity, o *presso.Order) bool
	Guard    func(c *change) error
	Action   func(ctx context.Context, c *change) error
	Deadline Deadline
	Emit     []string
}

// change is the context a guard and an action see: the order before, the
// order being built, the bar, the caller and the trigger's input.
type change struct {
	tx        *store.Tx
	bar       *presso.Bar
	who       presso.Identity
	before    *presso.Order
	after     *presso.Order
	now       time.Time
	input     SubmitInput
	numberDay string
}

// SubmitInput is the customer's drink choice.
type SubmitInput struct {
	Drink     string            `json:"drink"`
	Modifiers map[string]string `json:"modifiers"`
}

// Machine returns the order workflow. It is a function rather than a
// package variable so nothing can change the table at run time.
func Machine() []Transition {
	waiting, queued, making := presso.StateWaiting, presso.StateQueued, presso.StateMaking
	return []Transition{
		{On: TriggerSubmit, From: []presso.State{waiting}, To: queued, Who: owner,
			Guard: chooseDrink, Action: assignNumber, Deadline: DeadlineBarista,
			Emit: []string{presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion}},
		{On: TriggerMake, From: []presso.State{queued}, To: making, Who: barista,
			Action: claim, Deadline: DeadlineKeep, Emit: []string{presso.OrderManagerMakeOrder}},
		{On: TriggerUnmake, From: []presso.State{making}, To: queued, Who: barista,
			Action: unclaim, Deadline: DeadlineKeep, Emit: []string{presso.OrderManagerMakeOrder}},
		{On: TriggerComplete, From: []presso.State{queued, making}, To: presso.StateCompleted, Who: barista,
			Action: finish(""), Emit: []string{presso.OrderManagerOrderCompleted, presso.OrderProcessorOrderFinished}},
		{On: TriggerCancel, From: []presso.State{waiting, queued, making}, To: presso.StateCancelled, Who: ownerOrBarista,
			Guard: ownerBeforeMaking, Action: cancelledBy, Emit: []string{presso.OrderManagerOrderCancelled, presso.OrderProcessorOrderFinished}},
		{On: TriggerCollect, From: []presso.State{presso.StateCompleted}, To: presso.StateCompleted, Who: barista,
			Guard: notCollected, Action: collect, Emit: []string{presso.OrderManagerOrderCollected}},
		{On: TriggerTimeout, From: []presso.State{waiting}, To: presso.StateTimedOut, Who: system,
			Guard: due, Action: finish(presso.CauseCustomer), Emit: []string{presso.OrderProcessorOrderTimeOut}},
		{On: TriggerTimeout, From: []presso.State{queued, making}, To: presso.StateTimedOut, Who: system,
			Guard: due, Action: finish(presso.CauseBarista), Emit: []string{presso.OrderProcessorOrderTimeOut}},
	}
}

// systemActor is who fires timeouts.
func systemActor() presso.Identity {
	return presso.Identity{ID: "system", Kind: "system", Name: "system", Role: "system"}
}

func owner(who presso.Identity, o *presso.Order) bool   { return who.ID == o.UserID }
func barista(who presso.Identity, o *presso.Order) bool { return who.BaristaOf(o.EventID) }
func system(who presso.Identity, o *presso.Order) bool  { return who.Kind == "system" }
func ownerOrBarista(who presso.Identity, o *presso.Order) bool {
	return owner(who, o) || barista(who, o)
}

// chooseDrink validates the drink against the menu as it is now.
func chooseDrink(c *change) error {
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
func notCollected(c *change) error {
	if c.before.CollectedAt != nil {
		return presso.E(presso.KindConflict, "conflict", "order %d was already collected", c.before.Number)
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
func ownerBeforeMaking(c *change) error {
	if c.before.State == presso.StateMaking && !barista(c.who, c.before) {
		return presso.E(presso.KindConflict, "already_making", "a barista is already making this order: ask at the bar")
	}
	return nil
}

// due makes a timeout a no-op unless the deadline really passed; a late
// sweep of an order that has since moved on must not end it.
func due(c *change) error {
	if c.before.Deadline == nil || c.before.Deadline.After(c.now) {
		return presso.E(presso.KindConflict, "not_due", "order %s is not due", c.before.ID)
	}
	return nil
}

// Mermaid renders the workflow as a Mermaid state diagram, so the
// documentation is drawn from the same table the processor runs.
func Mermaid(ts []Transition) string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	b.WriteString("    [*] --> waiting: redeem / Validator.NewOrder, OrderProcessor.WorkflowStarted\n")
	for _, t := range ts {
		for _, from := range t.From {
			label := string(t.On)
			if len(t.Emit) > 0 {
				label += " / " + strings.Join(t.Emit, ", ")
			}
			fmt.Fprintf(&b, "    %s --> %s: %s\n", from, t.To, label)
		}
	}
	for _, s := range []presso.State{presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut} {
		fmt.Fprintf(&b, "    %s --> [*]\n", s)
	}
	return b.String()
}
