package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	api "presso/client"
	"presso/internal/testkit"
)

// requireAll reports whether skips must become failures (CI).
func requireAll() bool { return os.Getenv("PRESSO_REQUIRE_ALL") == "1" }

// server is a presso started through run, as main does, on a free port.
type server struct {
	URL    string
	Data   string
	cancel context.CancelFunc
	done   chan error
	out    *testkit.Buffer
}

var listening = regexp.MustCompile(`presso is running on (\S+) `)

// startNATSListener is startServer with the embedded NATS also serving
// clients on a free loopback address, which it returns.
func startNATSListener(t testing.TB, dataDir string) (*server, string) {
	t.Helper()
	natsAddr := testkit.FreeAddr(t)
	return startServer(t, dataDir, "--nats-listen", natsAddr), natsAddr
}

// startServer runs presso with --dev on 127.0.0.1:0 in a temp data dir
// (or dataDir, to restart on the same data) plus extra args, and stops it
// when the test ends.
func startServer(t testing.TB, dataDir string, args ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{Data: dataDir, cancel: cancel, done: make(chan error, 1), out: &testkit.Buffer{}}
	all := append([]string{"--dev", "--addr", "127.0.0.1:0", "--data", dataDir, "--sweep-interval", "50ms", "--log-level", "warn"}, args...)
	go func() { s.done <- run(ctx, all, func(string) string { return "" }, s.out) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(s.out.String()); m != nil {
			s.URL = "http://" + m[1]
			break
		}
		select {
		case err := <-s.done:
			t.Fatalf("run exited early: %v\n%s", err, s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", s.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down as SIGINT would and waits for run to return.
func (s *server) Stop(t testing.TB) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("run did not return after cancel")
	}
}

// client is one browser-like user: it keeps its own cookies.
type client struct {
	t   testing.TB
	api *api.Client
}

func (s *server) client(t testing.TB) *client {
	return &client{t: t, api: api.New(s.URL, nil)}
}

// do sends a request with an optional JSON body (a string is sent as it
// is) and decodes a JSON answer into out (if not nil). It returns the
// status.
func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	status, data, err := c.api.Do(context.Background(), method, path, r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return status
}

// must is do, failing the test unless the status is want.
func (c *client) must(want int, method, path string, body any, out any) {
	c.t.Helper()
	var raw json.RawMessage
	if got := c.do(method, path, body, &raw); got != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

// staff signs in a staff account.
func (s *server) staff(t testing.TB, username, password string) *client {
	t.Helper()
	c := s.client(t)
	c.must(200, "POST", "/api/staff/session", map[string]string{"username": username, "password": password}, nil)
	return c
}

// customer signs in a customer of the demo bar by name.
func (s *server) customer(t testing.TB, name string) *client {
	t.Helper()
	c := s.client(t)
	c.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": name}, nil)
	return c
}

// apiOrder is the order JSON as clients see it.
type apiOrder struct {
	ID       string `json:"id"`
	EventID  string `json:"eventId"`
	UserID   string `json:"userId"`
	State    string `json:"state"`
	Cause    string `json:"cause"`
	Number   int64  `json:"number"`
	Position int    `json:"position"`
	Drink    *struct {
		ID        string `json:"id"`
		Modifiers []struct {
			Group, Option string
		} `json:"modifiers"`
	} `json:"drink"`
	BaristaID string     `json:"baristaId"`
	Deadline  *time.Time `json:"deadline"`
}

// code returns the bar's current QR code, read by an admin.
func (s *server) code(t testing.TB, admin *client, event string) string {
	t.Helper()
	var q struct{ Code string }
	admin.must(200, "GET", "/api/events/"+event+"/qr", nil, &q)
	return q.Code
}

// sseEvent is one message read from an SSE stream.
type sseEvent struct {
	ID     string
	Type   string
	Detail map[string]any
}

// sse is an open SSE connection whose messages arrive on C.
type sse struct {
	C      chan sseEvent
	cancel context.CancelFunc
}

// openSSE connects c to path, sending lastID as Last-Event-ID if set.
// Its messages arrive on C until the connection ends; it does not
// reconnect.
func (c *client) openSSE(path, lastID string) *sse {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.api.Open(ctx, path, lastID)
	if err != nil {
		cancel()
		c.t.Fatalf("open %s: %v", path, err)
	}
	s := &sse{C: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer st.Close()
		defer close(s.C)
		for {
			m, err := st.Next()
			if err != nil {
				return
			}
			select {
			case s.C <- eventOf(m):
			case <-ctx.Done():
				return
			}
		}
	}()
	c.t.Cleanup(cancel)
	return s
}

// eventOf is m with its detail decoded for the tests to pick at.
func eventOf(m api.Message) sseEvent {
	ev := sseEvent{ID: m.ID, Type: m.Type}
	json.Unmarshal(m.Detail, &ev.Detail)
	return ev
}

// next waits for the next message, failing after timeout.
func (s *sse) next(t testing.TB, timeout time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.C:
		if !ok {
			t.Fatalf("stream closed")
		}
		return ev
	case <-time.After(timeout):
		t.Fatalf("no event within %v", timeout)
	}
	return sseEvent{}
}

// types collects the next n message types.
func (s *sse) types(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, s.next(t, 5*time.Second).Type)
	}
	return out
}

func (s *sse) close() { s.cancel() }

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamTypes reads every event on the server's JetStream stream through
// the embedded server's client port (an address, or a URL with a user) and
// returns their detail types.
func streamTypes(t testing.TB, natsAddr string) []string {
	t.Helper()
	nc, err := nats.Connect(natsURL(natsAddr))
	if err != nil {
		t.Fatalf("connect nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := js.Stream(ctx, "PRESSO")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		var env struct{ DetailType, ID string }
		json.Unmarshal(m.Data, &env)
		if got := m.Header.Get("Nats-Msg-Id"); got != env.ID {
			t.Errorf("message %d: Nats-Msg-Id %q, want the event id %q", seq, got, env.ID)
		}
		if want := "presso.demo." + env.DetailType; m.Subject != want && strings.HasPrefix(m.Subject, "presso.demo.") {
			t.Errorf("message %d: subject %q, want %q", seq, m.Subject, want)
		}
		types = append(types, env.DetailType)
	}
	return types
}
