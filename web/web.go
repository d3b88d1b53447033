// Package web is presso's HTTP face: the JSON API, the real-time SSE
// channels and the embedded apps, on one net/http mux. It is the only
// place that turns presso errors into HTTP statuses.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"presso"
	"presso/auth"
	"presso/bus"
	"presso/config"
	"presso/metrics"
	"presso/orders"
	"presso/publisher"
	"presso/store"
	"presso/validator"
)

// Server holds what the handlers need.
type Server struct {
	// DB is only pinged, for /readyz: everything else reaches the data
	// through the services below, which check who may see and change it.
	DB        *store.DB
	Bus       *bus.Bus
	Auth      *auth.Service
	Config    *config.Service
	Validator *validator.Validator
	Orders    *orders.Processor
	Publisher *publisher.Publisher
	Log       *slog.Logger
	Now       func() time.Time
	// Apps serves the embedded web apps; nil serves nothing outside /api.
	Apps http.Handler
	// SecureCookies marks cookies Secure (when served over https).
	SecureCookies bool
	// HSTS sends Strict-Transport-Security: presso itself serves HTTPS.
	HSTS bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed:
	// the client address for limits is the rightmost hop not in them.
	TrustedProxies []netip.Prefix
	// ReadTimeout bounds how long a request's body may take to arrive
	// (SSE streams read nothing and are exempt); 0 means 30 s.
	ReadTimeout time.Duration
	// MaxStreams and MaxStreamsPerAddr cap the open SSE streams in all
	// and per client address (0: no cap).
	MaxStreams, MaxStreamsPerAddr int
	// NameOrdersPerAddr is how many orders one client address may start
	// with one QR code at a bar in name mode; 0 means half the code's uses.
	NameOrdersPerAddr int
	// Streams ends every open SSE stream when cancelled, for shutdown.
	Streams context.Context

	streamSlots *slots        // set by Handler
	newTurns    chan struct{} // set by Handler; see newWork
	lastSoon    atomic.Int64  // when a request last had a turn within turnSoon (unix ns); see newWork
	// Dev is --dev: it adds demo conveniences, such as the home page's
	// "try it without a phone" (GET /api/events/{event}/try).
	Dev bool
	// Metrics, if set, counts the requests by route and the open streams.
	Metrics *metrics.Metrics
}

// Handler returns the whole HTTP surface.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	if s.Apps != nil {
		mux.Handle("/", s.Apps)
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, presso.E(presso.KindForbidden, presso.CodeCrossOrigin, "cross-origin request refused"))
	}))
	s.streamSlots = newSlots(s.MaxStreams, s.MaxStreamsPerAddr)
	s.newTurns = make(chan struct{}, newWorkTurns)
	return s.guard(s.logRequests(cop.Handler(mux)))
}

