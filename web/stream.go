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
	rc := http.NewResponseController(w)
	sub, last := s.Publisher.Subscribe(ch)
	defer s.Publisher.Unsubscribe(sub)

	var backlog []publisher.Message
	resumed := false
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if after, err := strconv.ParseUint(v, 10, 64); err == nil {
			msgs, ok, err := s.Publisher.Replay(r.Context(), ch, after)
			if err != nil {
				return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusUnavailable, Message: "cannot resume the stream now", Err: err}
			}
			if ok {
				backlog, resumed = msgs, true
				last = after
			}
		}
	}
	var snap any
	if !resumed {
		var err error
		if snap, err = snapshot(r.Context()); err != nil {
			return err
		}
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// Each write must finish within a while, so a client that stops
	// reading cannot hold its handler (and a shutdown) forever.
	alive := func() { rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) }
	alive()
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

	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	var done <-chan struct{}
	if s.Streams != nil {
		done = s.Streams.Done()
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-done:
			return nil
		case <-sub.Dropped():
			return nil // the client reconnects and resumes from its last id
		case <-ping.C:
			alive()
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
		case m := <-sub.C:
			if m.Seq <= last {
				continue // already sent from the backlog
			}
			last = m.Seq
			alive()
			if err := writeEvent(w, m.Seq, m.Type, m.Detail); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

func writeEvent(w http.ResponseWriter, id uint64, typ string, detail any) error {
	data, err := json.Marshal(map[string]any{"type": typ, "detail": detail})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, data)
	return err
}
