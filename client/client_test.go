package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCall: a 2xx answer is decoded into out, anything else is an *Error
// with the server's code, message, field and retryAt.
func TestCall(t *testing.T) {
	retryAt := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"method":%q,"type":%q,"body":%s}`, r.Method, r.Header.Get("Content-Type"), body)
		case "/sold-out":
			w.WriteHeader(409)
			fmt.Fprintf(w, `{"error":{"code":"sold_out","message":"this code is used up","retryAt":%q}}`, retryAt.Format(time.RFC3339))
		case "/invalid":
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":{"code":"invalid","message":"no such drink","field":"drink"}}`)
		case "/proxy":
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		case "/empty":
			w.WriteHeader(204)
		}
	}))
	defer srv.Close()
	c := New(srv.URL+"/", nil)
	for _, tc := range []struct {
		method, path string
		in           any
		wantErr      *Error
		wantOut      string
	}{
		{"POST", "/echo", map[string]string{"a": "b"}, nil, `{"method":"POST","type":"application/json","body":{"a":"b"}}`},
		{"DELETE", "/empty", nil, nil, ``},
		{"POST", "/sold-out", nil, &Error{Status: 409, Code: "sold_out", Message: "this code is used up", RetryAt: retryAt}, ""},
		{"PUT", "/invalid", map[string]string{}, &Error{Status: 400, Code: "invalid", Message: "no such drink", Field: "drink"}, ""},
		{"GET", "/proxy", nil, &Error{Status: 502, Code: "no_code"}, ""},
	} {
		var out json.RawMessage
		err := c.Call(context.Background(), tc.method, tc.path, tc.in, &out)
		if tc.wantErr == nil {
			if err != nil || string(out) != tc.wantOut {
				t.Errorf("Call(%s %s) = %s, %v; want %s, nil", tc.method, tc.path, out, err, tc.wantOut)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || *e != *tc.wantErr {
			t.Errorf("Call(%s %s) = %#v, want %#v", tc.method, tc.path, err, tc.wantErr)
			continue
		}
		if StatusOf(err) != tc.wantErr.Status || out != nil {
			t.Errorf("Call(%s %s): StatusOf = %d, out = %s; want %d, nothing", tc.method, tc.path, StatusOf(err), out, tc.wantErr.Status)
		}
	}
	if got, want := (&Error{Status: 409, Code: "sold_out", Message: "used up"}).Error(), "409 sold_out: used up"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}

	status, data, err := c.Do(context.Background(), "POST", "/invalid", strings.NewReader("{"))
	if status != 400 || string(data) != `{"error":{"code":"invalid","message":"no such drink","field":"drink"}}` || err != nil {
		t.Errorf("Do(POST /invalid) = %d, %s, %v", status, data, err)
	}
}

// TestCallNetwork: no answer at all is an *Error with status 0 that
// unwraps to the cause.
func TestCallNetwork(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New(srv.URL, nil).Call(ctx, "GET", "/", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 0 || !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "network: ") {
		t.Fatalf("Call(cancelled) = %#v, want a network *Error unwrapping to context.Canceled", err)
	}
	if StatusOf(err) != 0 || StatusOf(errors.New("other")) != 0 {
		t.Errorf("StatusOf = %d, %d; want 0, 0", StatusOf(err), StatusOf(errors.New("other")))
	}
}

// TestCookies: a client keeps its own session; another one does not get it.
func TestCookies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			http.SetCookie(w, &http.Cookie{Name: "presso_session", Value: r.URL.Query().Get("who"), Path: "/"})
			return
		}
		ck, err := r.Cookie("presso_session")
		if err != nil {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":{"code":"unauthorized","message":"sign in first"}}`)
			return
		}
		json.NewEncoder(w).Encode(ck.Value)
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	ann, bob := New(srv.URL, tr), New(srv.URL, tr)
	ctx := context.Background()
	if err := ann.Call(ctx, "POST", "/session?who=ann", nil, nil); err != nil {
		t.Fatal(err)
	}
	var who string
	if err := ann.Call(ctx, "GET", "/me", nil, &who); err != nil || who != "ann" {
		t.Errorf("ann GET /me = %q, %v; want ann", who, err)
	}
	if err := bob.Call(ctx, "GET", "/me", nil, &who); StatusOf(err) != 401 {
		t.Errorf("bob GET /me = %v, want 401", err)
	}
}

