package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"presso/internal/testkit"
)

// statsOrder runs one whole order at the demo bar over HTTP: redeem,
// choose, make, complete and, if collect, collect. It returns the order.
func statsOrder(t *testing.T, s *server, admin, barista, customer *client, drink string, collect bool) apiOrder {
	t.Helper()
	var o apiOrder
	customer.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	customer.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": drink, "modifiers": map[string]string{}}, nil)
	barista.must(200, "POST", "/api/orders/"+o.ID+"/make", nil, nil)
	barista.must(200, "POST", "/api/orders/"+o.ID+"/complete", nil, nil)
	if collect {
		barista.must(200, "POST", "/api/orders/"+o.ID+"/collect", nil, nil)
	}
	return o
}

// TestStatsHTTP: the stats endpoint's JSON for a day with two orders, the
// window's parameters, and the CSV export of the same orders, quoted and
// safe to open in a spreadsheet.
func TestStatsHTTP(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	longWindows(t, admin)
	// A drink whose name a spreadsheet would read as a formula.
	var bar map[string]any
	admin.must(200, "GET", "/api/events/demo", nil, &bar)
	menu := bar["menu"].([]any)
	menu[0].(map[string]any)["name"] = `=HYPERLINK("http://evil.example","Americano, large")`
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"menu": menu}, nil)
	drink := menu[0].(map[string]any)["id"].(string)
	barista := s.staff(t, "barista", "barista")
	first := statsOrder(t, s, admin, barista, s.customer(t, "Ann"), drink, true)
	second := statsOrder(t, s, admin, barista, s.customer(t, "Bob"), "flat-white", false)

	var st struct {
		EventID string         `json:"eventId"`
		Counts  map[string]int `json:"counts"`
		Funnel  map[string]int `json:"funnel"`
		Wait    struct {
			Overall struct {
				N   int    `json:"n"`
				P50 *int64 `json:"p50Ms"`
			} `json:"overall"`
			ByDrink []struct{ Drink string } `json:"byDrink"`
		} `json:"wait"`
		Make struct {
			ByBarista []struct {
				Name      string
				Completed int
			} `json:"byBarista"`
		} `json:"make"`
		Now     map[string]int   `json:"now"`
		PerHour []map[string]any `json:"perHour"`
	}
	barista.must(200, "GET", "/api/events/demo/stats", nil, &st)
	if want := map[string]int{"waiting": 0, "queued": 0, "making": 0, "completed": 2, "cancelled": 0, "timed_out": 0}; !equalCounts(st.Counts, want) {
		t.Errorf("counts = %v, want %v", st.Counts, want)
	}
	if want := map[string]int{"redeemed": 2, "chosen": 2, "making": 2, "completed": 2, "collected": 1}; !equalCounts(st.Funnel, want) {
		t.Errorf("funnel = %v, want %v", st.Funnel, want)
	}
	if want := map[string]int{"queued": 0, "making": 0, "ready": 1, "completedLast15m": 2}; !equalCounts(st.Now, want) {
		t.Errorf("now = %v, want %v", st.Now, want)
	}
	if st.Wait.Overall.N != 2 || st.Wait.Overall.P50 == nil || len(st.Wait.ByDrink) != 2 {
		t.Errorf("wait = %+v, want two waits over two drinks", st.Wait)
	}
	if len(st.Make.ByBarista) != 1 || st.Make.ByBarista[0].Name != "barista" || st.Make.ByBarista[0].Completed != 2 {
		t.Errorf("baristas = %+v, want barista with 2 completed", st.Make.ByBarista)
	}
	if len(st.PerHour) != 24 {
		t.Errorf("perHour has %d hours, want the demo bar's UTC day of 24", len(st.PerHour))
	}

	for _, c := range []struct{ query, field string }{
		{"?from=yesterday", "from"},
		{"?to=2026-13-01", "to"},
		{"?from=2026-01-02&to=2026-01-01", "to"},
		{"?from=2026-01-01&to=2026-01-09", "to"},
	} {
		var e struct{ Error struct{ Code, Field string } }
		if got := barista.do("GET", "/api/events/demo/stats"+c.query, nil, &e); got != 400 || e.Error.Field != c.field {
			t.Errorf("stats%s = %d %+v, want 400 naming %s", c.query, got, e.Error, c.field)
		}
	}
	var day struct{ From, To time.Time }
	barista.must(200, "GET", "/api/events/demo/stats?from=2026-03-29&to=2026-03-30", nil, &day)
	if want := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC); !day.From.Equal(want) || !day.To.Equal(want.Add(48*time.Hour)) {
		t.Errorf("window of two dates = %v – %v, want both whole days", day.From, day.To)
	}

	status, body, err := barista.api.Do(context.Background(), "GET", "/api/events/demo/orders.csv", nil)
	if err != nil || status != 200 {
		t.Fatalf("orders.csv = %d %v", status, err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("orders.csv does not parse: %v\n%s", err, body)
	}
	header := []string{"number", "order_id", "day", "state", "cause", "walkup", "drink", "modifiers", "barista",
		"redeemed_at", "chosen_at", "made_at", "ready_at", "collected_at", "wait_s", "make_s"}
	if len(rows) != 3 || !slices.Equal(rows[0], header) {
		t.Fatalf("orders.csv = %q, want the header and two orders", rows)
	}
	a, b := rows[1], rows[2]
	if a[0] != "1" || a[1] != first.ID || a[3] != "completed" || a[5] != "false" || a[8] != "barista" || a[13] == "" {
		t.Errorf("first row = %q", a)
	}
	if want := `'=HYPERLINK("http://evil.example","Americano, large")`; a[6] != want {
		t.Errorf("drink cell = %q, want %q (a formula made plain text)", a[6], want)
	}
	if b[1] != second.ID || b[6] != "Flat White" || b[7] != "Milk: Regular" || b[13] != "" {
		t.Errorf("second row = %q", b)
	}
	for _, r := range rows[1:] {
		if _, err := time.Parse(time.RFC3339Nano, r[9]); err != nil {
			t.Errorf("redeemed_at %q is not RFC 3339: %v", r[9], err)
		}
		if r[14] == "" || r[15] == "" || strings.HasPrefix(r[14], "-") {
			t.Errorf("wait_s %q, make_s %q, want both, in seconds", r[14], r[15])
		}
	}
	if !strings.Contains(string(body), `"'=HYPERLINK(""http://evil.example"",""Americano, large"")"`) {
		t.Errorf("the drink cell is not quoted as CSV: %s", body)
	}
}

