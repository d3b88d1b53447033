package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/client"
)

func TestLoadPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: summarize sorts
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	d := summarize(hundred)
	want := dist{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if d != want {
		t.Errorf("summarize(1..100ms) = %+v, want %+v", d, want)
	}

	ten := []time.Duration{7, 1, 9, 3, 5, 2, 10, 4, 8, 6}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {10, 1}, {11, 2}, {50, 5}, {51, 6}, {90, 9}, {95, 10}, {99, 10}, {100, 10}} {
		d := summarize(ten)
		sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		if got := percentile(sorted, c.p); got != c.want {
			t.Errorf("percentile(1..10, %v) = %v, want %v", c.p, got, c.want)
		}
		if d.Max != 10 || d.N != 10 {
			t.Errorf("summarize(1..10) = %+v", d)
		}
	}

	if got := summarize(nil); got != (dist{}) {
		t.Errorf("summarize(nil) = %+v, want zeros", got)
	}
	if got := summarize([]time.Duration{42}); got != (dist{N: 1, P50: 42, P95: 42, P99: 42, Max: 42}) {
		t.Errorf("summarize(one) = %+v", got)
	}
}

func TestLoadSummaryCounts(t *testing.T) {
	s := newStats()
	s.add(func(c *counts) { c.customers, c.started, c.refused = 5, 4, 1 })
	s.sentComplete("o_1", time.Unix(100, 0))
	s.ended("o_1", presso.StateCompleted, time.Unix(100, 0).Add(7*time.Millisecond), heardOnPhone)
	s.ended("o_2", presso.StateCancelled, time.Now(), heardOnPhone)
	s.ended("o_3", presso.StateTimedOut, time.Now(), heardByAsking)
	// Heard from the board: counted, but not timed as the phone's latency.
	s.add(func(c *counts) { c.customers, c.started, c.watchers = 6, 5, 4 })
	s.sentComplete("o_4", time.Unix(100, 0))
	s.ended("o_4", presso.StateCompleted, time.Unix(100, 0).Add(time.Second), heardOnBoard)
	s.add(func(c *counts) { c.finishedInArrivals = 3 })
	s.add(func(c *counts) { c.unfinished++ })
	s.fail(routeScan, &client.Error{Status: 409, Code: presso.CodeSoldOut})
	s.fail(routeScan, &client.Error{Status: 409, Code: presso.CodeSoldOut})
	s.fail(routeDrink, &client.Error{Message: "connection refused"})

	c, errs := s.snapshot()
	if c.inFlight() != 0 || c.finished() != 4 || c.sseMissed != 1 || c.heardOnBoard != 1 {
		t.Errorf("counts = %+v: in flight %d, finished %d", c, c.inFlight(), c.finished())
	}
	if errs["POST /api/events/{bar}/orders 409 sold_out"] != 2 || errs["PUT /api/orders/{id}/drink network"] != 1 {
		t.Errorf("errors = %v", errs)
	}
	var b bytes.Buffer
	s.writeSummary(&b, time.Second, 2*time.Second)
	out := strings.Join(strings.Fields(b.String()), " ")
	containsAll(t, "summary", out,
		"orders: started=5 completed=2 cancelled=1 timed_out=1 unfinished=1 refused=1 sign_in_failed=0 customers=6",
		"throughput: 5.0 orders/s started over 1.0s of arrivals, 2.0 orders/s finished over 2.0s",
		"during arrivals: finished=3 over 1.0s, 3.0 orders/s",
		"complete → customer sees ready 1 7.0ms 7.0ms 7.0ms 7.0ms",
		"sampled: complete → customer sees ready is timed on the 4 of 6 customers who watched their own stream; 1 heard of their order's end from the board stream",
		"scan → menu 0 - - - -",
		"errors: 3 2 POST /api/events/{bar}/orders 409 sold_out",
	)
}

// containsAll checks that text (named what in the messages) contains each
// of wants.
func containsAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

