package publisher

import (
	"sync"
	"time"
)

// Each resume reads the stream, so one client reconnecting in a loop must
// not keep it busy: resumes are counted per client (its address when
// anonymous, its user when signed in; web picks the key) in a token
// bucket. A phone that resumes a few times in a row after a Wi-Fi blip is
// never held up; a client asking every moment is refused for a while, and
// a new connection without Last-Event-ID (a snapshot) is always allowed.
const (
	resumeBurst = 20     // resumes a client may make at once
	resumeRate  = 1.0    // resumes per second a client earns back
	maxClients  = 10_000 // clients tracked at once
)

// AllowResume reports whether the client named by key may resume now, and
// if not, when it may.
func (p *Publisher) AllowResume(key string) (time.Time, bool) {
	return p.resumes.allow(key, time.Now())
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
