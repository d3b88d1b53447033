package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"presso/internal/testkit"
	"presso/load"
	"presso/store"
	"presso/store/storetest"
)

// The crash tests run presso as real processes on loopback and kill them
// with SIGKILL, which no in-process test can do.

var build struct {
	once sync.Once
	bin  string
	err  error
	out  []byte
}

// prebuilt builds the presso binary once per test run.
func prebuilt(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "presso-bin")
		if err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(dir, "presso")
		build.out, build.err = exec.Command("go", "build", "-o", build.bin, ".").CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("go build: %v\n%s", build.err, build.out)
	}
	return build.bin
}

// proc is one presso process.
type proc struct {
	cmd  *exec.Cmd
	out  *testkit.Buffer
	URL  string
	done chan struct{}
}

// startProc starts presso with args and waits until it listens.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{out: &testkit.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(p.out.String()); m != nil {
			p.URL = "http://" + m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("presso exited early:\n%s", p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("presso did not start:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM, as systemd would.
func (p *proc) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Errorf("presso did not stop on SIGTERM")
		p.kill()
	}
}

func (p *proc) client(t *testing.T) *client {
	return (&server{URL: p.URL}).client(t)
}

// crashLoad runs "presso load" in this process against url until it ends by
// itself; its output goes to w.
func crashLoad(ctx context.Context, w io.Writer, url string, extra ...string) error {
	args := append([]string{"--url", url, "--barista-think", "50ms", "--baristas", "3", "--cancel-ratio", "0.2",
		"--never-choose", "0.1", "--drain", "1s"}, extra...)
	return load.Run(ctx, args, func(string) string { return "" }, w)
}

// checkInvariants runs the load command's invariant check on dsn.
func checkInvariants(t *testing.T, dsn string) load.Report {
	t.Helper()
	r, err := load.Check(context.Background(), dsn)
	if err != nil {
		t.Fatalf("invariant check: %v", err)
	}
	if !r.OK() {
		for _, v := range r.Violations {
			t.Errorf("invariant violated: %+v", v)
		}
	}
	return r
}

// TestCrashEmbedded kills an embedded presso with SIGKILL at random points
// during load, ten times, restarting it each time on the same data. After
// a last start every order has ended, the invariants hold, and every event
// is on the stream exactly once.
func TestCrashEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	bin := prebuilt(t)
	data, addr, natsAddr := t.TempDir(), testkit.FreeAddr(t), testkit.FreeAddr(t)
	args := []string{"--dev", "--addr", addr, "--data", data, "--sweep-interval", "100ms", "--log-level", "warn", "--nats-listen", natsAddr}
	p := startProc(t, bin, args...)
	admin := p.client(t)
	admin.must(200, "POST", "/api/staff/session", map[string]string{"username": "admin", "password": "admin"}, nil)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 1, "baristaSeconds": 2}}, nil)

	var log testkit.Buffer
	for round := range 10 {
		if round > 0 {
			p = startProc(t, bin, args...)
		}
		ctx, cancel := context.WithCancel(context.Background())
		loaded := make(chan error, 1)
		go func() {
			loaded <- crashLoad(ctx, &log, p.URL, "--setup", "--customers", "400", "--rate", "40", "--duration", "2s")
		}()
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		p.kill()
		cancel()
		<-loaded
	}

	p = startProc(t, bin, args...)
	time.Sleep(3 * time.Second) // every wait of an order cut short by a crash runs out
	dsn := filepath.Join(data, "presso.db")
	r := checkInvariants(t, dsn)
	if r.Orders < 50 {
		t.Fatalf("only %d orders over 10 rounds: the load did not run\n%s", r.Orders, log.String())
	}
	for state, n := range r.States {
		if state != "completed" && state != "cancelled" && state != "timed_out" && n > 0 {
			t.Errorf("%d orders still %s after every deadline passed", n, state)
		}
	}

	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x, err := db.ExportBar(context.Background(), "demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	seen := streamIDs(t, readerURL(t, data, natsAddr))
	for _, e := range x.Events {
		if seen[e.ID] != 1 {
			t.Errorf("event %s (%s) is on the stream %d times, want once", e.ID, e.DetailType, seen[e.ID])
		}
	}
	if len(seen) != len(x.Events) {
		t.Errorf("stream holds %d events, the outbox %d", len(seen), len(x.Events))
	}
	p.stop(t)
	t.Logf("10 crashes: %d orders %v, %d events each on the stream once", r.Orders, r.States, len(x.Events))
	if strings.Contains(p.out.String(), "panic") {
		t.Errorf("presso panicked:\n%s", p.out.String())
	}
}

