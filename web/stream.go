package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"presso"
	"presso/auth"
	"presso/publisher"
)

// barStream handles GET /api/events/{event}/stream: the board channel
// for the bar's staff, the store channel for anyone else.
func (s *Server) barStream(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	bar, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return err
	}
	if !who.StaffOf(bar.ID) {
		return s.stream(w, r, who, publisher.Channel{Kind: publisher.Store, EventID: bar.ID}, func(ctx context.Context) (any, error) {
			bar, err := s.Config.Get(ctx, bar.ID)
			return map[string]any{"bar": bar}, err
		})
	}
	return s.stream(w, r, who, publisher.Channel{Kind: publisher.Board, EventID: bar.ID}, func(ctx context.Context) (any, error) {
		bar, err := s.Config.Get(ctx, bar.ID)
		if err != nil {
			return nil, err
		}
		list, err := s.Orders.Board(ctx, who, bar.ID)
		if err != nil {
			return nil, err
		}
		return map[string]any{"bar": bar, "orders": list}, nil
	})
}

// myStream handles GET /api/me/stream: the caller's own order events.
func (s *Server) myStream(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	return s.stream(w, r, who, publisher.Channel{Kind: publisher.User, UserID: who.ID}, func(ctx context.Context) (any, error) {
		list, err := s.Orders.Mine(ctx, who)
		return map[string]any{"orders": list}, err
	})
}

// An SSE stream writes, besides its messages, a ping when it has been
// quiet this long, and gives each write this long to finish, so a client
// that stops reading cannot hold its stream (and a shutdown) forever.
const (
	pingEvery    = 20 * time.Second
	writeTimeout = 30 * time.Second
)

// stream serves one SSE channel to who. It subscribes before reading
// anything, so no event falls between the catch-up and the live feed: a
// client with Last-Event-ID gets what it missed from the stream; any other
// client gets a snapshot first, whose id is where the live feed picks up.
// The subscription ends when who's session is signed out.
//
// Over HTTP/1 the connection is taken over once the catch-up is ready:
// one goroutine of presso's own then serves the stream (serveConn), and
// the handler returns, leaving net/http nothing to hold for it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, who presso.Identity, ch publisher.Channel, snapshot func(context.Context) (any, error)) error {
	release, err := s.openStream(w, r) // guard.go: stream caps; no read deadline
	if err != nil {
		return err
	}
	closed := s.Metrics.StreamOpened(channelName(ch.Kind))
	holder := publisher.Holder{UserID: who.ID}
	if c, err := r.Cookie(sessionCookie); err == nil && who.ID != "" {
		holder.SessionHash = auth.HashToken(c.Value)
	}
	sub, last := s.Publisher.Subscribe(ch, holder)
	l := &live{sub: sub, last: last, end: func() {
		s.Publisher.Unsubscribe(sub)
		closed()
		release()
	}}
	head, err := s.catchUp(r, who, ch, snapshot, l)
	if err != nil {
		l.end()
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	if conn := hijack(w, r); conn != nil {
		go l.serveConn(conn, responseHead(h, head), s.Streams)
		return nil
	}
	defer l.end()
	l.serveWriter(w, r, head, s.Streams)
	return nil
}

// catchUp is what a stream begins with: the reconnection delay, then the
// snapshot, or what a resuming client missed. It sets where l's live feed
// picks up.
func (s *Server) catchUp(r *http.Request, who presso.Identity, ch publisher.Channel, snapshot func(context.Context) (any, error), l *live) ([]byte, error) {
	backlog, after, resumed, err := s.resume(r, who, ch)
	if err != nil {
		return nil, err
	}
	head := []byte("retry: 2000\n\n")
	l.epoch = s.Publisher.Epoch()
	if resumed {
		l.last = after
	} else {
		snap, err := snapshot(r.Context())
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(map[string]any{"type": "snapshot", "detail": snap})
		if err != nil {
			return nil, err
		}
		head = appendEvent(head, l.epoch, l.last, data)
	}
	for _, m := range backlog {
		head = appendEvent(head, l.epoch, m.Seq, m.Data)
		l.last = max(l.last, m.Seq)
	}
	return head, nil
}

// resume is what a client that sent Last-Event-ID missed, and the sequence
// it sent. ok is false when there is nothing to resume from (no or a bad
// header, an id of another epoch, or more than the stream can give): that
// client needs a snapshot. Resumes are limited per client (by user when
// signed in, and by address), since each one reads the stream.
func (s *Server) resume(r *http.Request, who presso.Identity, ch publisher.Channel) (backlog []*publisher.Message, after uint64, ok bool, err error) {
	epoch, after, valid := parseEventID(r.Header.Get("Last-Event-ID"), s.Publisher.Epoch())
	if !valid {
		return nil, 0, false, nil
	}
	if retry, allowed := s.Publisher.AllowResume(clientIP(r), who.ID); !allowed {
		return nil, 0, false, &presso.Error{Kind: presso.KindLimited, Code: presso.CodeRateLimited, RetryAt: retry,
			Message: "too many resumes: connect again without Last-Event-ID, or wait"}
	}
	backlog, ok, err = s.Publisher.Replay(r.Context(), ch, epoch, after)
	if err != nil {
		return nil, 0, false, &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusUnavailable, Message: "cannot resume the stream now", Err: err}
	}
	return backlog, after, ok, nil
}

