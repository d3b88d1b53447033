package web

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"presso/auth"
)

// Listener caps the connections a server holds, in all and per client
// address, so one client cannot take every file descriptor: a connection
// over a cap is closed as soon as it is accepted, never queued. The
// per-address cap does not apply to trusted proxies, whose connections
// carry many clients.
type Listener struct {
	net.Listener
	conns   *tally // per client address
	trusted []netip.Prefix
	log     *slog.Logger
	refused atomic.Int64

	mu     sync.Mutex
	logged time.Time // when a refusal was last logged
}

// LimitListener wraps ln with the caps.
func LimitListener(ln net.Listener, total, perAddr int, trusted []netip.Prefix, log *slog.Logger) *Listener {
	return &Listener{Listener: ln, conns: newTally(total, perAddr), trusted: trusted, log: log}
}

// tally counts what is held, in all and per key, within caps (0: none):
// the connections of a Listener, the SSE streams of a server.
type tally struct {
	total, perKey int
	mu            sync.Mutex
	held          int
	by            map[string]int
}

func newTally(total, perKey int) *tally {
	return &tally{total: total, perKey: perKey, by: map[string]int{}}
}

// hold counts one more for key, unless that would pass a cap: then it
// names the cap, "total" or "key" (the per-key cap only when capped).
// release gives the place back, once however often it is called.
func (c *tally) hold(key string, capped bool) (release func(), full string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total > 0 && c.held >= c.total:
		return nil, "total"
	case capped && c.perKey > 0 && c.by[key] >= c.perKey:
		return nil, "key"
	}
	c.held++
	c.by[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.held--
			if c.by[key]--; c.by[key] <= 0 {
				delete(c.by, key)
			}
		})
	}, ""
}

// count is how many are held now.
func (c *tally) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// Accept returns the next connection within the caps, closing those over
// them.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, capped := l.keyOf(c.RemoteAddr())
		if release, full := l.conns.hold(key, capped); full == "" {
			return &limitedConn{Conn: c, release: release}, nil
		}
		l.refused.Add(1) // before the close, which the client may see at once
		c.Close()
		l.noteRefusal(key)
	}
}

// Refused counts the connections closed for being over a cap.
func (l *Listener) Refused() int64 { return l.refused.Load() }

// Open is how many connections are held now.
func (l *Listener) Open() int { return l.conns.count() }

// keyOf is the address a connection is counted under, and whether the
// per-address cap applies to it.
func (l *Listener) keyOf(addr net.Addr) (string, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String(), true
	}
	a := ap.Addr().Unmap()
	for _, p := range l.trusted {
		if p.Contains(a) {
			return a.String(), false
		}
	}
	return auth.AddressKey(a.String()), true
}

// noteRefusal logs refusals at most once a minute: under attack there
// are thousands.
func (l *Listener) noteRefusal(key string) {
	if l.log == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	quiet := now.Sub(l.logged) >= time.Minute
	if quiet {
		l.logged = now
	}
	l.mu.Unlock()
	if quiet {
		l.log.Warn("connections over the cap are being closed", "addr", key, "open", l.conns.count(), "cap", l.conns.total,
			"perAddr", l.conns.perKey, "refused", l.refused.Load())
	}
}

// limitedConn gives its place back when it is closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