// startReplicas starts n presso processes on one PostgreSQL database and
// one NATS server, signs an admin in through the first, and sets the demo
// bar's timeouts to 2 s and 3 s with limits that never throttle. The limits
// come first because a code keeps the uses it was created with.
func startReplicas(t *testing.T, n int, dsn string) ([]*proc, *client) {
	t.Helper()
	natsURL := startNATS(t)
	bin := prebuilt(t)
	r := make([]*proc, n)
	for i := range r {
		r[i] = startProc(t, bin, "--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", dsn, "--nats", natsURL,
			"--sweep-interval", "200ms", "--log-level", "warn")
	}
	admin := r[0].client(t)
	admin.must(200, "POST", "/api/staff/session", map[string]string{"username": "admin", "password": "admin"}, nil)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 2, "baristaSeconds": 3},
		"limits": map[string]int{"drinksPerCode": 10000, "windowSeconds": 3600, "maxQueue": 10000, "maxPerCustomer": 1000}}, nil)
	return r, admin
}

// TestCrashReplica runs three replicas on PostgreSQL and NATS and kills one
// with SIGKILL while customers are ordering through it. The survivors
// finish its orders: their baristas complete the chosen ones and their
// sweepers fire the deadlines of the rest within 2 s of due.
func TestCrashReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	dsn := storetest.FreshPostgres(t, storetest.PostgresServer(t))
	r, admin := startReplicas(t, 3, dsn)
	const customerWait, baristaWait = 2 * time.Second, 3 * time.Second

	// Load with robot baristas through replica 1.
	var log testkit.Buffer
	loaded := make(chan error, 1)
	go func() {
		loaded <- crashLoad(context.Background(), &log, r[0].URL, "--customers", "200", "--rate", "40", "--duration", "4s", "--barista-think", "100ms")
	}()
	// Customers of replica 3: half choose a drink, half never do.
	var q struct{ Code string }
	admin.must(200, "GET", "/api/events/demo/qr", nil, &q)
	var viaDead []apiOrder
	for i := range 10 {
		c := r[2].client(t)
		c.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": "via-r3"}, nil)
		var o apiOrder
		c.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": q.Code}, &o)
		if i%2 == 0 {
			c.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "americano"}, &o)
		}
		viaDead = append(viaDead, o)
	}
	time.Sleep(500 * time.Millisecond)
	r[2].kill()
	if err := <-loaded; err != nil {
		t.Fatalf("load: %v\n%s", err, log.String())
	}
	time.Sleep(baristaWait + time.Second)

	late := time.Duration(0)
	for _, o := range viaDead {
		var got apiOrder
		admin.must(200, "GET", "/api/orders/"+o.ID, nil, &got)
		var h struct {
			Transitions []struct {
				At      time.Time
				Trigger string
			}
		}
		admin.must(200, "GET", "/api/orders/"+o.ID+"/history", nil, &h)
		switch got.State {
		case "completed", "cancelled":
		case "timed_out":
			var from time.Time
			wait := customerWait
			for _, tr := range h.Transitions {
				switch tr.Trigger {
				case "redeem":
					from = tr.At
				case "submit":
					from, wait = tr.At, baristaWait
				case "timeout":
					// History times are kept to the millisecond.
					if d := tr.At.Sub(from.Add(wait)); d > late {
						late = d
					}
				}
			}
		default:
			t.Errorf("order %s made via the dead replica is still %s", o.ID, got.State)
		}
	}
	if late > 2*time.Second {
		t.Errorf("a deadline of the dead replica's orders fired %v late, want within 2 s", late)
	}
	rep := checkInvariants(t, dsn)
	t.Logf("replica 3 killed: %d orders %v; its deadlines fired at most %v late", rep.Orders, rep.States, late)
}

