package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"presso"
	"presso/auth"
	"presso/store"
)

// What holds the server up against one anonymous client or a shared
// address (issue 8): response headers every answer carries, read
// deadlines, the client address behind a trusted proxy, caps on open SSE
// streams, and order starts per address at bars in name mode. The
// connection caps are in listen.go.

// clientKey is the request context key of the client address (clientIP).
type clientKey struct{}

// guard wraps every request: nosniff (and HSTS when presso serves HTTPS)
// on every answer, a deadline for the body to arrive, and the client
// address for limits.
func (s *Server) guard(next http.Handler) http.Handler {
	timeout := cmp.Or(s.ReadTimeout, 30*time.Second)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if s.HSTS {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		// The server's own deadline covers the headers only; without this
		// a body sent a byte every few seconds holds its connection for as
		// long as the sender likes. openStream lifts it for SSE.
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		ctx := context.WithValue(r.Context(), clientKey{}, auth.AddressKey(s.forwardedFor(r)))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// forwardedFor is the client's address: the peer's, or, when the peer is
// a trusted proxy, the rightmost X-Forwarded-For hop that is not one (the
// hops left of it are whatever the client chose to send).
func (s *Server) forwardedFor(r *http.Request) string {
	peer := peerIP(r)
	last, err := netip.ParseAddr(peer)
	if err != nil || !s.trusted(last) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(hops[i])
		if err != nil {
			break // nothing left of a hop that is no address can be believed
		}
		if !s.trusted(a) {
			return a.String()
		}
		last = a
	}
	return last.String()
}

// parseHop reads one X-Forwarded-For entry: an address, maybe with a port
// or in brackets.
func parseHop(h string) (netip.Addr, error) {
	h = strings.TrimSpace(h)
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return a.Unmap(), err
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// slots counts open SSE streams in all and per client address.
type slots struct{ streams *tally }

func newSlots(total, perAddr int) *slots { return &slots{newTally(total, perAddr)} }

// take holds a slot for a stream from ip until release is called.
func (sl *slots) take(ip string) (release func(), err error) {
	release, full := sl.streams.hold(ip, true)
	switch full {
	case "total":
		return nil, presso.E(presso.KindLimited, presso.CodeRateLimited, "this server has %d live streams open, its most: try again shortly", sl.streams.total)
	case "key":
		return nil, presso.E(presso.KindLimited, presso.CodeRateLimited, "%d live streams are open from this address already", sl.streams.perKey)
	}
	return release, nil
}

// openStream is the start of every SSE stream: it takes a stream slot
// for the client's address (release gives it back) and lifts the read
// deadline guard set, since a stream is long and reads nothing.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	release = func() {}
	if s.streamSlots != nil {
		if release, err = s.streamSlots.take(clientIP(r)); err != nil {
			return nil, err
		}
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	return release, nil
}

// clearSessionCookie tells the browser to forget its session.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// signOutEverywhere handles DELETE /api/me/sessions: every session of the
// caller's staff account ends, and with them their streams.
func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	if err := s.Auth.SignOutEverywhere(r.Context(), who); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// orderStartChecks are the checks web makes before an order start, for
// bars in name mode: a session signed in by name orders only at its own
// bar, and one client address may start only so many orders with one
// code. count, if not nil, makes that count inside the start's
// transaction (auth.OrderStartCount).
func (s *Server) orderStartChecks(r *http.Request, who presso.Identity, event, code string) (count func(context.Context, *store.Tx) error, err error) {
	if who.Staff() {
		return nil, nil
	}
	bar, err := s.Config.Get(r.Context(), event)
	if presso.IsKind(err, presso.KindNotFound) {
		return nil, nil // the start answers for a missing bar
	}
	if err != nil {
		return nil, err
	}
	if who.EventID != "" && who.EventID != bar.ID {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden,
			"you signed in by name at another bar: sign in at %s to order here", bar.Name)
	}
	if bar.SignInMode != "name" {
		return nil, nil
	}
	limit := s.NameOrdersPerAddr
	if limit <= 0 {
		limit = max(bar.Limits.DrinksPerCode/2, 1)
	}
	return s.Auth.OrderStartCount(clientIP(r), bar, code, limit), nil
}

// keysAt is the path of object keys that leads to the JSON value ending
// at offset in body (array positions are left out, as json's own
// UnmarshalTypeError.Field does); nil when body cannot be read that far.
func keysAt(body []byte, offset int64) []string {
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(body))
	for dec.InputOffset() < offset {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].wantKey {
			if k, ok := tok.(string); ok {
				stack[top].key, stack[top].wantKey = k, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		}
		if top >= 0 && stack[top].object && dec.InputOffset() < offset {
			stack[top].wantKey = true // a value ended: a key comes next
		}
	}
	var keys []string
	for _, f := range stack {
		if f.object && f.key != "" {
			keys = append(keys, f.key)
		}
	}
	return keys
}
