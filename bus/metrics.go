package bus

import (
	"context"

	"presso/metrics"
)

// Instrument makes the relay count the batches the stream refused or did
// not acknowledge in m. Call it before Run; a nil m counts nothing.
func (r *Relay) Instrument(m *metrics.Metrics) {
	if m == nil {
		return
	}
	publish := r.publish
	r.publish = func(ctx context.Context, out []Outgoing) (int, uint64, error) {
		n, last, err := publish(ctx, out)
		if err != nil {
			m.RelayError()
		}
		return n, last, err
	}
}