// TestPostgresRestart restarts PostgreSQL under load: requests caught by
// the restart fail cleanly with 503, the replicas reconnect by themselves,
// and nothing is lost. The server restarted is one of its own, so the
// other packages' tests, which run meanwhile on the shared one, are not
// cut off.
func TestPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	storetest.PostgresServer(t) // skips, or fails under PRESSO_REQUIRE_ALL, where there is none
	if os.Getenv("PRESSO_PG_DATA") == "" {
		if requireAll() {
			t.Fatal("PRESSO_PG_DATA is not set: start PostgreSQL with .ci/postgres.sh so the test can start one of its own")
		}
		t.Skip("PRESSO_PG_DATA is not set: this test starts a server of its own with .ci/postgres.sh")
	}
	dsn, restartPostgres := ownPostgres(t)
	r, admin := startReplicas(t, 2, dsn)

	// Robots through replica 1; through replica 2, customers whose every
	// answer is recorded.
	var log testkit.Buffer
	loaded := make(chan error, 1)
	go func() {
		loaded <- crashLoad(context.Background(), &log, r[0].URL, "--customers", "300", "--rate", "40", "--duration", "4s")
	}()
	ctx, stop := context.WithCancel(context.Background())
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			c := r[1].client(t)
			st := c.do("POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": "direct"}, nil)
			if st == 200 {
				var q struct{ Code string }
				if st = admin.do("GET", "/api/events/demo/qr", nil, &q); st == 200 {
					var o apiOrder
					if st = c.do("POST", "/api/events/demo/orders", map[string]string{"code": q.Code}, &o); st == 201 {
						st = c.do("PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "americano"}, nil)
					}
				}
			}
			mu.Lock()
			statuses[st]++
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	restartPostgres()
	if err := <-loaded; err != nil {
		t.Fatalf("load: %v\n%s", err, log.String())
	}
	stop()
	wg.Wait()
	eventually(t, 10*time.Second, "both replicas ready again", func() bool {
		for _, p := range r {
			if p.client(t).do("GET", "/readyz", nil, nil) != 200 {
				return false
			}
		}
		return true
	})
	for st, n := range statuses {
		if st != 200 && st != 201 && st != 503 {
			t.Errorf("%d requests answered %d during the restart; want only successes and 503", n, st)
		}
	}
	if statuses[200]+statuses[201] == 0 {
		t.Fatalf("no request succeeded: %v", statuses)
	}
	if !strings.Contains(log.String(), "errors: none") && strings.Contains(log.String(), " 500 ") {
		t.Errorf("the load saw internal errors:\n%s", log.String())
	}
	time.Sleep(4 * time.Second) // orders cut short by the restart run out their waits
	rep := checkInvariants(t, dsn)
	t.Logf("PostgreSQL restarted under load: %d orders %v; direct requests answered %v", rep.Orders, rep.States, statuses)
}

// ownPostgres starts a PostgreSQL server for one test with .ci/postgres.sh
// (in a directory of its own, on a port of its own), stopped when the test
// ends. It returns the server's URL and a function that restarts it.
func ownPostgres(t *testing.T) (string, func()) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("presso-pg-own-%d-%d", os.Getpid(), time.Now().UnixNano()))
	script := func(cmd string) string {
		c := exec.Command("bash", "../../.ci/postgres.sh", cmd)
		c.Env = append(os.Environ(), "PRESSO_PG_DIR="+dir, "PRESSO_PG_DATA="+filepath.Join(dir, "data"))
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf(".ci/postgres.sh %s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { script("stop") })
	m := regexp.MustCompile(`PRESSO_TEST_POSTGRES_URL='([^']+)'`).FindStringSubmatch(script("start"))
	if m == nil {
		t.Fatal(".ci/postgres.sh start printed no PRESSO_TEST_POSTGRES_URL")
	}
	return m[1], func() { script("restart") }
}
