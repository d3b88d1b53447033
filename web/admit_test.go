package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// heldNewWork is a server's newWork around a handler that says it entered
// and answers 204 once hold lets it go.
func heldNewWork() (*Server, http.HandlerFunc, chan struct{}, chan struct{}) {
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), newTurns: make(chan struct{}, newWorkTurns)}
	hold, entered := make(chan struct{}), make(chan struct{}, newWorkTurns)
	h := s.newWork(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-hold
		w.WriteHeader(http.StatusNoContent)
	})
	return s, h, hold, entered
}

// TestNewWork: newWorkTurns requests of new work run at once; one more
// waits, and is answered 503 busy with Retry-After when no turn frees
// within newWorkWait; a turn given back lets the next one in.
func TestNewWork(t *testing.T) {
	_, h, hold, entered := heldNewWork()
	var wg sync.WaitGroup
	codes := make([]int, newWorkTurns)
	for i := range newWorkTurns {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h(rec, httptest.NewRequest("POST", "/api/customer/session", nil))
			codes[i] = rec.Code
		})
		<-entered
	}

	start := time.Now()
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("POST", "/api/customer/session", nil))
	waited := time.Since(start)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"code":"busy"`) {
		t.Errorf("request %d = %d, Retry-After %q, %s; want 503, 1, code busy", newWorkTurns+1, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if waited < newWorkWait {
		t.Errorf("request %d was answered after %v, want it to wait %v for a turn", newWorkTurns+1, waited, newWorkWait)
	}

	// A turn given back while one waits lets it in.
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest("POST", "/api/customer/session", nil))
		done <- rec.Code
	}()
	hold <- struct{}{} // one of the first requests finishes
	<-entered
	close(hold)
	if code := <-done; code != http.StatusNoContent {
		t.Errorf("request waiting for a turn = %d, want 204 once a turn is free", code)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusNoContent {
			t.Errorf("request %d = %d, want 204", i+1, c)
		}
	}
}

// TestNewWorkStanding: once the turns have been full for standingAfter with
// nobody let in soon, a request waits standingWait, not newWorkWait, before
// it hears busy; a turn had at once again ends the standing queue, and the
// next request waits its whole second again.
func TestNewWorkStanding(t *testing.T) {
	s, h, hold, entered := heldNewWork()
	var wg sync.WaitGroup
	fill := func(n int) {
		for range n {
			wg.Go(func() { h(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/customer/session", nil)) })
			<-entered
		}
	}
	ask := func() (int, time.Duration) {
		start := time.Now()
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest("POST", "/api/customer/session", nil))
		return rec.Code, time.Since(start)
	}
	fill(newWorkTurns)
	for i, want := range []struct {
		name     string
		min, max time.Duration
	}{
		{"the turns just filled: a burst", newWorkWait, 10 * newWorkWait},
		{"full for a second: a standing queue", standingWait, newWorkWait / 2},
	} {
		if code, waited := ask(); code != http.StatusServiceUnavailable || waited < want.min || waited > want.max {
			t.Errorf("request %d (%s) = %d after %v, want 503 after %v to %v", i+1, want.name, code, waited, want.min, want.max)
		}
	}
	hold <- struct{}{} // a turn frees, and the next request has it at once
	for len(s.newTurns) == newWorkTurns {
		time.Sleep(time.Millisecond)
	}
	fill(1)
	if code, waited := ask(); code != http.StatusServiceUnavailable || waited < newWorkWait {
		t.Errorf("after a turn had at once: %d after %v, want 503 after the whole %v", code, waited, newWorkWait)
	}
	close(hold)
	wg.Wait()
}
