// Package orders is the order manager and the order processor.
//
// The processor is the per-order workflow of the original's Step Functions
// machine, declared as data in Machine: states, the triggers that move them,
// guards, actions and timeouts. Every transition is one database
// transaction that updates the order, appends its history, writes its
// events to the outbox and sets its next deadline, so a transition is never
// half done or done twice. Deadlines are fired by Sweep, which any replica
// may run.
package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"presso"
	"presso/metrics"
	"presso/store"
)

// Processor runs the order workflow.
type Processor struct {
	db      *store.DB
	now     func() time.Time
	notify  func() // tells the relay events are waiting
	log     *slog.Logger
	machine []Transition
	metrics *metrics.Metrics // see Instrument
	est     estimator        // each bar's recent pace, for the wait estimate
}

// New returns a processor. notify is called after every commit that wrote
// events. It panics if the workflow table fails Check: the table is code,
// so a bad row is a bug the first test finds.
func New(db *store.DB, now func() time.Time, notify func(), log *slog.Logger) *Processor {
	m := Machine()
	if err := Check(m); err != nil {
		panic("orders: " + err.Error())
	}
	return &Processor{db: db, now: now, notify: notify, log: log, machine: m}
}

// Start redeems a QR code and starts an order waiting for the customer's
// drink: the redeem row of the workflow. Its guards and the redemption
// share one transaction, so a rejection (closed, over the limit, busy)
// uses nothing up.
func (p *Processor) Start(ctx context.Context, who presso.Identity, eventID, code string) (*presso.Order, error) {
	return p.StartAlso(ctx, who, eventID, code, nil)
}

// StartAlso is Start with also run in its transaction (see
// SubmitInput.Also).
func (p *Processor) StartAlso(ctx context.Context, who presso.Identity, eventID, code string, also func(context.Context, *store.Tx) error) (*presso.Order, error) {
	return p.Fire(ctx, who, "", TriggerRedeem, SubmitInput{EventID: eventID, Code: code, Also: also})
}

// unavailable tells the customer's channel why a scan was turned away when
// the bar is closed or busy, as the original's ShopUnavailable did.
func (p *Processor) unavailable(ctx context.Context, who presso.Identity, eventID string, cause error) {
	reason := ""
	switch presso.KindOf(cause) {
	case presso.KindClosed:
		reason = "closed"
	case presso.KindUnavailable:
		var e *presso.Error
		if errors.As(cause, &e) && e.Code == presso.CodeBusy {
			reason = "busy"
		}
	}
	// A refusal under overload did not look at the bar; writing an event
	// for each would only add to the load.
	if reason == "" || store.Overloaded(cause) {
		return
	}
	env := presso.NewEnvelope(presso.OrderProcessorShopUnavailable, eventID, p.now(), map[string]any{
		"userId": who.ID, "reason": reason, "Message": "The bar cannot take this order: " + reason})
	if err := p.db.Tx(ctx, func(tx *store.Tx) error { return tx.AppendOutbox(ctx, env, "") }); err != nil {
		p.log.Warn("record ShopUnavailable", "event", eventID, "err", err)
		return
	}
	p.notify()
}

// Submit records the customer's drink and queues the order with a number.
func (p *Processor) Submit(ctx context.Context, who presso.Identity, orderID string, in SubmitInput) (*presso.Order, error) {
	return p.Fire(ctx, who, orderID, TriggerSubmit, in)
}