func TestLoadFlags(t *testing.T) {
	getenv := func(string) string { return "" }
	o, err := parseFlags(nil, getenv, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if o.url != "http://127.0.0.1:8080" || len(o.bars) != 1 || o.bars[0] != "demo" || o.admin != "admin" || o.adminPassword != "admin" || o.db != "" {
		t.Errorf("defaults = %+v", o)
	}
	o, err = parseFlags([]string{"--data", "/srv/presso", "--bars", "demo, other"}, getenv, &bytes.Buffer{})
	if err != nil || o.db != "/srv/presso/presso.db" || len(o.bars) != 2 || o.bars[1] != "other" {
		t.Errorf("--data, --bars: %+v, %v", o, err)
	}
	o, err = parseFlags([]string{"--url", "http://127.0.0.1:8081/, http://127.0.0.1:8082"}, getenv, &bytes.Buffer{})
	if err != nil || o.url != "http://127.0.0.1:8081" || len(o.urls) != 2 || o.urls[1] != "http://127.0.0.1:8082" {
		t.Errorf("two replicas: %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"--url", "http://127.0.0.1:8081,http://10.0.0.5:8080"}, getenv, &bytes.Buffer{}); err == nil {
		t.Errorf("a non-loopback replica in the list was accepted")
	}
	o, err = parseFlags([]string{"--demo"}, getenv, &bytes.Buffer{})
	if err != nil || o.rate != 0.2 || o.think != 20*time.Second || o.chooseDelay != 5*time.Second || o.duration < 24*time.Hour {
		t.Errorf("--demo: %+v, %v", o, err)
	}
	for _, ok := range []string{"http://localhost:8080", "http://LOCALHOST", "http://127.0.0.1:1", "http://127.1.2.3:8080/", "http://[::1]:8080", "https://localhost"} {
		if _, err := parseFlags([]string{"--url", ok}, getenv, &bytes.Buffer{}); err != nil {
			t.Errorf("--url %s: %v", ok, err)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://example.com"}, `refusing host "example.com"`},
		{[]string{"--url", "http://10.0.0.1:8080"}, `refusing host "10.0.0.1"`},
		{[]string{"--url", "http://192.168.1.20:8080"}, "only targets this machine"},
		{[]string{"--url", "http://localhost.example.com"}, `refusing host "localhost.example.com"`},
		{[]string{"--url", "http://0.0.0.0:8080"}, `refusing host "0.0.0.0"`},
		{[]string{"--url", "http://[::]:8080"}, `refusing host "::"`},
		{[]string{"--url", "http://127.0.0.1.nip.io"}, "refusing host"},
		{[]string{"--url", "ftp://127.0.0.1"}, "give a base URL"},
		{[]string{"--url", "127.0.0.1:8080"}, "give a base URL"},
		{[]string{"--url", "http://127.0.0.1/api"}, "only scheme, host and port"},
		{[]string{"--customers", "0"}, "--customers must be at least 1"},
		{[]string{"--rate", "0"}, "--rate must be a positive"},
		{[]string{"--rate", "-3"}, "--rate must be a positive"},
		{[]string{"--rate", "NaN"}, "--rate must be a positive"},
		{[]string{"--duration", "0s"}, "--duration must be positive"},
		{[]string{"--barista-think", "-1s"}, "--barista-think must not be negative"},
		{[]string{"--baristas", "-1"}, "--baristas must be 0-1000"},
		{[]string{"--cancel-ratio", "1.5"}, "--cancel-ratio must be between 0 and 1"},
		{[]string{"--never-choose", "-0.1"}, "--never-choose must be between 0 and 1"},
		{[]string{"--drain", "-1s"}, "--drain must not be negative"},
		{[]string{"--bars", ""}, "--bars: give at least one bar id"},
		{[]string{"--bars", "demo,Bad Bar"}, `--bars: "Bad Bar" is not a bar id`},
		{[]string{"--db", "x.db", "--data", "dir"}, "give --db or --data, not both"},
		{[]string{"--admin", ""}, "--admin: give a staff username"},
		{[]string{"--customers", "many"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		_, err := parseFlags(c.args, getenv, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestLoadRunRefusesRemote checks that Run refuses a remote target before
// sending anything.
func TestLoadRunRefusesRemote(t *testing.T) {
	err := Run(context.Background(), []string{"--url", "http://203.0.113.7:8080"}, func(string) string { return "" }, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "only targets this machine") {
		t.Fatalf("Run(remote) = %v", err)
	}
}

func TestLoadEnding(t *testing.T) {
	done := time.Date(2026, 1, 1, 10, 0, 0, 5e8, time.UTC)
	for _, c := range []struct {
		data string
		want end
		ok   bool
	}{
		{`{"type":"OrderManager.OrderCompleted","detail":{"orderId":"o_1","order":{"id":"o_1","state":"completed","finishedAt":"2026-01-01T10:00:00.5Z"}}}`,
			end{state: presso.StateCompleted, finishedAt: &done}, true},
		{`{"detail":{"order":{"id":"o_1","state":"cancelled"}},"type":"OrderManager.OrderCancelled"}`, end{state: presso.StateCancelled}, true},
		{`{"type":"OrderProcessor.OrderTimeOut","detail":{"order":{"id":"o_1"}}}`, end{state: presso.StateTimedOut}, true},
		{`{"type":"OrderManager.OrderCompleted","detail":{"order":{"id":"o_2"}}}`, end{}, false},
		{`{"type":"OrderManager.MakeOrder","detail":{"order":{"id":"o_1","state":"making"}}}`, end{}, false},
		{`{"type":"OrderProcessor.orderFinished","detail":{"order":{"id":"o_1","state":"completed"}}}`, end{}, false},
		{`{"type":"snapshot","detail":{"orders":[{"id":"o_1","state":"queued"}]}}`, end{}, false},
		{`{"type":"snapshot","detail":{"orders":[{"id":"o_2","state":"completed"},{"id":"o_1","state":"timed_out"}]}}`, end{state: presso.StateTimedOut}, true},
		{`{"type":"snapshot","detail":{"bar":{"id":"demo"},"orders":[{"id":"o_1","state":"completed","finishedAt":"2026-01-01T10:00:00.5Z"}]}}`,
			end{state: presso.StateCompleted, finishedAt: &done}, true},
	} {
		var e event
		if err := json.Unmarshal([]byte(c.data), &e); err != nil {
			t.Fatalf("%s: %v", c.data, err)
		}
		got, ok := ending(&e, "o_1")
		same := got.state == c.want.state && (got.finishedAt == nil) == (c.want.finishedAt == nil) &&
			(got.finishedAt == nil || got.finishedAt.Equal(*c.want.finishedAt))
		if !same || ok != c.ok {
			t.Errorf("ending(%s) = %+v, %v; want %+v, %v", c.data, got, ok, c.want, c.ok)
		}
		if c.ok && !holdsAny([]byte(c.data), endTypes) {
			t.Errorf("holdsAny(%s, endTypes) = false for a message that tells an end", c.data)
		}
	}
	for _, data := range []string{
		`{"type":"OrderManager.MakeOrder","detail":{"order":{"id":"o_1","state":"making"}}}`,
		`{"type":"OrderProcessor.WaitingCompletion","detail":{"order":{"id":"o_1","state":"queued"}}}`,
	} {
		if holdsAny([]byte(data), endTypes) {
			t.Errorf("holdsAny(%s, endTypes) = true, want false: it can tell no end", data)
		}
	}
}

func TestLoadRobotName(t *testing.T) {
	if got := robotName("demo", 3); got != "robot-barista-3-demo" {
		t.Errorf("robotName(demo, 3) = %q", got)
	}
	long := robotName("a-very-long-bar-id-of-thirty-two", 12)
	if len(long) > 32 || !strings.HasPrefix(long, "robot-barista-12-") || long == robotName("a-very-long-bar-id-of-thirty-tw0", 12) {
		t.Errorf("robotName(long) = %q", long)
	}
}

// TestLoadEstimateHonesty: each completed order's estimate when queued
// against when it was ready, as the summary reports them.
func TestLoadEstimateHonesty(t *testing.T) {
	s := newStats()
	t0 := time.Unix(1000, 0).UTC()
	at := func(sec float64) *time.Time { v := t0.Add(time.Duration(sec * float64(time.Second))); return &v }
	for i, c := range []struct {
		estimate *time.Time
		ready    float64
	}{
		{at(10), 12}, // 2 s late, waited 12 s
		{at(20), 19}, // 1 s early, waited 19 s
		{at(5), 5},   // exact
		{at(30), 40}, // 10 s late, waited 40 s
		{nil, 8},     // no estimate when queued
	} {
		id := fmt.Sprintf("o_%d", i)
		s.queued(&presso.Order{ID: id, SubmittedAt: &t0, EstimatedReadyAt: c.estimate})
		s.ready(id, *at(c.ready))
	}
	s.ready("o_unknown", t0) // never queued by a robot: ignored
	s.ready("o_0", *at(99))  // a second completion of one order: ignored
	r := reportEstimates(s.honest, s.unestimated)
	want := estimateReport{N: 4, Without: 1, ErrP50: time.Second, ErrP90: 10 * time.Second,
		RelP50: 1.0 / 19, RelP90: 0.25, ErrOverWaitP: 1.0 / 12, Wait50: 12 * time.Second, Bias50: -2 * time.Second}
	if r != want {
		t.Errorf("report = %+v, want %+v", r, want)
	}
	var b bytes.Buffer
	r.write(&b)
	if line := strings.SplitN(b.String(), "\n", 2)[0]; line != "estimate: n=4 without=1 error_p50=1000.0ms error_p90=10000.0ms relative_p50=5% relative_p90=25% wait_p50=12000.0ms" {
		t.Errorf("estimate line = %q", line)
	}
}
