package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"presso"
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
		return s.stream(w, r, publisher.Channel{Kind: publisher.Store, EventID: bar.ID}, func(ctx context.Context) (any, error) {
			bar, err := s.Config.Get(ctx, bar.ID)
			return map[string]any{"bar": bar}, err
		})
	}
	return s.stream(w, r, publisher.Channel{Kind: publisher.Board, EventID: bar.ID}, func(ctx context.Context) (any, error) {
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
	return s.stream(w, r, publisher.Channel{Kind: publisher.User, UserID: who.ID}, func(ctx context.Context) (any, error) {
		list, err := s.Orders.Mine(ctx, who)
		return map[string]any{"orders": list}, err
	})
}

// stream serves one SSE channel. It subscribes before reading anything, so
// no event falls between the catch-up and the live feed: a client with
// Last-Event-ID gets what it missed from the stream; any other client gets
// a snapshot first, whose id is where the live feed picks up.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, ch publisher.Channel, snapshot func(context.Context) (any, error)) error {
	sub, last := s.Publisher.Subscribe(ch)
	defer s.Publisher.Unsubscribe(sub)

	backlog, after, resumed, err := s.resume(r, ch)
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
	if !resumed {
		if err := writeEvent(w, last, "snapshot", snap); err != nil {
			return nil
		}
	}
	for _, m := range backlog {
		if err := writeEvent(w, m.Seq, m.Type, m.Detail); err != nil {
			return nil
		}
		last = max(last, m.Seq)
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	s.live(w, r, rc, sub, last)
	return nil
}

// resume is what a client that sent Last-Event-ID missed, and the id it
// sent. ok is false when there is nothing to resume from (no or a bad
// header, or more than the stream can give): that client needs a snapshot.
func (s *Server) resume(r *http.Request, ch publisher.Channel) (backlog []publisher.Message, after uint64, ok bool, err error) {
	after, err = strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	if err != nil {
		return nil, 0, false, nil
	}
	backlog, ok, err = s.Publisher.Replay(r.Context(), ch, after)
	if err != nil {
		return nil, 0, false, &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusUnavailable, Message: "cannot resume the stream now", Err: err}
	}
	return backlog, after, ok, nil
}

// live relays the subscription's messages after last, with a ping now and
// then, until the client leaves, the server shuts down or the publisher
// drops a subscriber that fell behind (its client resumes from its last id).
func (s *Server) live(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, sub *publisher.Subscription, last uint64) {
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
		case <-sub.Dropped():
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
			if err := writeEvent(w, m.Seq, m.Type, m.Detail); err != nil {
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

// writeEvent writes one SSE message: its stream id and {type, detail}.
func writeEvent(w http.ResponseWriter, id uint64, typ string, detail any) error {
	data, err := json.Marshal(map[string]any{"type": typ, "detail": detail})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, data)
	return err
}