// TestJourneyHTTP: an order's journey for staff, every transition and
// event in time order with the actor's name and the time since the step
// before, and the workflow table the page draws.
func TestJourneyHTTP(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	longWindows(t, admin)
	barista := s.staff(t, "barista", "barista")
	ann := s.customer(t, "Ann")
	o := statsOrder(t, s, admin, barista, ann, "flat-white", true)
	var j struct {
		Order    apiOrder `json:"order"`
		Timeline []struct {
			Kind, Trigger, From, To, Actor, ActorName, DetailType string
			At                                                    time.Time
			SinceMs                                               int64
		}
	}
	barista.must(200, "GET", "/api/orders/"+o.ID+"/journey", nil, &j)
	var got []string
	var last time.Time
	for i, e := range j.Timeline {
		if e.Kind == "transition" {
			got = append(got, e.Trigger+":"+e.From+">"+e.To+":"+e.ActorName)
		} else {
			got = append(got, e.DetailType)
		}
		if i > 0 && e.SinceMs != e.At.Sub(last).Milliseconds() {
			t.Errorf("entry %d: sinceMs %d, want %d", i, e.SinceMs, e.At.Sub(last).Milliseconds())
		}
		last = e.At
	}
	want := []string{"redeem:>waiting:Ann", "Validator.NewOrder", "OrderProcessor.WorkflowStarted",
		"submit:waiting>queued:Ann", "OrderProcessor.WaitingCompletion", "OrderManager.WaitingCompletion",
		"make:queued>making:barista", "OrderManager.MakeOrder",
		"complete:making>completed:barista", "OrderManager.OrderCompleted", "OrderProcessor.orderFinished",
		"collect:completed>completed:barista", "OrderManager.OrderCollected"}
	if !slices.Equal(got, want) {
		t.Errorf("timeline =\n  %q\nwant\n  %q", got, want)
	}
	if got := ann.do("GET", "/api/orders/"+o.ID+"/journey", nil, nil); got != 404 {
		t.Errorf("the owner's GET journey = %d, want 404 (it is for staff)", got)
	}

	var wf struct {
		States      []string
		Transitions []struct {
			Trigger string
			From    []string
			To      string
		}
	}
	ann.must(200, "GET", "/api/workflow", nil, &wf)
	for _, st := range []string{"", "waiting", "queued", "making", "completed", "cancelled", "timed_out"} {
		if !slices.Contains(wf.States, st) {
			t.Errorf("workflow states %q lack %q", wf.States, st)
		}
	}
	found := false
	for _, tr := range wf.Transitions {
		found = found || (tr.Trigger == "unmake" && slices.Equal(tr.From, []string{"making"}) && tr.To == "queued")
	}
	if !found {
		t.Errorf("workflow %+v has no unmake from making to queued", wf.Transitions)
	}
}