// status is the one mapping from error kinds to HTTP statuses.
func status(k presso.Kind) int {
	switch k {
	case presso.KindInvalid:
		return http.StatusBadRequest
	case presso.KindUnauthenticated:
		return http.StatusUnauthorized
	case presso.KindForbidden:
		return http.StatusForbidden
	case presso.KindNotFound:
		return http.StatusNotFound
	case presso.KindConflict:
		return http.StatusConflict
	case presso.KindExpired:
		return http.StatusGone
	case presso.KindClosed:
		return http.StatusLocked
	case presso.KindLimited:
		return http.StatusTooManyRequests
	case presso.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Field   string     `json:"field,omitempty"`
	RetryAt *time.Time `json:"retryAt,omitempty"`
}

// writeError answers with the error's status and {"error": {...}}. A
// client's mistake is answered as it is and not logged; an outage is a 503
// logged at Warn; anything else is a bug, logged at Error with the route
// and answered only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind := presso.KindInternal
	var pe *presso.Error
	if errors.As(err, &pe) {
		kind = pe.Kind
	}
	code := status(kind)
	switch code {
	case http.StatusInternalServerError:
		if errors.Is(err, context.Canceled) {
			return // the client went away; nobody reads the answer
		}
		s.Log.Error("internal error", "method", r.Method, "route", r.Pattern, "err", err)
		writeJSON(w, code, map[string]any{"error": errorBody{Code: presso.CodeInternal, Message: "internal error"}})
		return
	case http.StatusServiceUnavailable:
		retry := 5
		if !pe.RetryAt.IsZero() {
			retry = max(1, int(math.Ceil(time.Until(pe.RetryAt).Seconds())))
		}
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		if pe.Code == presso.CodeBusy {
			// Turning work away past capacity is the server doing its
			// job, hundreds of times a second under overload: the
			// request metrics count it by status; a log line each would
			// spend the core it is saving.
			s.Log.Debug("busy", "method", r.Method, "route", r.Pattern)
			break
		}
		s.Log.Warn("unavailable", "method", r.Method, "route", r.Pattern, "err", err)
	}
	body := errorBody{Code: pe.Code, Message: pe.Message, Field: pe.Field}
	if !pe.RetryAt.IsZero() {
		t := pe.RetryAt.UTC()
		body.RetryAt = &t
	}
	writeJSON(w, code, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}

// maxBody bounds every JSON request; a menu is the largest legitimate one.
const maxBody = 256 << 10

// decode reads a JSON body into v, strictly: unknown fields, trailing data,
// wrong types and oversized bodies are 400s that name the problem.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	return decodeJSON(r.Body, v)
}

// decodeJSON is the strict decoder behind every request body.
func decodeJSON(body io.Reader, v any) error {
	var seen bytes.Buffer // what the decoder read, to name a map key in a type error
	dec := json.NewDecoder(io.TeeReader(body, &seen))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return presso.Invalid("body", "the request body is empty: send a JSON object")
		case errors.As(err, &tooBig):
			return presso.Invalid("body", "the request body is larger than %d bytes", tooBig.Limit)
		case errors.As(err, &syn):
			return presso.Invalid("body", "the request body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ):
			field := typ.Field
			// The path names struct fields only; a value inside a map
			// (modifiers.milk) is named by the keys that lead to it.
			if keys := keysAt(seen.Bytes(), typ.Offset); field != "" && len(keys) > strings.Count(field, ".")+1 {
				field += "." + strings.Join(keys[strings.Count(field, ".")+1:], ".")
			}
			if field == "" {
				field = "body"
			}
			return presso.Invalid(field, "%s must be %s, not a JSON %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if f == "" {
				return presso.Invalid("body", "unknown field \"\"")
			}
			return presso.Invalid(f, "unknown field %q", f)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return presso.Invalid("body", "the request body is truncated JSON")
		}
		return presso.Invalid("body", "the request body could not be read: %v", err)
	}
	// More() is false before a stray ']' or '}', so read on instead: only
	// the end of the body is acceptable after the object.
	var tooBig *http.MaxBytesError
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
	case errors.As(err, &tooBig):
		return presso.Invalid("body", "the request body is larger than %d bytes", tooBig.Limit)
	default:
		return presso.Invalid("body", "the request body has data after the JSON object")
	}
	return nil
}

// jsonType names, for a client, the JSON a Go kind wants.
func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	case "string":
		return "a string"
	}
	return "a " + kind
}

// clientIP is the client's address as limits count it (auth.AddressKey):
// the peer, or behind a trusted proxy the address it forwarded for (see
// guard and docs/deploy.md).
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientKey{}).(string); ok {
		return ip
	}
	return auth.AddressKey(peerIP(r))
}

// peerIP is the address the connection comes from.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path (never the query, which may hold a code),
// status and duration at debug level.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		next.ServeHTTP(sw, r)
		s.Metrics.Request(r.Pattern, sw.code, time.Since(start))
		s.Log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.code, "dur", time.Since(start))
	})
}

// notFoundAPI handles every other /api/ route, in JSON.
func (s *Server) notFoundAPI(w http.ResponseWriter, r *http.Request) error {
	return presso.E(presso.KindNotFound, presso.CodeNotFound, "no such API route: %s %s", r.Method, r.URL.Path)
}
