package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	api "presso/client"
	"presso/internal/testkit"
)

// The attacks of issue 8, each on loopback, bounded in time and count.
// One attacker is one loopback address (127.0.0.2 and on: Linux routes
// all of 127/8 to lo); the real users come from 127.0.0.1.

// clientFrom is a browser-like client whose connections come from ip.
func (s *server) clientFrom(t testing.TB, ip string) *client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &client{t: t, api: api.New(s.URL, &http.Transport{DialContext: d.DialContext})}
}

// customerFrom signs a customer of the demo bar in by name from ip.
func (s *server) customerFrom(t testing.TB, name, ip string) *client {
	t.Helper()
	c := s.clientFrom(t, ip)
	c.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": name}, nil)
	return c
}

// emailCustomer signs a customer in by e-mail code (the dev server
// answers with the code): such a session is bound to no bar.
func (s *server) emailCustomer(t testing.TB, email string) *client {
	t.Helper()
	c := s.client(t)
	var sent struct{ DevCode string }
	c.must(202, "POST", "/api/customer/code", map[string]string{"email": email}, &sent)
	c.must(200, "POST", "/api/customer/session", map[string]string{"email": email, "code": sent.DevCode}, nil)
	return c
}

// child is presso run by this test binary as a child process (see
// TestAttackChildServer), with an open-file limit of its own.
type child struct {
	URL string
	cmd *exec.Cmd
	out *testkit.Buffer
}

