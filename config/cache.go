package config

import (
	"sync"
	"time"

	"presso"
)

// Nearly every request reads its bar, and bars change a few times a day,
// so Get keeps them a while. A change forgets the bar at once: on the
// replica that made it once its transaction has committed (the service's
// notify), and on every replica when the publisher hears its
// ConfigService.ConfigChanged (Forget). The time limit is a safety net for
// an event a replica did not hear (its feed was down).
const barCacheTTL = 10 * time.Second

// barCache maps bar ids to bars as stored. The bars it holds are never
// changed: Get hands out copies.
type barCache struct {
	ttl time.Duration

	mu   sync.Mutex
	gen  uint64 // moved on by every forget: a read that began before one is not kept
	bars map[string]cachedBar
}

type cachedBar struct {
	bar   *presso.Bar
	until time.Time
}

func newBarCache(ttl time.Duration) *barCache {
	return &barCache{ttl: ttl, bars: map[string]cachedBar{}}
}

// get returns a copy of the bar cached for id. The copy's menu is the
// cached one's: read it, do not change it.
func (c *barCache) get(id string, now time.Time) (*presso.Bar, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.bars[id]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	b := *e.bar
	return &b, true
}

// begin is taken before reading a bar from the database, for put.
func (c *barCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches a copy of b, read by a lookup that began at gen, unless a bar
// was forgotten since: what it read may be what was forgotten.
func (c *barCache) put(b *presso.Bar, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	kept := *b
	c.bars[b.ID] = cachedBar{bar: &kept, until: now.Add(c.ttl)}
}

// forget drops the bar id, or every bar when id is empty.
func (c *barCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == "" {
		clear(c.bars)
		return
	}
	delete(c.bars, id)
}

// Forget drops the bar eventID from the cache: the publisher calls it for
// each ConfigService.ConfigChanged it hears, on every replica.
func (s *Service) Forget(eventID string) { s.bars.forget(eventID) }