// TestLogging: at info, one line per transition naming the bar, the
// number, the trigger, the new state and the time since the step before,
// and never a customer's name; --log-format json writes JSON lines.
func TestLogging(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			s := startServer(t, "", "--log-level", "info", "--log-format", format)
			admin := s.staff(t, "admin", "admin")
			longWindows(t, admin)
			barista := s.staff(t, "barista", "barista")
			statsOrder(t, s, admin, barista, s.customer(t, "Zoë Secretname"), "flat-white", false)
			eventually(t, 5*time.Second, "the complete line", func() bool {
				return strings.Contains(s.out.String(), "trigger=complete") || strings.Contains(s.out.String(), `"trigger":"complete"`)
			})
			out := s.out.String()
			if strings.Contains(out, "Secretname") {
				t.Errorf("the log names the customer:\n%s", out)
			}
			var lines []map[string]any
			for _, line := range strings.Split(out, "\n") {
				if !strings.Contains(line, "order transition") {
					continue
				}
				if format == "json" {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("not a JSON line: %q", line)
					}
					lines = append(lines, m)
					continue
				}
				m := map[string]any{}
				for _, kv := range regexp.MustCompile(`(\w+)=("[^"]*"|\S+)`).FindAllStringSubmatch(line, -1) {
					m[kv[1]] = strings.Trim(kv[2], `"`)
				}
				lines = append(lines, m)
			}
			var got []string
			for _, m := range lines {
				got = append(got, strings.Trim(strings.Join([]string{str(m["level"]), str(m["bar"]), str(m["number"]), str(m["trigger"]), str(m["state"])}, " "), " "))
				if m["trigger"] != "redeem" && m["since_ms"] == nil {
					t.Errorf("line %v has no since_ms", m)
				}
			}
			want := []string{"INFO demo 0 redeem waiting", "INFO demo 1 submit queued", "INFO demo 1 make making", "INFO demo 1 complete completed"}
			if !slices.Equal(got, want) {
				t.Errorf("transition lines = %q, want %q", got, want)
			}
		})
	}
	if err := run(context.Background(), []string{"--log-format", "yaml", "--data", t.TempDir()}, func(string) string { return "" }, &testkit.Buffer{}); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("--log-format yaml: %v, want an error naming the flag", err)
	}
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}
