package publisher

import (
	"time"

	"presso/bus"
)

// Dispatch hands m to the subscriptions, as the live feed does.
func (p *Publisher) Dispatch(m bus.Message) { p.dispatch(m) }

// NewLimiter is a resume limiter with its own numbers, for tests.
func NewLimiter(burst, rate float64, max int) func(key string, now time.Time) (time.Time, bool) {
	return newLimiter(burst, rate, max).allow
}
