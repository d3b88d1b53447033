package auth

import (
	"sync"
	"time"
)

// Limiter counts attempts per key in fixed windows. Per-address limits are
// generous because a whole conference venue often shares one address; the
// per-email and per-code limits are the tight ones. It lives in memory, so
// with several replicas each enforces its own share; the per-code attempt
// count in the database is the limit that holds across replicas.
type Limiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// NewLimiter returns an empty limiter.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{now: now, m: map[string]*window{}}
}

// Allow counts one attempt for key and reports whether it is within max
// per period.
func (l *Limiter) Allow(key string, max int, period time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) > 10000 { // forget finished windows before the map grows without bound
		for k, w := range l.m {
			if now.Sub(w.start) >= period {
				delete(l.m, k)
			}
		}
	}
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= period {
		w = &window{start: now}
		l.m[key] = w
	}
	w.n++
	return w.n <= max
}
