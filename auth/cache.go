package auth

import (
	"sync"
	"time"

	"presso"
)

// Every request names its session, and looking it up in the database was
// about 0.42 ms of each order, so Identify keeps what it found for a short
// while. A sign-out, a disabled account or a new password forgets the
// session at once: on the replica that made the change after its commit
// (EndSessions, SignOut), and on every replica when the publisher hears
// the AuthService.SessionsEnded event it wrote (ForgetSessions). The time
// limit is a safety net for an event a replica did not hear (its feed was
// down), and bounds how long another replica shows a customer's old name.
const (
	sessionCacheTTL  = 10 * time.Second
	sessionCacheSize = 8192 // about 2 MB when full
)

// cachedSession is what Identify found for a token hash.
type cachedSession struct {
	id      presso.Identity
	expires time.Time // the session's expiry as stored when it was read
	until   time.Time // when the cache forgets it
}

// sessionCache maps token hashes to sessions. It holds at most max
// entries in two generations: when the newer fills up it becomes the
// older and the older is dropped, so what is used stays and what is not
// goes, at no cost per lookup.
type sessionCache struct {
	ttl time.Duration
	max int

	mu       sync.Mutex
	gen      uint64 // moved on by every forget: a lookup that began before one is not kept
	cur, old map[string]cachedSession
	later    []string // user ids to forget again once their transaction commits
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, cur: map[string]cachedSession{}, old: map[string]cachedSession{}}
}

// get returns the live session cached for hash.
func (c *sessionCache) get(hash string, now time.Time) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[hash]
	if !ok {
		if e, ok = c.old[hash]; ok {
			delete(c.old, hash)
			c.store(hash, e)
		}
	}
	if !ok || !now.Before(e.until) || !now.Before(e.expires) {
		return cachedSession{}, false
	}
	return e, true
}

// begin is taken before reading a session from the database, for put.
func (c *sessionCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches what a lookup that began at gen found, unless something was
// forgotten since: what it read may be what was forgotten.
func (c *sessionCache) put(hash string, e cachedSession, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	e.until = now.Add(c.ttl)
	c.store(hash, e)
}

// store puts e in the newer generation. The caller holds c.mu.
func (c *sessionCache) store(hash string, e cachedSession) {
	if len(c.cur) >= c.max/2 {
		c.old, c.cur = c.cur, make(map[string]cachedSession, c.max/2)
	}
	c.cur[hash] = e
}

// forget drops the session with hash, or every session of userID (either
// may be empty).
func (c *sessionCache) forget(hash, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, m := range []map[string]cachedSession{c.cur, c.old} {
		delete(m, hash)
		if userID == "" {
			continue
		}
		for h, e := range m {
			if e.id.ID == userID {
				delete(m, h)
			}
		}
	}
}

// forgetLater forgets userID's sessions now and again at committed, for a
// change whose transaction has not committed yet: a lookup in between may
// still read them.
func (c *sessionCache) forgetLater(userID string) {
	c.forget("", userID)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.later = append(c.later, userID)
}

// committed forgets what forgetLater was asked to.
func (c *sessionCache) committed() {
	c.mu.Lock()
	later := c.later
	c.later = nil
	c.mu.Unlock()
	for _, uid := range later {
		c.forget("", uid)
	}
}

// ForgetSessions drops the session with sessionHash, or every session of
// userID, from the cache: the publisher calls it for each
// AuthService.SessionsEnded it hears, on every replica.
func (s *Service) ForgetSessions(sessionHash, userID string) { s.sessions.forget(sessionHash, userID) }
