// Package metrics is presso's Prometheus instrumentation: one registry,
// built by the command and handed to the parts it watches, and served on a
// listener of its own (--metrics-addr), never beside the public apps.
//
// Every method is safe on a nil *Metrics and does nothing there, so a part
// that was given none (metrics off, or a test) needs no check. What is
// counted as it happens (requests, transitions, streams, relay errors,
// transactions, late deadlines) is recorded by those methods; what the
// database knows (orders in flight, the outbox backlog) is read from it
// when Prometheus scrapes, so every replica reports the same truth.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"presso"
	"presso/store"
)

// Metrics holds presso's collectors and the registry they are in.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	lateness    prometheus.Histogram
	streams     *prometheus.GaugeVec
	relayErrors prometheus.Counter
	txTime      prometheus.Histogram
	txRetries   prometheus.Counter
}

// New builds the registry: Go runtime and process collectors, presso's
// own, and the database gauges read from db at scrape time.
func New(db *store.DB) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "presso_http_request_duration_seconds",
			Help:    "HTTP requests by route pattern and status, and how long they took (SSE streams: how long they stayed open).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "presso_order_transitions_total",
			Help: "Order workflow transitions committed, by trigger and the states left and entered.",
		}, []string{"trigger", "from", "to"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "presso_deadline_lateness_seconds",
			Help:    "How long after its deadline each timeout fired.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
		}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "presso_sse_connections",
			Help: "Open SSE connections by channel kind (board, store, user).",
		}, []string{"channel"}),
		relayErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presso_relay_publish_errors_total",
			Help: "Outbox batches the relay failed to publish to the event bus.",
		}),
		txTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "presso_db_transaction_duration_seconds",
			Help:    "Write transactions, retries included, by how long they took.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		txRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "presso_db_transaction_retries_total",
			Help: "Write transactions run again after a deadlock or serialization failure.",
		}),
	}
	for _, ch := range []string{"board", "store", "user"} {
		m.streams.WithLabelValues(ch)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.transitions, m.lateness, m.streams, m.relayErrors, m.txTime, m.txRetries,
		newDBCollector(db),
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one HTTP request: its route pattern ("" when no route
// matched), status and duration.
func (m *Metrics) Request(route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Observe(took.Seconds())
}

// Transition records one committed order transition.
func (m *Metrics) Transition(trigger string, from, to presso.State) {
	if m == nil {
		return
	}
	if from == "" {
		from = "none"
	}
	m.transitions.WithLabelValues(trigger, string(from), string(to)).Inc()
}

// DeadlineLate records how late a timeout fired after its deadline.
func (m *Metrics) DeadlineLate(late time.Duration) {
	if m == nil {
		return
	}
	m.lateness.Observe(max(late, 0).Seconds())
}

// StreamOpened counts an SSE connection of the channel kind as open until
// the returned function is called.
func (m *Metrics) StreamOpened(channel string) (closed func()) {
	if m == nil {
		return func() {}
	}
	g := m.streams.WithLabelValues(channel)
	g.Inc()
	return g.Dec
}

// RelayError counts a failed publish of the relay.
func (m *Metrics) RelayError() {
	if m == nil {
		return
	}
	m.relayErrors.Inc()
}

// Tx records one write transaction; it has store.DB.ObserveTx's signature.
func (m *Metrics) Tx(took time.Duration, retries int) {
	if m == nil {
		return
	}
	m.txTime.Observe(took.Seconds())
	m.txRetries.Add(float64(retries))
}

// dbCollector reads the gauges the database holds, at scrape time.
type dbCollector struct {
	db                                 *store.DB
	inFlight, backlog, oldest, failing *prometheus.Desc
}

func newDBCollector(db *store.DB) *dbCollector {
	return &dbCollector{
		db: db,
		inFlight: prometheus.NewDesc("presso_orders_in_flight",
			"Orders not yet ended, by bar and state (waiting, queued, making).", []string{"bar", "state"}, nil),
		backlog: prometheus.NewDesc("presso_outbox_backlog",
			"Events in the outbox not yet published to the event bus.", nil, nil),
		oldest: prometheus.NewDesc("presso_outbox_oldest_age_seconds",
			"Age of the oldest event not yet published (0 when none waits).", nil, nil),
		failing: prometheus.NewDesc("presso_metrics_db_errors",
			"1 when the database gauges could not be read on this scrape.", nil, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inFlight
	ch <- c.backlog
	ch <- c.oldest
	ch <- c.failing
}

// Collect reports every bar with all three active states, zeros included,
// so a series does not vanish when its bar empties.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0.0
	defer func() { ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, failed) }()
	bars, err := c.db.ListBars(ctx)
	if err != nil {
		failed = 1
		return
	}
	counts, err := c.db.InFlight(ctx)
	if err != nil {
		failed = 1
		return
	}
	n := map[[2]string]int{}
	for _, b := range counts {
		n[[2]string{b.EventID, string(b.State)}] = b.N
	}
	for _, b := range bars {
		for _, s := range []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking} {
			ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(n[[2]string{b.ID, string(s)}]), b.ID, string(s))
		}
	}
	backlog, oldest, ok, err := c.db.OutboxBacklog(ctx)
	if err != nil {
		failed = 1
		return
	}
	age := 0.0
	if ok {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(backlog))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
