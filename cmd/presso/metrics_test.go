package main

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"presso/internal/testkit"
)

var metricsLine = regexp.MustCompile(`Metrics   (http://\S+/metrics)`)

// metricsURL is the metrics address the server printed at start.
func (s *server) metricsURL(t testing.TB) string {
	t.Helper()
	m := metricsLine.FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("no metrics address in the start-up text:\n%s", s.out.String())
	}
	return m[1]
}

// scrape reads the metrics, returning the text and the parsed families.
func scrape(t testing.TB, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", url, res.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse the metrics: %v\n%s", err, body)
	}
	return string(body), fams
}

// series maps each metric of a family by its labels ("k=v,k=v", sorted)
// to its value: a counter's or gauge's value, a histogram's count.
func series(f *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var labels []string
		for _, l := range m.Label {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(labels)
		key := strings.Join(labels, ",")
		switch {
		case m.Counter != nil:
			out[key] = m.Counter.GetValue()
		case m.Gauge != nil:
			out[key] = m.Gauge.GetValue()
		case m.Histogram != nil:
			out[key] = float64(m.Histogram.GetSampleCount())
		}
	}
	return out
}

// TestMetrics: after one scripted order the transition counters show
// exactly one of each of its transitions and nothing else; the request
// histogram has it by route and status; the gauges read the database; and
// promtool accepts the output.
func TestMetrics(t *testing.T) {
	s := startServer(t, "", "--metrics-addr", "127.0.0.1:0")
	url := s.metricsURL(t)
	admin := s.staff(t, "admin", "admin")
	longWindows(t, admin)
	barista := s.staff(t, "barista", "barista")
	board := barista.openSSE("/api/events/demo/stream", "")
	board.next(t, 5*time.Second) // the snapshot: the stream is open
	o := statsOrder(t, s, admin, barista, s.customer(t, "Ann"), "flat-white", true)
	eventually(t, 5*time.Second, "the relay to drain", func() bool {
		_, fams := scrape(t, url)
		return series(fams["presso_outbox_backlog"])[""] == 0
	})
	text, fams := scrape(t, url)

	wantTransitions := map[string]float64{
		"from=none,to=waiting,trigger=redeem":         1,
		"from=waiting,to=queued,trigger=submit":       1,
		"from=queued,to=making,trigger=make":          1,
		"from=making,to=completed,trigger=complete":   1,
		"from=completed,to=completed,trigger=collect": 1,
	}
	if got := series(fams["presso_order_transitions_total"]); !equalSeries(got, wantTransitions) {
		t.Errorf("transitions = %v, want %v", got, wantTransitions)
	}
	requests := series(fams["presso_http_request_duration_seconds"])
	for key, want := range map[string]float64{
		"code=201,route=POST /api/events/{event}/orders": 1,
		"code=200,route=PUT /api/orders/{id}/drink":      1,
		"code=200,route=POST /api/orders/{id}/{action}":  3,
		"code=200,route=POST /api/staff/session":         2,
	} {
		if requests[key] != want {
			t.Errorf("requests{%s} = %v, want %v (all: %v)", key, requests[key], want, requests)
		}
	}
	if got := series(fams["presso_orders_in_flight"]); !equalSeries(got, map[string]float64{
		"bar=demo,state=waiting": 0, "bar=demo,state=queued": 0, "bar=demo,state=making": 0}) {
		t.Errorf("in flight = %v, want the demo bar's three states at 0", got)
	}
	if got := series(fams["presso_sse_connections"]); got["channel=board"] != 1 || got["channel=user"] != 0 {
		t.Errorf("SSE connections = %v, want one board stream", got)
	}
	if got := series(fams["presso_db_transaction_duration_seconds"])[""]; got < 5 {
		t.Errorf("transactions observed = %v, want at least the order's five", got)
	}
	for _, name := range []string{"presso_outbox_oldest_age_seconds", "presso_relay_publish_errors_total", "presso_db_transaction_retries_total",
		"presso_deadline_lateness_seconds", "go_goroutines", "go_memstats_heap_alloc_bytes", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("no %s in the metrics", name)
		}
	}
	if got := series(fams["presso_metrics_db_errors"])[""]; got != 0 {
		t.Errorf("presso_metrics_db_errors = %v, want 0", got)
	}
	board.close()
	eventually(t, 5*time.Second, "the board stream to close", func() bool {
		_, fams := scrape(t, url)
		return series(fams["presso_sse_connections"])["channel=board"] == 0
	})
	_ = o
	res, err := http.Get(strings.TrimSuffix(url, "/metrics") + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile: total") {
		t.Errorf("GET /debug/pprof/goroutine on the metrics listener = %d %.80q, want the goroutine profile", res.StatusCode, body)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if requireAll() {
			t.Fatalf("PRESSO_REQUIRE_ALL=1 but no promtool: %v (apt-get install -y prometheus)", err)
		}
		t.Skip("no promtool on PATH (apt-get install -y prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetricsTimeout: a deadline the sweeper fires late is in the lateness
// histogram, with its transition.
func TestMetricsTimeout(t *testing.T) {
	s := startServer(t, "", "--metrics-addr", "127.0.0.1:0")
	url := s.metricsURL(t)
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"timeouts": map[string]int{"customerSeconds": 1, "baristaSeconds": 900}}, nil)
	longWindows(t, admin)
	var o apiOrder
	s.customer(t, "Ann").must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	eventually(t, 10*time.Second, "the timeout", func() bool {
		_, fams := scrape(t, url)
		return series(fams["presso_order_transitions_total"])["from=waiting,to=timed_out,trigger=timeout"] == 1
	})
	_, fams := scrape(t, url)
	if got := series(fams["presso_deadline_lateness_seconds"])[""]; got != 1 {
		t.Errorf("lateness observations = %v, want 1", got)
	}
}

// TestMetricsOff: without --metrics-addr nothing listens for metrics, the
// start-up text names none, and the public listener has no /metrics.
func TestMetricsOff(t *testing.T) {
	s := startServer(t, "")
	if strings.Contains(s.out.String(), "Metrics ") {
		t.Errorf("the start-up text names a metrics address:\n%s", s.out.String())
	}
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET /metrics on the apps' listener = %d, want 404", res.StatusCode)
	}
	addr := testkit.FreeAddr(t)
	on := startServer(t, "", "--metrics-addr", addr)
	if got := on.metricsURL(t); got != "http://"+addr+"/metrics" {
		t.Errorf("metrics at %s, want http://%s/metrics", got, addr)
	}
	res, err = http.Get(on.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET /metrics on the apps' listener with --metrics-addr = %d, want 404", res.StatusCode)
	}
}

func equalSeries(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// BenchmarkHTTPLifecycleMetrics is BenchmarkHTTPLifecycle with metrics on,
// to measure what they cost.
func BenchmarkHTTPLifecycleMetrics(b *testing.B) {
	benchLifecycle(b, "--metrics-addr", "127.0.0.1:0")
}
