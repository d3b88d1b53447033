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
	total, perAddr int // 0: no cap
	trusted        []netip.Prefix
	log            *slog.Logger

	mu      sync.Mutex
	open    int
	by      map[string]int
	refused atomic.Int64
	logged  time.Time // when a refusal was last logged
}

// LimitListener wraps ln with the caps.
func LimitListener(ln net.Listener, total, perAddr int, trusted []netip.Prefix, log *slog.Logger) *Listener {
	return &Listener{Listener: ln, total: total, perAddr: perAddr, trusted: trusted, log: log, by: map[string]int{}}
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
		if release, ok := l.admit(key, capped); ok {
			return &limitedConn{Conn: c, release: release}, nil
		}
		c.Close()
		l.refused.Add(1)
		l.noteRefusal(key)
	}
}

// Refused counts the connections closed for being over a cap.
func (l *Listener) Refused() int64 { return l.refused.Load() }

// Open is how many connections are held now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

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

func (l *Listener) admit(key string, capped bool) (func(), bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.open >= l.total || capped && l.perAddr > 0 && l.by[key] >= l.perAddr {
		return nil, false
	}
	l.open++
	l.by[key]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.open--
		if l.by[key]--; l.by[key] <= 0 {
			delete(l.by, key)
		}
	}, true
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
	open := l.open
	l.mu.Unlock()
	if quiet {
		l.log.Warn("connections over the cap are being closed", "addr", key, "open", open, "cap", l.total,
			"perAddr", l.perAddr, "refused", l.refused.Load())
	}
}

// limitedConn gives its place back once, when it is closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