// startChild runs presso in a child process whose open-file limit (soft
// and hard) is nofile, with --dev on 127.0.0.1:0 and args.
func startChild(t *testing.T, nofile int, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttackChildServer$")
	all := append([]string{"--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "info"}, args...)
	cmd.Env = append(os.Environ(), "PRESSO_ATTACK_CHILD="+strings.Join(all, "\x1f"), fmt.Sprintf("PRESSO_ATTACK_NOFILE=%d", nofile))
	c := &child{cmd: cmd, out: &testkit.Buffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(c.out.String()); m != nil {
			c.URL = "http://" + m[1]
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("child server did not start:\n%s", c.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAttackChildServer is the child of startChild: it lowers its own
// open-file limit, then runs presso until SIGTERM. Run directly, it skips.
func TestAttackChildServer(t *testing.T) {
	spec := os.Getenv("PRESSO_ATTACK_CHILD")
	if spec == "" {
		t.Skip("runs only as the child of an attack test")
	}
	var nofile uint64
	fmt.Sscan(os.Getenv("PRESSO_ATTACK_NOFILE"), &nofile)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: nofile, Max: nofile}); err != nil {
		t.Fatalf("lower the open-file limit: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := run(ctx, strings.Split(spec, "\x1f"), func(string) string { return "" }, os.Stdout); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// rawConns opens n connections from ip to the server at url, each sending
// head (and then, every `every`, one more body byte) and records when each
// got its first answer byte or was closed. Closed at once means within
// 500 ms of being opened.
type rawConns struct {
	conns  []net.Conn
	ended  []atomic.Int64 // unix nanos of the first answer byte or close; 0 while open
	answer []string       // the first line of an answer, if there was one
	opened time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
}

func openRaw(t *testing.T, url, ip string, n int, head string, every time.Duration) *rawConns {
	t.Helper()
	addr := strings.TrimPrefix(url, "http://")
	r := &rawConns{conns: make([]net.Conn, n), ended: make([]atomic.Int64, n), answer: make([]string, n), opened: time.Now(), stop: make(chan struct{})}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	for i := range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d from %s: %v", i, ip, err)
		}
		r.conns[i] = c
		c.Write([]byte(head))
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			line, _ := bufio.NewReader(c).ReadString('\n')
			r.answer[i] = strings.TrimSpace(line)
			r.ended[i].Store(time.Now().UnixNano())
		}()
		if every > 0 {
			go func() {
				tick := time.NewTicker(every)
				defer tick.Stop()
				for {
					select {
					case <-r.stop:
						return
					case <-tick.C:
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
		}
	}
	t.Cleanup(r.close)
	return r
}

// count is how many connections had ended by the time given, and with
// which first answer line ("" for a close without one).
func (r *rawConns) count(by time.Time) (open int, ended map[string]int) {
	ended = map[string]int{}
	for i := range r.conns {
		at := r.ended[i].Load()
		if at == 0 || at > by.UnixNano() {
			open++
			continue
		}
		ended[r.answer[i]]++
	}
	return open, ended
}

func (r *rawConns) close() {
	select {
	case <-r.stop:
		return
	default:
	}
	close(r.stop)
	for _, c := range r.conns {
		if c != nil {
			c.Close()
		}
	}
	r.wg.Wait()
}

// realRequests is how many of n real requests from 127.0.0.1 are
// answered 200 within 3 s each.
func realRequests(url string, n int) int {
	ok := 0
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range n {
		resp, err := hc.Get(url + "/api/events/demo")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ok++
			}
		}
	}
	return ok
}

// TestAttackSlowBodies (item 3): with the server's open-file limit at
// 1,024, one address opens 1,500 sign-ins whose bodies trickle in a byte
// every 5 s. Before: every connection was held (3,000 stayed open for
// 90 s), descriptors ran out, and 0 of 5 real requests were answered.
// Now 256 are held (the per-address cap), the other 1,244 are closed at
// once, 5 of 5 real requests are answered, and the held ones are cut at
// --read-timeout (3 s here) with a 400.
func TestAttackSlowBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,500 connections")
	}
	srv := startChild(t, 1024, "--read-timeout", "3s")
	if !strings.Contains(srv.out.String(), "openFiles=1024") || !strings.Contains(srv.out.String(), "conns=768") {
		t.Fatalf("the child's log does not show the 1,024 file limit and its 768 connections cap:\n%s", srv.out.String())
	}
	head := "POST /api/staff/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
	slow := openRaw(t, srv.URL, "127.0.0.2", 1500, head, 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	open, ended := slow.count(time.Now())
	if open != 256 || ended[""] != 1244 {
		t.Fatalf("after 0.5 s: %d slow bodies held, ended %v; want 256 held and 1,244 closed without an answer", open, ended)
	}
	if got := realRequests(srv.URL, 5); got != 5 {
		t.Fatalf("%d of 5 real requests answered during the attack, want 5", got)
	}
	// The held ones end at the read deadline, answered 400.
	time.Sleep(time.Until(slow.opened.Add(3*time.Second + 1500*time.Millisecond)))
	open, ended = slow.count(time.Now())
	if open != 0 || ended["HTTP/1.1 400 Bad Request"] != 256 {
		t.Fatalf("4.5 s on: %d slow bodies still held, ended %v; want 0 held and 256 answered 400", open, ended)
	}
	t.Logf("held 256, closed at once 1,244, real requests 5/5; the held cut at the 3 s read deadline")
}

// TestAttackIdleStreams (item 3): 3,000 idle anonymous SSE connections
// from one address. Before: all 3,000 were accepted and held. Now 256
// connections are held, 64 of them get a stream (the per-address stream
// cap) and 192 a 429; the other 2,744 are closed at once; a real
// customer's stream and request still work.
func TestAttackIdleStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 3,000 connections")
	}
	srv := startChild(t, 1024)
	head := "GET /api/events/demo/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
	idle := openRaw(t, srv.URL, "127.0.0.3", 3000, head, 0)
	eventually(t, 10*time.Second, "every stream answered or refused", func() bool {
		open, ended := idle.count(time.Now())
		return open == 0 && ended["HTTP/1.1 200 OK"]+ended["HTTP/1.1 429 Too Many Requests"]+ended[""] == 3000
	})
	_, ended := idle.count(time.Now())
	if ended["HTTP/1.1 200 OK"] != 64 || ended["HTTP/1.1 429 Too Many Requests"] != 192 || ended[""] != 2744 {
		t.Fatalf("3,000 idle streams: %v; want 64 × 200, 192 × 429 and 2,744 closed", ended)
	}
	s := &server{URL: srv.URL}
	ann := s.customerFrom(t, "Ann", "127.0.0.1")
	mine := ann.openSSE("/api/me/stream", "")
	if ev := mine.next(t, 5*time.Second); ev.Type != "snapshot" {
		t.Fatalf("a real customer's stream began with %q, want a snapshot", ev.Type)
	}
	if got := realRequests(srv.URL, 5); got != 5 {
		t.Fatalf("%d of 5 real requests answered, want 5", got)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestAttackOversizedSignIns (item 4): 400 staff sign-ins with 250 KB
// usernames. Before, each username became a limiter key kept for good:
// 1,380 of them took the server from 105 to 945 MiB (about 0.6 MiB each,
// so 400 would add some 240 MiB). Now a username over 32 characters is
// refused before it is a key, and the heap stays within 50 MB of where it
// started.
func TestAttackOversizedSignIns(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100 MB")
	}
	// The per-address limit would stop most of them first: lift it, as
	// 2,000 addresses would.
	s := startServer(t, "", "--signin-rate", "1000000")
	const oversized = 400
	before := heapInUse()
	pad := strings.Repeat("a", 250<<10)
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := range 8 {
		c := s.client(t)
		wg.Go(func() {
			for i := w; i < oversized; i += 8 {
				body := fmt.Sprintf(`{"username":"%d%s","password":"x"}`, i, pad) // each a name of its own
				if st := c.do("POST", "/api/staff/session", body, nil); st == 401 {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	after := heapInUse()
	grown := int64(after) - int64(before)
	t.Logf("heap in use %d MiB before, %d MiB after %d oversized sign-ins", before>>20, after>>20, oversized)
	if refused.Load() != oversized {
		t.Fatalf("%d of %d oversized sign-ins refused 401, want all", refused.Load(), oversized)
	}
	if grown > 50<<20 {
		t.Fatalf("the heap grew by %d MiB, want at most 50 MB", grown>>20)
	}
}

// TestAttackNameOrders (item 5): one photographed QR code, fresh name
// sign-ins and one address. Before, they took all 10 uses of the window
// in 0.05 s. Now one address starts at most 5 (half the code's uses) and
// the rest are 429; another address still gets the other 5. A session
// signed in by name at one bar cannot order at another (before, it
// ordered at a bar that signs in by e-mail code).
func TestAttackNameOrders(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	admin.must(201, "POST", "/api/events", map[string]any{"id": "conf", "name": "Conference bar", "open": true}, nil)
	code := s.code(t, admin, "demo")
	var robots []*client
	for i := range 10 {
		robots = append(robots, s.customerFrom(t, fmt.Sprintf("Robot %d", i), "127.0.0.5"))
	}
	statuses := make([]int, len(robots))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range robots {
		wg.Go(func() { statuses[i] = c.do("POST", "/api/events/demo/orders", map[string]string{"code": code}, nil) })
	}
	wg.Wait()
	took := time.Since(start)
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[201] != 5 || count[429] != 5 {
		t.Fatalf("10 starts from one address with one code = %v, want 5 × 201 and 5 × 429", count)
	}
	t.Logf("one address with one code: %v in %v", count, took)
	for i := range 5 {
		s.customerFrom(t, fmt.Sprintf("Other %d", i), "127.0.0.6").must(201, "POST", "/api/events/demo/orders", map[string]string{"code": code}, nil)
	}
	var q struct{ Remaining int }
	admin.must(200, "GET", "/api/events/demo/qr", nil, &q)
	if q.Remaining != 0 {
		t.Fatalf("remaining = %d, want 0", q.Remaining)
	}

	// A name session orders at its own bar only.
	ann := s.customerFrom(t, "Ann", "127.0.0.7")
	var out struct {
		Error struct{ Code, Message string }
	}
	if st := ann.do("POST", "/api/events/conf/orders", map[string]string{"code": s.code(t, admin, "conf")}, &out); st != 403 ||
		out.Error.Code != "forbidden" || out.Error.Message != "you signed in by name at another bar: sign in at Conference bar to order here" {
		t.Fatalf("a name session of demo ordering at conf = %d %+v, want 403 forbidden naming the bar", st, out)
	}
	var me struct{ EventID string }
	ann.must(200, "GET", "/api/me", nil, &me)
	if me.EventID != "demo" {
		t.Fatalf("a name session's eventId = %q, want demo", me.EventID)
	}
}

// TestAttackEmailCodes (item 6), over HTTP: an attacker asking for a
// code for the victim's address leaves the victim's code valid (before,
// it replaced it); wrong guesses count across codes (before, each new
// code reset them), so after five even the right new code waits 30 s;
// an address gets 3 codes an hour, then 429.
func TestAttackEmailCodes(t *testing.T) {
	s := startServer(t, "")
	victim, attacker := s.client(t), s.clientFrom(t, "127.0.0.8")
	var sent struct{ DevCode string }
	victim.must(202, "POST", "/api/customer/code", map[string]string{"email": "ann@example.com"}, &sent)
	mine := sent.DevCode
	attacker.must(202, "POST", "/api/customer/code", map[string]string{"email": "ann@example.com"}, nil)
	victim.must(200, "POST", "/api/customer/session", map[string]string{"email": "ann@example.com", "code": mine}, nil)

	const bob = "bob@example.com"
	var out struct {
		Error struct {
			Code    string
			RetryAt time.Time
		}
	}
	attacker.must(202, "POST", "/api/customer/code", map[string]string{"email": bob}, nil)
	for range 3 {
		attacker.must(400, "POST", "/api/customer/session", map[string]string{"email": bob, "code": "000000x"}, nil)
	}
	attacker.must(202, "POST", "/api/customer/code", map[string]string{"email": bob}, &sent)
	for range 2 {
		attacker.must(400, "POST", "/api/customer/session", map[string]string{"email": bob, "code": "000000x"}, nil)
	}
	st := attacker.do("POST", "/api/customer/session", map[string]string{"email": bob, "code": sent.DevCode}, &out)
	if wait := time.Until(out.Error.RetryAt); st != 429 || out.Error.Code != "rate_limited" || wait < 28*time.Second || wait > 30*time.Second {
		t.Fatalf("the right new code after 5 wrong guesses = %d %+v (in %v), want 429 rate_limited for 30 s", st, out, wait)
	}
	attacker.must(202, "POST", "/api/customer/code", map[string]string{"email": bob}, nil)
	if st := attacker.do("POST", "/api/customer/code", map[string]string{"email": bob}, &out); st != 429 || out.Error.Code != "rate_limited" {
		t.Fatalf("4th code of the hour = %d %+v, want 429 rate_limited", st, out)
	}
}

// TestAttackBehindProxy (item 7): behind a trusted proxy, limits count
// the address it forwards for. Before, everyone shared the proxy's
// address: ten bad guesses locked the real admin out for a minute. Now
// an attacker's guesses from one forwarded address do not touch the
// admin's, the account's own back-off makes the sixth attempt wait 1 s
// from anywhere, and the admin gets in once it is over. Without
// --trusted-proxies, X-Forwarded-For changes nothing.
func TestAttackBehindProxy(t *testing.T) {
	s := startServer(t, "", "--trusted-proxies", "127.0.0.1/32", "--signin-rate", "10")
	signIn := func(xff, password string) int {
		req, _ := http.NewRequest("POST", s.URL+"/api/staff/session", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// --signin-rate 10: 2 staff sign-ins a minute per address.
	var got []int
	for range 3 {
		got = append(got, signIn("198.51.100.1, 203.0.113.9", "guess"))
	}
	got = append(got, signIn("203.0.113.10", "guess"), signIn("203.0.113.10", "guess"), signIn("203.0.113.11", "guess"))
	got = append(got, signIn("192.0.2.7", "admin")) // the admin: the account waits 1 s after 5 failures
	time.Sleep(1100 * time.Millisecond)
	got = append(got, signIn("192.0.2.7", "admin"))
	if fmt.Sprint(got) != "[401 401 429 401 401 401 429 200]" {
		t.Fatalf("sign-ins behind the proxy = %v, want [401 401 429 401 401 401 429 200]", got)
	}

	plain := startServer(t, "", "--signin-rate", "10")
	s = plain
	got = got[:0]
	for i := range 3 {
		got = append(got, signIn(fmt.Sprintf("203.0.113.%d", i), "guess"))
	}
	if fmt.Sprint(got) != "[401 401 429]" {
		t.Fatalf("spoofed X-Forwarded-For without trusted proxies = %v, want [401 401 429]", got)
	}
}

// TestAttackRevocation (item 8): a signed-out session's streams end at
// once. Before, a customer's stream kept delivering their order events
// and a barista's board kept showing new orders after sign-out. Now the
// customer's stream and the board end within 1 s, and DELETE
// /api/me/sessions ends every session and stream of a staff account.
func TestAttackRevocation(t *testing.T) {
	s := startServer(t, "")
	ann := s.customer(t, "Ann")
	mine := ann.openSSE("/api/me/stream", "")
	mine.next(t, 5*time.Second)
	barista := s.staff(t, "barista", "barista")
	board := barista.openSSE("/api/events/demo/stream", "")
	board.next(t, 5*time.Second)
	phone := s.staff(t, "barista", "barista") // the same account on a second device
	phoneBoard := phone.openSSE("/api/events/demo/stream", "")
	phoneBoard.next(t, 5*time.Second)

	ended := func(st *sse, who string) {
		t.Helper()
		deadline := time.After(time.Second)
		for {
			select {
			case _, ok := <-st.C:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatalf("%s's stream still open 1 s after the sign-out", who)
			}
		}
	}
	ann.must(204, "DELETE", "/api/session", nil, nil)
	ended(mine, "the customer")

	barista.must(204, "DELETE", "/api/me/sessions", nil, nil)
	ended(board, "the barista")
	ended(phoneBoard, "the barista's second device")
	for _, c := range []*client{barista, phone} {
		if st := c.do("GET", "/api/me", nil, nil); st != 401 {
			t.Fatalf("a session after DELETE /api/me/sessions: GET /api/me = %d, want 401", st)
		}
	}
	var out struct{ Error struct{ Code string } }
	if st := s.customer(t, "Bob").do("DELETE", "/api/me/sessions", nil, &out); st != 403 || out.Error.Code != "forbidden" {
		t.Fatalf("a customer's DELETE /api/me/sessions = %d %+v, want 403 forbidden", st, out)
	}
}

// TestAttackSmallerOnes (item 10): board spoofing through names, 50 KB of
// headers, nosniff, the staff exemption at other bars, and the field a
// type error inside modifiers names.
func TestAttackSmallerOnes(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	var out struct{ Error struct{ Code, Field string } }
	for _, name := range []string{"Ann\nBarista says: free coffee", "Ann\u202eeeffoc", "\u200b\u200d", " \t "} {
		if st := s.client(t).do("POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": name}, &out); st != 400 || out.Error.Field != "name" {
			t.Errorf("name %q = %d %+v, want 400 naming name", name, st, out)
		}
	}

	// Headers: Go's default accepted 1 MB; now 16 KB.
	req, _ := http.NewRequest("GET", s.URL+"/api/events", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 50<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 431 {
		t.Errorf("50 KB of headers = %d, want 431", resp.StatusCode)
	}

	// nosniff on every kind of answer.
	for _, path := range []string{"/api/events", "/api/nope", "/", "/order/demo", "/healthz"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
	}

	// A barista of another bar is a customer at this one: limited.
	admin.must(201, "POST", "/api/events", map[string]any{"id": "other", "name": "Other bar", "signInMode": "name", "open": true}, nil)
	admin.must(201, "POST", "/api/staff", map[string]string{"username": "bea", "password": "long-secret-1", "role": "barista", "eventId": "other"}, nil)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 100, "windowSeconds": 300, "maxQueue": 100, "maxPerCustomer": 1}}, nil)
	admin.must(200, "PATCH", "/api/events/other", map[string]any{"limits": map[string]int{"drinksPerCode": 100, "windowSeconds": 300, "maxQueue": 100, "maxPerCustomer": 1}}, nil)
	bea := s.staff(t, "bea", "long-secret-1")
	bea.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, nil)
	if st := bea.do("POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &out); st != 429 || out.Error.Code != "limit_reached" {
		t.Errorf("a barista's second order at another bar = %d %+v, want 429 limit_reached", st, out)
	}
	for range 3 {
		bea.must(201, "POST", "/api/events/other/orders", map[string]string{"code": s.code(t, admin, "other")}, nil)
	}

	// modifiers.milk, not modifiers.
	var o apiOrder
	ann := s.customer(t, "Ann")
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	if st := ann.do("PUT", "/api/orders/"+o.ID+"/drink", `{"drink":"flat-white","modifiers":{"milk":1}}`, &out); st != 400 || out.Error.Field != "modifiers.milk" {
		t.Errorf("a number as the milk = %d %+v, want 400 naming modifiers.milk", st, out)
	}
}

// TestAttackNosniffStream: the SSE answer carries nosniff too.
func TestAttackNosniffStream(t *testing.T) {
	s := startServer(t, "")
	req, _ := http.NewRequest("GET", s.URL+"/api/events/demo/stream", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("stream = %d, X-Content-Type-Options %q; want 200 with nosniff", resp.StatusCode, resp.Header.Get("X-Content-Type-Options"))
	}
}