// Fire applies a trigger to an order in its own transaction. An empty
// orderID fires a trigger that creates the order, at the bar in.EventID.
// A trigger the order as last committed already refuses (a make of an
// order another barista took) is refused from a read, without taking the
// writer; the transaction checks again. A trigger that creates an order
// is new work, which the store turns away first when it is overloaded;
// every other trigger carries on with an order under way, and goes first.
func (p *Processor) Fire(ctx context.Context, who presso.Identity, orderID string, t Trigger, in SubmitInput) (*presso.Order, error) {
	var c *change
	prio := store.PriorityInFlight
	if orderID == "" {
		prio = store.PriorityNew
	}
	ctx = store.WithPriority(ctx, prio)
	err := p.refused(ctx, who, orderID, t)
	if err == nil {
		err = p.db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			c, err = p.fire(ctx, tx, who, orderID, t, in)
			return err
		})
	}
	switch {
	case err != nil && orderID == "":
		if t == TriggerRedeem {
			p.unavailable(ctx, who, in.EventID, err)
		}
		return nil, fmt.Errorf("start order at %s: %w", in.EventID, err)
	case err != nil:
		return nil, fmt.Errorf("%s order %s: %w", t, orderID, err)
	}
	p.notify()
	p.observe(ctx, c)
	return c.after, nil
}

// fire runs one trigger within tx: it finds the transition, applies it,
// estimates when the order will be ready and persists it.
func (p *Processor) fire(ctx context.Context, tx *store.Tx, who presso.Identity, orderID string, t Trigger, in SubmitInput) (*change, error) {
	before, err := current(ctx, tx, who, orderID, in)
	if err != nil {
		return nil, err
	}
	tr, err := p.find(who, before, t)
	if err != nil {
		return nil, err
	}
	c, err := p.apply(ctx, tx, tr, who, before, in)
	if err != nil {
		return nil, err
	}
	c.tr = tr
	if err := p.previousStep(ctx, tx, c); err != nil {
		return nil, err
	}
	if err := p.estimate(ctx, tx, c.after, c.now); err != nil {
		return nil, err
	}
	if err := persist(ctx, tx, tr, c); err != nil {
		return nil, err
	}
	return c, nil
}

// refused says why the trigger cannot be fired on the order as the read
// pool last saw it committed, or nil when it may be: the transaction
// decides. The answer is the one the transaction would give.
func (p *Processor) refused(ctx context.Context, who presso.Identity, orderID string, t Trigger) error {
	if orderID == "" {
		return nil
	}
	o, err := p.db.OrderHead(ctx, orderID)
	if err != nil {
		return err
	}
	if !CanSee(who, o) {
		return presso.NotFound("order")
	}
	_, err = p.find(who, o, t)
	return err
}

// current is the order as it stands before a trigger: the stored order if
// who may see it, or, with no orderID, an order not yet made at in.EventID.
func current(ctx context.Context, tx *store.Tx, who presso.Identity, orderID string, in SubmitInput) (*presso.Order, error) {
	if orderID == "" {
		return &presso.Order{EventID: in.EventID, State: Initial}, nil
	}
	o, err := tx.GetOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if !CanSee(who, o) {
		return nil, presso.NotFound("order")
	}
	return o, nil
}

// find returns the first row the trigger takes from the order's state for
// who, or says why there is none: no such trigger, not who's to fire, or
// not from this state.
func (p *Processor) find(who presso.Identity, o *presso.Order, t Trigger) (*Transition, error) {
	known, fromHere := false, false
	for i := range p.machine {
		tr := &p.machine[i]
		if tr.On != t {
			continue
		}
		known = true
		if !slices.Contains(tr.From, o.State) {
			continue
		}
		fromHere = true
		if tr.Who(who, o) {
			return tr, nil
		}
	}
	switch {
	case !known:
		return nil, presso.Invalid("action", "unknown action %q", t)
	case fromHere && who.ID == "":
		return nil, presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
	case fromHere:
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "you may not %s this order", t)
	case o.State == Initial:
		return nil, presso.NotFound("order")
	}
	return nil, presso.E(presso.KindConflict, presso.CodeConflict, "order is %s: it cannot be %s", stateWords(o.State), pastTense(t))
}

