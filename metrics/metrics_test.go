package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"presso"
	"presso/store"
	"presso/store/storetest"
)

// gather reads every series of the registry as "name{k=v,…}" → value
// (a histogram's count).
func gather(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.Metric {
			var labels []string
			for _, l := range s.Label {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			slices.Sort(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = s.Counter.GetValue()
			case dto.MetricType_GAUGE:
				out[key] = s.Gauge.GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(s.Histogram.GetSampleCount())
				out[key+"sum"] = s.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.SQLite().Open(t)
	return db
}

// TestNil: every recorder is a no-op on a nil *Metrics, so a part given
// none needs no check.
func TestNil(t *testing.T) {
	var m *Metrics
	m.Request("GET /x", 200, time.Second)
	m.Transition("make", presso.StateQueued, presso.StateMaking)
	m.DeadlineLate(time.Second)
	m.RelayError()
	m.Tx(time.Second, 1)
	m.StreamOpened("board")()
}

// TestRecorders: each recorder moves exactly its series, with its labels.
func TestRecorders(t *testing.T) {
	m := New(openDB(t))
	m.Transition("redeem", "", presso.StateWaiting)
	m.Transition("submit", presso.StateWaiting, presso.StateQueued)
	m.Transition("submit", presso.StateWaiting, presso.StateQueued)
	m.Request("GET /api/orders/{id}", 200, 3*time.Millisecond)
	m.Request("", 404, time.Millisecond)
	m.DeadlineLate(-time.Second) // a clock step back: counted as on time
	m.DeadlineLate(1500 * time.Millisecond)
	m.RelayError()
	m.Tx(2*time.Millisecond, 0)
	m.Tx(4*time.Millisecond, 2)
	closeBoard := m.StreamOpened("board")
	m.StreamOpened("user")
	got := gather(t, m)
	for key, want := range map[string]float64{
		`presso_order_transitions_total{from=none,to=waiting,trigger=redeem}`:       1,
		`presso_order_transitions_total{from=waiting,to=queued,trigger=submit}`:     2,
		`presso_http_request_duration_seconds{code=200,route=GET /api/orders/{id}}`: 1,
		`presso_http_request_duration_seconds{code=404,route=unmatched}`:            1,
		`presso_deadline_lateness_seconds{}`:                                        2,
		`presso_deadline_lateness_seconds{}sum`:                                     1.5,
		`presso_relay_publish_errors_total{}`:                                       1,
		`presso_db_transaction_duration_seconds{}`:                                  2,
		`presso_db_transaction_retries_total{}`:                                     2,
		`presso_sse_connections{channel=board}`:                                     1,
		`presso_sse_connections{channel=user}`:                                      1,
		`presso_sse_connections{channel=store}`:                                     0,
		`presso_outbox_backlog{}`:                                                   0,
		`presso_outbox_oldest_age_seconds{}`:                                        0,
		`presso_metrics_db_errors{}`:                                                0,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if got[`presso_http_request_duration_seconds{code=200,route=GET /api/orders/{id}}sum`] != 0.003 {
		t.Errorf("request duration sum = %v, want 0.003", got[`presso_http_request_duration_seconds{code=200,route=GET /api/orders/{id}}sum`])
	}
	closeBoard()
	if got := gather(t, m)[`presso_sse_connections{channel=board}`]; got != 0 {
		t.Errorf("board connections after close = %v, want 0", got)
	}
	if _, ok := got[`go_goroutines{}`]; !ok {
		t.Errorf("no Go runtime metrics")
	}
}

// TestDatabaseGauges: the in-flight orders and the outbox backlog are read
// from the database when scraped, every bar with all three states.
func TestDatabaseGauges(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, id := range []string{"a", "b"} {
			bar := &presso.Bar{ID: id, Name: id, Open: true, SignInMode: "name", Timezone: "UTC"}
			if err := tx.CreateBar(ctx, bar, now); err != nil {
				return err
			}
		}
		for i, st := range []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateQueued, presso.StateCompleted} {
			o := &presso.Order{ID: "o" + string(rune('0'+i)), EventID: "a", UserID: "u", State: st, Number: int64(i + 1), Day: "d", CreatedAt: now, Version: 1}
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		env := presso.NewEnvelope(presso.OrderManagerMakeOrder, "a", now.Add(-3*time.Second), map[string]any{})
		return tx.AppendOutbox(ctx, env, "o1")
	})
	if err != nil {
		t.Fatal(err)
	}
	m := New(db)
	got := gather(t, m)
	for key, want := range map[string]float64{
		`presso_orders_in_flight{bar=a,state=waiting}`: 1,
		`presso_orders_in_flight{bar=a,state=queued}`:  2,
		`presso_orders_in_flight{bar=a,state=making}`:  0,
		`presso_orders_in_flight{bar=b,state=waiting}`: 0,
		`presso_orders_in_flight{bar=b,state=queued}`:  0,
		`presso_orders_in_flight{bar=b,state=making}`:  0,
		`presso_outbox_backlog{}`:                      1,
		`presso_metrics_db_errors{}`:                   0,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if age := got[`presso_outbox_oldest_age_seconds{}`]; age < 3 || age > 60 {
		t.Errorf("oldest age = %v s, want about 3", age)
	}
	// A closed database is a scrape that says so, not a failed one.
	db.Close()
	if got := gather(t, m)[`presso_metrics_db_errors{}`]; got != 1 {
		t.Errorf("presso_metrics_db_errors with the database closed = %v, want 1", got)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.Contains(string(body), "# TYPE presso_sse_connections gauge") {
		t.Errorf("Handler() = %d %.200s", rec.Code, body)
	}
}
