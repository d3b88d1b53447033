package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// stream serves one SSE channel to who. It subscribes before reading
// anything, so no event falls between the catch-up and the live feed: a
// client with Last-Event-ID gets what it missed from the stream; any other
// client gets a snapshot first, whose id is where the live feed picks up.
// The subscription ends when who's session is signed out.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, who presso.Identity, ch publisher.Channel, snapshot func(context.Context) (any, error)) error {
	release, err := s.openStream(w, r) // guard.go: stream caps; no read deadline
	if err != nil {
		return err
	}
	defer release()
	defer s.Metrics.StreamOpened(channelName(ch.Kind))()
	holder := publisher.Holder{UserID: who.ID}
	if c, err := r.Cookie(sessionCookie); err == nil && who.ID != "" {
		holder.SessionHash = auth.HashToken(c.Value)
	}
	sub, last := s.Publisher.Subscribe(ch, holder)
	defer s.Publisher.Unsubscribe(sub)

	backlog, after, resumed, err := s.resume(r, who, ch)
	if err != nil {
		return err
	}
	var snap any
	if resumed {
		last = after
	} else if snap, err = snapshot(r.Context()); err != nil {
		return err
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	writeDeadline(rc)
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	epoch := s.Publisher.Epoch()
	if !resumed {
		if err := writeEvent(w, epoch, last, "snapshot", snap); err != nil {
			return nil
		}
	}
	for _, m := range backlog {
		if err := writeEvent(w, epoch, m.Seq, m.Type, m.Detail); err != nil {
			return nil
		}
		last = max(last, m.Seq)
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	s.live(w, r, rc, sub, epoch, last)
	return nil
}

// resume is what a client that sent Last-Event-ID missed, and the sequence
// it sent. ok is false when there is nothing to resume from (no or a bad
// header, an id of another epoch, or more than the stream can give): that
// client needs a snapshot. Resumes are limited per client (by user when
// signed in, and by address), since each one reads the stream.
func (s *Server) resume(r *http.Request, who presso.Identity, ch publisher.Channel) (backlog []publisher.Message, after uint64, ok bool, err error) {
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

// live relays the subscription's messages after last, with a ping now and
// then, until the client leaves, the server shuts down or the publisher
// ends the subscription: it fell behind (its client resumes from its last
// id) or its session was signed out.
func (s *Server) live(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, sub *publisher.Subscription, epoch, last uint64) {
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	var done <-chan struct{}
	if s.Streams != nil {
		done = s.Streams.Done()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-done:
			return
		case <-sub.Done():
			return
		case <-ping.C:
			writeDeadline(rc)
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case m := <-sub.C:
			if m.Seq <= last {
				continue // already sent from the backlog
			}
			last = m.Seq
			writeDeadline(rc)
			if err := writeEvent(w, epoch, m.Seq, m.Type, m.Detail); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// writeDeadline gives the next write a while to finish, so a client that
// stops reading cannot hold its handler (and a shutdown) forever.
func writeDeadline(rc *http.ResponseController) {
	rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
}

// writeEvent writes one SSE message: its id (the stream's epoch and
// sequence) and {type, detail}.
func writeEvent(w http.ResponseWriter, epoch, seq uint64, typ string, detail any) error {
	data, err := json.Marshal(map[string]any{"type": typ, "detail": detail})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d-%d\ndata: %s\n\n", epoch, seq, data)
	return err
}