// apply runs a transition on a copy of the order: its guard, the new
// state, its action and its deadline rule. Nothing is written yet but what
// the guards and actions take inside tx.
func (p *Processor) apply(ctx context.Context, tx *store.Tx, tr *Transition, who presso.Identity, before *presso.Order, in SubmitInput) (*change, error) {
	bar, err := tx.GetBar(ctx, before.EventID)
	if err != nil {
		return nil, err
	}
	after := *before
	c := &change{tx: tx, bar: bar, who: who, before: before, after: &after, now: p.now(), input: in}
	if tr.Guard != nil {
		if err := tr.Guard(ctx, c); err != nil {
			return nil, err
		}
	}
	if in.Also != nil {
		if err := in.Also(ctx, tx); err != nil {
			return nil, err
		}
	}
	after.State = tr.To
	if tr.Action != nil {
		if err := tr.Action(ctx, c); err != nil {
			return nil, err
		}
	}
	switch tr.Deadline {
	case DeadlineClear:
		after.Deadline = nil
	case DeadlineKeep:
	case DeadlineCustomer:
		d := c.now.Add(bar.CustomerTimeout())
		after.Deadline = &d
	case DeadlineBarista:
		d := c.now.Add(bar.BaristaTimeout())
		after.Deadline = &d
	default:
		return nil, fmt.Errorf("transition %s from %s has no deadline rule", tr.On, before.State)
	}
	after.Version++
	return c, nil
}

// persist writes an applied transition: the order (inserted if the
// transition made it), its history step, the bar's counters when it ends,
// and its events to the outbox. It is the only writer of order history and
// order events.
func persist(ctx context.Context, tx *store.Tx, tr *Transition, c *change) error {
	before, after := c.before, c.after
	if before.State == Initial {
		if err := tx.InsertNumberedOrder(ctx, after, c.numberDay); err != nil {
			return err
		}
	} else {
		ok, err := tx.UpdateOrder(ctx, before, after, c.numberDay)
		if err != nil {
			return err
		}
		if !ok {
			return presso.E(presso.KindConflict, presso.CodeConflict, "the order changed meanwhile: reload it")
		}
	}
	step := store.Step{At: c.now, From: before.State, To: after.State, Trigger: string(tr.On), Actor: c.who.ID}
	if err := tx.AppendHistory(ctx, after.ID, after.Version, step); err != nil {
		return err
	}
	// Rows are locked in the order redeem takes them (the customer's day,
	// then the bar), so a customer's new order and the end of their last
	// one cannot deadlock on PostgreSQL.
	if after.State.Terminal() && !before.State.Terminal() {
		if after.State != presso.StateCompleted && !after.Exempt {
			if err := tx.UncountCustomerOrder(ctx, after.EventID, after.UserID, after.Day); err != nil {
				return err
			}
		}
		if err := tx.ReleaseCapacity(ctx, after.EventID); err != nil {
			return err
		}
	}
	for _, dt := range tr.Emit {
		if err := tx.AppendOutbox(ctx, event(dt, c), after.ID); err != nil {
			return err
		}
	}
	return nil
}

// CanSee reports whether who may see the order at all: its owner and the
// staff of its bar. Everyone else is told it does not exist.
func CanSee(who presso.Identity, o *presso.Order) bool {
	return who.Kind == "system" || (o.UserID != "" && who.ID == o.UserID) || who.StaffOf(o.EventID)
}