// TestReader parses the stream forms the standard allows: multi-line data,
// comments, retry, CRLF, an id that carries over or is cleared, a line
// longer than the buffer, data that is not JSON, a last message cut off.
func TestReader(t *testing.T) {
	long := strings.Repeat("x", 3*readerSize)
	type msg struct{ id, typ, detail, err string }
	for _, tc := range []struct {
		name   string
		in     string
		want   []msg
		lastID string
		retry  time.Duration
	}{{
		name: "presso's stream",
		in: "retry: 2000\n\nid: 7\ndata: {\"type\":\"snapshot\",\"detail\":{\"orders\":[]}}\n\n: ping\n\nid: 8\ndata: {\"type\":\"OrderManager.MakeOrder\",\n" +
			"data: \"detail\":{\"orderId\":\"o_1\"}}\n\n",
		want:   []msg{{id: "7", typ: "snapshot", detail: `{"orders":[]}`}, {id: "8", typ: "OrderManager.MakeOrder", detail: `{"orderId":"o_1"}`}},
		lastID: "8",
		retry:  2 * time.Second,
	}, {
		name: "every form",
		in: "id: 8\r\ndata:{\"type\":\"crlf\"}\r\n\r\n" +
			"data: {\"type\":\"no-id-of-its-own\"}\n\n" +
			"id\nevent: ignored\nunknown: field\ndata: {\"type\":\"id-cleared\",\"detail\":\"" + long + "\"}\n\n" +
			"id: 10\n\n" +
			"retry: soon\nid: 11\ndata: not json\n\n" +
			"id: 12\ndata: {\"type\":\"after-bad\"}\n\n" +
			"id: 13\ndata: {\"type\":\"cut-off\"}\n",
		want: []msg{
			{id: "8", typ: "crlf"},
			{id: "8", typ: "no-id-of-its-own"},
			{id: "", typ: "id-cleared", detail: fmt.Sprintf("%d bytes", len(long)+2)},
			{err: `sse message "11": invalid character 'o' in literal null (expecting 'u')`},
			{id: "12", typ: "after-bad"},
		},
		lastID: "13",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			var got []msg
			for {
				m, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				g := msg{id: m.ID, typ: m.Type, detail: string(m.Detail)}
				if err != nil {
					g.err = err.Error()
				}
				if len(g.detail) > 100 {
					g.detail = fmt.Sprintf("%d bytes", len(g.detail))
				}
				got = append(got, g)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("messages = %+v\nwant %+v", got, tc.want)
			}
			if r.LastID != tc.lastID || r.Retry != tc.retry {
				t.Errorf("LastID, Retry = %q, %v; want %q, %v", r.LastID, r.Retry, tc.lastID, tc.retry)
			}
		})
	}
}

// TestReaderAllocs: the load generator reads every order event of every
// robot, so a message may cost its decoding and its id, nothing per line.
func TestReaderAllocs(t *testing.T) {
	const data = `{"type":"OrderManager.MakeOrder","detail":{"orderId":"o_1","order":{"id":"o_1","state":"making"}}}`
	src := &repeater{tail: "\ndata: " + data + "\n\n: ping\n\n"}
	r := NewReader(src)
	if _, err := r.Next(); err != nil { // the first message grows r.data
		t.Fatal(err)
	}
	next := testing.AllocsPerRun(1000, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	raw := []byte(data)
	decode := testing.AllocsPerRun(1000, func() {
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("Next: %.1f allocations per message; json.Unmarshal: %.1f", next, decode)
	if next > decode+1 {
		t.Errorf("Next = %.1f allocations per message, want at most json.Unmarshal's %.1f + 1 for the id", next, decode)
	}
}

// repeater is an endless stream of one message with ever new ids, one
// message per Read, allocating nothing once warm.
type repeater struct {
	tail        string
	n           int64
	store, rest []byte
}

func (r *repeater) Read(p []byte) (int, error) {
	if len(r.rest) == 0 {
		r.n++
		r.store = append(strconv.AppendInt(append(r.store[:0], "id: "...), r.n, 10), r.tail...)
		r.rest = r.store
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// TestStreamResume: a dropped connection is resumed with the last id as
// Last-Event-ID, by hand and by Follow; a refused stream is an *Error.
func TestStreamResume(t *testing.T) {
	var mu sync.Mutex
	var asked []string // Last-Event-ID of each connection
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refused" {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"error":{"code":"forbidden","message":"not your bar"}}`)
			return
		}
		mu.Lock()
		asked = append(asked, r.Header.Get("Last-Event-ID"))
		n := len(asked)
		mu.Unlock()
		if r.Header.Get("Accept") != "text/event-stream" {
			w.WriteHeader(406)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 50\n\n")
		// Each connection sends two messages, then the server drops it.
		for i := 2*n - 1; i <= 2*n; i++ {
			fmt.Fprintf(w, "id: %d\ndata: {\"type\":\"t%d\"}\n\n", i, i)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, nil)
	ctx := context.Background()

	if _, err := c.Open(ctx, "/refused", ""); StatusOf(err) != 403 || err.Error() != "403 forbidden: not your bar" {
		t.Errorf("Open(/refused) = %v, want 403 forbidden", err)
	}

	s, err := c.Open(ctx, "/stream", "0")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	next := func() error {
		m, err := s.Next()
		if err == nil {
			ids = append(ids, m.ID+":"+m.Type)
		}
		return err
	}
	for next() == nil {
	}
	if err := s.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	for next() == nil {
	}
	if want := []string{"1:t1", "2:t2", "3:t3", "4:t4"}; !slices.Equal(ids, want) || s.LastID() != "4" {
		t.Errorf("read %v, last id %q; want %v, 4", ids, s.LastID(), want)
	}

	fctx, stop := context.WithCancel(ctx)
	got := make(chan string, 100)
	resumed := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Follow(fctx, func(m Message) { got <- m.ID }, func() { resumed++ })
	}()
	for want := 5; want <= 8; want++ {
		select {
		case id := <-got:
			if id != fmt.Sprint(want) {
				t.Fatalf("Follow gave id %s, want %d", id, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Follow gave no id %d", want)
		}
	}
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"0", "2", "4", "6"}; !slices.Equal(asked[:4], want) {
		t.Errorf("Last-Event-ID per connection = %v, want %v first", asked, want)
	}
	// Follow made the third and fourth connection, and maybe a fifth that
	// stop cut short.
	if resumed < 2 || resumed > len(asked)-2 {
		t.Errorf("resumed %d times over %d connections, want one per reconnection of Follow's", resumed, len(asked))
	}
}