// parseEventID reads an SSE id, "<epoch>-<seq>". A bare sequence, as ids
// were before they carried an epoch, is taken to be of the epoch now.
func parseEventID(id string, now uint64) (epoch, seq uint64, ok bool) {
	e, q, found := strings.Cut(id, "-")
	if !found {
		e, q = strconv.FormatUint(now, 10), id
	}
	epoch, err1 := strconv.ParseUint(e, 10, 64)
	seq, err2 := strconv.ParseUint(q, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return epoch, seq, true
}

// appendEvent appends one SSE message: its id (the stream's epoch and
// sequence) and its data, {type, detail} as encoded once for everyone.
func appendEvent(b []byte, epoch, seq uint64, data []byte) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, epoch, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// live is a stream's live feed: the subscription, and the id of the last
// message the client has.
type live struct {
	sub         *publisher.Subscription
	epoch, last uint64
	end         func() // unsubscribes and gives the stream's slot back, once
}

// frames is every message waiting that the client does not have yet,
// as one write; nil when there is none.
func (l *live) frames() []byte {
	msgs := l.sub.Take()
	n := 0
	for _, m := range msgs {
		n += len(m.Data) + 64
	}
	var b []byte
	for _, m := range msgs {
		if m.Seq <= l.last {
			continue // already sent from the backlog
		}
		if b == nil {
			b = make([]byte, 0, n) // held only while it is written
		}
		l.last = m.Seq
		b = appendEvent(b, l.epoch, m.Seq, m.Data)
	}
	return b
}

// ended reports whether the publisher ended the subscription or the
// server is shutting down.
func (l *live) ended(shutdown context.Context) bool {
	select {
	case <-l.sub.Done():
		return true
	default:
	}
	return shutdown != nil && shutdown.Err() != nil
}

// hijack takes an HTTP/1 GET's connection over from net/http, or returns
// nil (HTTP/2, a HEAD, a writer that cannot).
func hijack(w http.ResponseWriter, r *http.Request) net.Conn {
	if r.ProtoMajor != 1 || r.Method != http.MethodGet {
		return nil
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// serveConn serves the stream on a connection taken over from net/http:
// the answer's head and the catch-up in one write, then each batch of
// messages as it comes, in one write each, and a ping when quiet. The
// connection ends the answer (Connection: close), so the body needs no
// chunks.
//
// Its one goroutine waits in a read of the connection: a client that
// leaves ends the read at once, and the read's deadline is the next ping.
// The subscription wakes it by moving that deadline to the past, as does
// the shutdown.
func (l *live) serveConn(conn net.Conn, head []byte, shutdown context.Context) {
	defer l.end()
	defer conn.Close()
	rd := conn
	if t, ok := conn.(*tls.Conn); ok {
		rd = t.NetConn() // the stream reads nothing but the close, and leaves TLS's state alone
	}
	wake := func() { rd.SetReadDeadline(time.Unix(1, 0)) }
	if shutdown != nil {
		defer context.AfterFunc(shutdown, wake)()
	}
	l.sub.Notify(wake)
	write := func(b []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := conn.Write(b)
		return err == nil
	}
	if !write(head) {
		return
	}
	head = nil
	var buf [16]byte
	ping := time.Now().Add(pingEvery)
	for !l.ended(shutdown) {
		if b := l.frames(); b != nil {
			if !write(b) {
				return
			}
			ping = time.Now().Add(pingEvery)
		}
		if !time.Now().Before(ping) {
			if !write([]byte(": ping\n\n")) {
				return
			}
			ping = time.Now().Add(pingEvery)
		}
		rd.SetReadDeadline(ping)
		// A message that came since frames, or the end, moved the
		// deadline before this one was set: look again before waiting.
		if l.sub.Pending() > 0 || l.ended(shutdown) {
			continue
		}
		if _, err := rd.Read(buf[:]); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return // the client left
		}
	}
}

// responseHead is the answer's status line and headers (those set so far,
// and the end of the body at the close), then body, the catch-up.
func responseHead(h http.Header, body []byte) []byte {
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// serveWriter serves the stream through net/http, where the connection
// cannot be taken over (HTTP/2): a goroutine per stream waits for the
// subscription, the ping or the end, and writes and flushes once per
// batch.
func (l *live) serveWriter(w http.ResponseWriter, r *http.Request, head []byte, shutdown context.Context) {
	rc := http.NewResponseController(w)
	writeDeadline(rc)
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(head); err != nil || rc.Flush() != nil {
		return
	}
	wake := make(chan struct{}, 1)
	l.sub.Notify(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	var done <-chan struct{}
	if shutdown != nil {
		done = shutdown.Done()
	}
	for {
		var b []byte
		select {
		case <-r.Context().Done():
			return
		case <-done:
			return
		case <-l.sub.Done():
			return
		case <-ping.C:
			b = []byte(": ping\n\n")
		case <-wake:
			if b = l.frames(); b == nil {
				continue
			}
		}
		writeDeadline(rc)
		if _, err := w.Write(b); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// writeDeadline gives the next write writeTimeout to finish.
func writeDeadline(rc *http.ResponseController) {
	rc.SetWriteDeadline(time.Now().Add(writeTimeout))
}