// Get returns an order the caller may see, with its queue position.
func (p *Processor) Get(ctx context.Context, who presso.Identity, id string) (*presso.Order, error) {
	o, err := p.db.GetOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanSee(who, o) {
		return nil, presso.NotFound("order")
	}
	if o.State == presso.StateQueued || o.State == presso.StateMaking {
		if o.Position, err = p.db.QueuePosition(ctx, o); err != nil {
			return nil, err
		}
		if err := p.Estimate(ctx, o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// List returns a bar's orders for its staff; finished ones only if they
// finished within the last `within`.
func (p *Processor) List(ctx context.Context, who presso.Identity, eventID string, states []presso.State, within time.Duration) ([]*presso.Order, error) {
	if !who.StaffOf(eventID) {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of this bar can list its orders")
	}
	if _, err := p.db.GetBar(ctx, eventID); err != nil {
		return nil, err
	}
	list, err := p.db.ListOrders(ctx, eventID, states, p.now().Add(-within))
	if err != nil {
		return nil, err
	}
	return list, p.estimateList(ctx, eventID, list)
}

// Board is the staff board's snapshot of a bar: every order a barista can
// act on or has just finished, without those still waiting for the
// customer's drink choice, which no barista can touch yet. Finished orders
// stay for the bar's ready time, as on the display.
func (p *Processor) Board(ctx context.Context, who presso.Identity, eventID string) ([]*presso.Order, error) {
	states := []presso.State{presso.StateQueued, presso.StateMaking,
		presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut}
	bar, err := p.db.GetBar(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return p.List(ctx, who, eventID, states, bar.ReadyFor())
}

// Mine returns the caller's own orders, newest first.
func (p *Processor) Mine(ctx context.Context, who presso.Identity) ([]*presso.Order, error) {
	list, err := p.db.UserOrders(ctx, who.ID, 100)
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		if err := p.Estimate(ctx, o); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// Journey is an order's history: its transitions and the events it emitted.
type Journey struct {
	OrderID     string         `json:"orderId"`
	Transitions []store.Step   `json:"transitions"`
	Events      []JourneyEvent `json:"events"`
}

// JourneyEvent is one emitted event in a Journey.
type JourneyEvent struct {
	ID         string    `json:"id"`
	DetailType string    `json:"detailType"`
	Time       time.Time `json:"time"`
}

// History returns the order's journey, for its owner or the bar's staff.
func (p *Processor) History(ctx context.Context, who presso.Identity, id string) (*Journey, error) {
	if _, err := p.Get(ctx, who, id); err != nil {
		return nil, err
	}
	steps, err := p.db.History(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := p.db.OrderEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	j := &Journey{OrderID: id, Transitions: steps, Events: []JourneyEvent{}}
	for _, e := range evs {
		j.Events = append(j.Events, JourneyEvent{ID: e.ID, DetailType: e.DetailType, Time: e.CreatedAt})
	}
	return j, nil
}

// Sweep fires every deadline that is due now, one transaction per order.
// On PostgreSQL each claim skips rows another replica is firing, so no
// deadline fires twice. An order whose timeout fails is logged and tried
// again a minute later, so it cannot hold up the deadlines behind it. It
// returns how many fired.
func (p *Processor) Sweep(ctx context.Context) (int, error) {
	fired := 0
	defer func() {
		if fired > 0 {
			p.notify()
		}
	}()
	ctx = store.WithPriority(ctx, store.PriorityInFlight)
	for {
		// Most sweeps find nothing due: a read says so without a write
		// transaction.
		if next, ok, err := p.db.NextDeadline(ctx); err != nil || !ok || next.After(p.now()) {
			if err != nil {
				err = fmt.Errorf("sweep: %w", err)
			}
			return fired, err
		}
		id := ""
		var c *change
		err := p.db.Tx(ctx, func(tx *store.Tx) error {
			id, c = "", nil // a retried transaction claims afresh
			ids, err := tx.ClaimDue(ctx, p.now(), 1)
			if err != nil || len(ids) == 0 {
				return err
			}
			id = ids[0]
			c, err = p.fire(ctx, tx, systemActor(), id, TriggerTimeout, SubmitInput{})
			return err
		})
		switch {
		case err != nil && (id == "" || ctx.Err() != nil):
			return fired, fmt.Errorf("sweep: %w", err)
		case err != nil:
			p.log.Error("order timeout failed; trying again in a minute", "order", id, "err", err)
			if err := p.db.Tx(ctx, func(tx *store.Tx) error { return tx.PostponeDeadline(ctx, id, p.now().Add(time.Minute)) }); err != nil {
				return fired, fmt.Errorf("sweep: postpone %s: %w", id, err)
			}
		case id == "":
			return fired, nil
		default:
			fired++
			p.observe(ctx, c)
		}
	}
}

// RunSweeper sweeps every interval until ctx ends. Deadlines that passed
// while presso was down fire on the first sweep, right at start.
func (p *Processor) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := p.Sweep(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("sweep deadlines", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// event builds an event a transition emits. Validator.NewOrder tells of
// the code's redemption; every other event is an order event.
func event(detailType string, c *change) presso.Envelope {
	if detailType == presso.ValidatorNewOrder {
		return presso.NewEnvelope(detailType, c.after.EventID, c.now, map[string]any{
			"orderId": c.after.ID, "userId": c.after.UserID, "remaining": c.code.UsesLeft, "windowEnd": c.code.WindowEnd,
			"Message": "A QR code was redeemed"})
	}
	return orderEvent(detailType, c.after, c.now)
}

// orderEvent builds an order event. Every order event carries the whole
// order, so a screen can update from any one of them alone.
func orderEvent(detailType string, o *presso.Order, now time.Time) presso.Envelope {
	d := map[string]any{"orderId": o.ID, "userId": o.UserID, "orderNumber": o.Number, "state": o.State, "order": o,
		"Message": messages(detailType, o)}
	switch detailType {
	case presso.OrderProcessorOrderTimeOut:
		d["cause"] = o.Cause
	case presso.OrderManagerMakeOrder:
		d["baristaUserId"], d["baristaName"] = o.BaristaID, o.BaristaName
	}
	return presso.NewEnvelope(detailType, o.EventID, now, d)
}

func messages(detailType string, o *presso.Order) string {
	switch detailType {
	case presso.OrderProcessorWorkflowStarted:
		return "Waiting for the customer to choose a drink"
	case presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion:
		return fmt.Sprintf("Order %d is waiting for a barista", o.Number)
	case presso.OrderManagerMakeOrder:
		if o.BaristaID == "" {
			return fmt.Sprintf("Order %d is back in the queue", o.Number)
		}
		return fmt.Sprintf("%s is making order %d", o.BaristaName, o.Number)
	case presso.OrderManagerOrderCompleted:
		return fmt.Sprintf("Order %d is ready", o.Number)
	case presso.OrderManagerOrderCancelled:
		return "The order was cancelled"
	case presso.OrderManagerOrderCollected:
		return fmt.Sprintf("Order %d was collected", o.Number)
	case presso.OrderManagerOrderCalled:
		return fmt.Sprintf("Order %d is ready: please collect it", o.Number)
	case presso.OrderProcessorOrderTimeOut:
		if o.Cause == presso.CauseCustomer {
			return "No drink was chosen in time"
		}
		return "The baristas did not finish the order in time"
	case presso.OrderProcessorOrderFinished:
		return "The order's workflow has finished"
	}
	return ""
}

func stateWords(s presso.State) string {
	switch s {
	case presso.StateWaiting:
		return "waiting for a drink choice"
	case presso.StateQueued:
		return "queued"
	case presso.StateMaking:
		return "being made"
	case presso.StateTimedOut:
		return "timed out"
	}
	return string(s)
}

func pastTense(t Trigger) string {
	switch t {
	case TriggerRedeem:
		return "started again"
	case TriggerSubmit:
		return "given a drink now"
	case TriggerMake:
		return "made now"
	case TriggerUnmake:
		return "put back now"
	case TriggerComplete:
		return "completed"
	case TriggerCancel:
		return "cancelled"
	case TriggerCollect:
		return "collected before it is ready"
	case TriggerCall:
		return "called before it is ready"
	case TriggerWalkup:
		return "taken again"
	}
	return string(t)
}
