package orders

import (
	"context"
	"fmt"
	"time"

	"presso"
)

// CallCooldown is how long after calling a ready order's customer a
// barista must wait to call them again, so a busy bar does not ring one
// phone over and over.
const CallCooldown = time.Minute

// Walkup takes an order at the bar for someone without a phone: the walkup
// row of the workflow. It is queued with a number at once, under the name
// to call out, and counts against no one's limit.
func (p *Processor) Walkup(ctx context.Context, who presso.Identity, eventID string, in SubmitInput) (*presso.Order, error) {
	in.EventID, in.Code = eventID, ""
	return p.Fire(ctx, who, "", TriggerWalkup, in)
}

// Call calls the customer of a ready order again: the call row.
func (p *Processor) Call(ctx context.Context, who presso.Identity, orderID string) (*presso.Order, error) {
	return p.Fire(ctx, who, orderID, TriggerCall, SubmitInput{})
}

// openForWalkups turns walk-ups away from a closed bar, then from one
// whose event is over, as a scan is.
func openForWalkups(ctx context.Context, c *change) error {
	if err := barOpen(ctx, c); err != nil {
		return err
	}
	if c.bar.Ended {
		return presso.E(presso.KindExpired, presso.CodeBarEnded, "%s has ended: it takes no more orders", c.bar.Name)
	}
	return nil
}

// walkupName is the name the order is called out by, checked as a
// customer's first name is.
func walkupName(_ context.Context, c *change) error {
	name, err := presso.CleanName("name", c.input.Name)
	if err != nil {
		return err
	}
	c.after.UserName = name
	return nil
}

// takeWalkup makes the order and numbers it. It belongs to no customer (no
// one's channel hears of it) and is exempt from every per-customer limit.
func takeWalkup(ctx context.Context, c *change) error {
	c.after.ID, c.after.EventID, c.after.UserID = presso.NewID("o"), c.bar.ID, ""
	c.after.Day, c.after.Exempt, c.after.Walkup, c.after.CreatedAt = c.bar.Day(c.now), true, true, c.now
	return assignNumber(ctx, c)
}

// cooledDown refuses a call within CallCooldown of the last one, saying
// when the next may be made.
func cooledDown(_ context.Context, c *change) error {
	if c.before.CalledAt == nil {
		return nil
	}
	if next := c.before.CalledAt.Add(CallCooldown); c.now.Before(next) {
		return &presso.Error{Kind: presso.KindLimited, Code: presso.CodeCalledRecently, RetryAt: next,
			Message: fmt.Sprintf("order %d was called a moment ago: it can be called again in %d s", c.before.Number,
				int((next.Sub(c.now)+time.Second-1)/time.Second))}
	}
	return nil
}

// callAgain records the call; the event it emits makes the screens ring.
func callAgain(_ context.Context, c *change) error {
	c.after.CalledAt = &c.now
	return nil
}
