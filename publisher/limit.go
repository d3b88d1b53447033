package publisher

import (
	"sync"
	"time"
)

// Each resume reads the stream, so one client reconnecting in a loop must
// not keep it busy: resumes are counted in token buckets. A phone that
// resumes a few times in a row after a Wi-Fi blip is never held up; a
// client asking every moment is refused for a while; and a new connection
// without Last-Event-ID (a snapshot) is never counted here.
const (
	resumeBurst = 20  // resumes a client (an address, or a user) may make at once
	resumeRate  = 1.0 // resumes per second it earns back
	// A signed-in user is counted by their address too, more loosely (many
	// phones may share one venue's address), so that signing in afresh,
	// which costs little in name mode, does not buy fresh resumes.
	addrBurst  = 200
	addrRate   = 20.0
	maxClients = 10_000 // clients tracked at once, per bucket kind
)

// AllowResume reports whether a client may resume now, and if not, when it
// may: an anonymous one by its address, a signed-in one (userID not empty)
// by its user and, loosely, by its address.
func (p *Publisher) AllowResume(addr, userID string) (time.Time, bool) {
	now := time.Now()
	if userID == "" {
		return p.resumes.allow("addr:"+addr, now)
	}
	if retry, ok := p.resumes.allow("user:"+userID, now); !ok {
		return retry, false
	}
	return p.shared.allow(addr, now)
}

// limiter is a token bucket per key. Its map is bounded: a bucket that has
// filled up again is the same as none, so those go first when the map is
// full; if it is still full, newcomers wait.
type limiter struct {
	burst, rate float64
	max         int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst, rate float64, max int) *limiter {
	return &limiter{burst: burst, rate: rate, max: max, buckets: map[string]*bucket{}}
}

// fill is b's tokens at now.
func (l *limiter) fill(b *bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
}

func (l *limiter) allow(key string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		if len(l.buckets) >= l.max {
			return now.Add(time.Second), false
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.fill(b, now), now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
		return now.Add(wait), false
	}
	b.tokens--
	return time.Time{}, true
}

// prune forgets the buckets that are full again.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if l.fill(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
