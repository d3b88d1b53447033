package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Limiter counts attempts per key in fixed windows, in memory. It holds
// the per-address limits: generous, because a whole venue often shares one
// address, and per replica. The limits that must hold across replicas (an
// account's or an e-mail's failed sign-ins, mails per address, name-mode
// order starts) are counted in the database instead.
//
// Its memory is bounded whatever callers send: a key longer than
// maxKeyLen is kept as its hash, finished windows are dropped every
// pruneEvery, and past maxKeys the oldest windows make room.
type Limiter struct {
	now     func() time.Time
	maxKeys int
	mu      sync.Mutex
	m       map[string]*window
	pruned  time.Time // when finished windows were last dropped
}

type window struct {
	start  time.Time
	period time.Duration
	n      int
}

const (
	// DefaultLimiterKeys is how many keys a Limiter keeps at most: about
	// 8 MB at the longest key.
	DefaultLimiterKeys = 50_000
	maxKeyLen          = 64
	pruneEvery         = time.Minute
)

// NewLimiter returns an empty limiter keeping at most DefaultLimiterKeys
// keys.
func NewLimiter(now func() time.Time) *Limiter {
	return NewLimiterSize(now, DefaultLimiterKeys)
}

// NewLimiterSize returns an empty limiter keeping at most maxKeys keys.
func NewLimiterSize(now func() time.Time, maxKeys int) *Limiter {
	return &Limiter{now: now, maxKeys: max(maxKeys, 1), m: map[string]*window{}, pruned: now()}
}

// Allow counts one attempt for key and reports whether it is within max
// per period.
func (l *Limiter) Allow(key string, max int, period time.Duration) bool {
	if len(key) > maxKeyLen {
		h := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(h[:]) // a fresh string: the caller's long one is not kept
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.pruned) >= pruneEvery {
		l.prune(now)
	}
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= w.period {
		if w == nil && len(l.m) >= l.maxKeys {
			l.evict(now)
		}
		w = &window{start: now, period: period}
		l.m[key] = w
	}
	w.n++
	return w.n <= max
}

// Len is how many keys the limiter holds, for tests.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// prune drops every finished window.
func (l *Limiter) prune(now time.Time) {
	for k, w := range l.m {
		if now.Sub(w.start) >= w.period {
			delete(l.m, k)
		}
	}
	l.pruned = now
}

// evict makes room for a new key: finished windows go first, then the
// oldest tenth of the rest.
func (l *Limiter) evict(now time.Time) {
	l.prune(now)
	if len(l.m) < l.maxKeys {
		return
	}
	type aged struct {
		key   string
		start time.Time
	}
	all := make([]aged, 0, len(l.m))
	for k, w := range l.m {
		all = append(all, aged{k, w.start})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	for _, a := range all[:max(len(all)/10, 1)] {
		delete(l.m, a.key)
	}
}

// AddressKey is the part of a client address that limits count by: the
// address itself for IPv4, its /64 network for IPv6 (one subscriber holds
// a whole /64), and the input unchanged when it is no address.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
