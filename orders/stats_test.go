package orders_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/internal/testkit"
	"presso/orders"
	"presso/store"
	"presso/store/storetest"
)

// day is a scripted evening at a bar in Berlin (UTC+1 in November), from
// 23:00 to 00:40 local, so it crosses local midnight: thirteen orders,
// redeemed, chosen, made, completed, collected, cancelled and timed out at
// known times by two baristas, over three drinks. Each step is "hh:mm:ss
// local" and what happens then; the clock is moved to each in turn.
type dayStep struct {
	at  string // local time; times before 12:00 are on the next day
	do  string // redeem, submit, make, unmake, complete, collect, cancel, sweep
	n   int    // the order (customer n's)
	arg string // the drink for submit; "bea" or "bob" for baristas; "customer" for a cancel by the customer
}

func scriptedDay() []dayStep {
	return []dayStep{
		{"23:00:00", "redeem", 1, ""}, {"23:01:00", "submit", 1, "americano"}, {"23:02:00", "make", 1, "bea"},
		{"23:04:00", "complete", 1, "bea"}, {"23:05:00", "collect", 1, "bea"},
		{"23:10:00", "redeem", 2, ""}, {"23:10:30", "submit", 2, "flat-white"}, {"23:11:00", "make", 2, "bob"},
		{"23:14:00", "complete", 2, "bob"},
		{"23:20:00", "redeem", 3, ""}, {"23:21:00", "submit", 3, "cappuccino"}, {"23:25:00", "make", 3, "bea"},
		{"23:26:00", "complete", 3, "bea"}, {"23:30:00", "collect", 3, "bob"},
		{"23:40:00", "redeem", 4, ""}, {"23:45:00", "sweep", 4, ""}, // never chose: times out (customer)
		{"23:50:00", "redeem", 5, ""}, {"23:51:00", "submit", 5, "americano"}, {"23:52:00", "cancel", 5, "customer"},
		{"23:55:00", "redeem", 6, ""}, {"23:56:00", "submit", 6, "flat-white"}, {"23:58:00", "make", 6, "bob"},
		{"00:03:00", "complete", 6, "bob"}, {"00:04:00", "collect", 6, "bob"},
		{"00:05:00", "redeem", 7, ""}, {"00:06:00", "submit", 7, "americano"}, {"00:07:00", "make", 7, "bea"},
		{"00:08:00", "cancel", 7, "bea"},
		{"00:10:00", "redeem", 8, ""}, {"00:11:00", "submit", 8, "cappuccino"}, // never made: times out (barista)
		{"00:12:00", "redeem", 9, ""}, {"00:13:00", "submit", 9, "americano"}, {"00:15:00", "complete", 9, "bob"}, // straight from the queue
		{"00:20:00", "redeem", 10, ""}, {"00:21:00", "submit", 10, "flat-white"}, {"00:22:00", "make", 10, "bea"},
		{"00:23:00", "unmake", 10, "bea"}, {"00:24:00", "make", 10, "bob"},
		{"00:26:00", "sweep", 8, ""},
		{"00:30:00", "complete", 10, "bob"},
		{"00:31:00", "redeem", 11, ""}, {"00:32:00", "submit", 11, "americano"}, {"00:33:00", "make", 11, "bea"}, // making now
		{"00:34:00", "redeem", 12, ""}, {"00:35:00", "submit", 12, "cappuccino"}, // queued now
		{"00:36:00", "redeem", 13, ""}, // waiting now
	}
}

// playDay runs the script on e's demo bar (tweaked to Berlin) and returns
// the orders by customer number, with the clock at 00:40 local.
func playDay(t *testing.T, e *env) map[int]*presso.Order {
	t.Helper()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	local := func(hms string) time.Time {
		c, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-11-25 "+hms, berlin)
		if err != nil {
			t.Fatal(err)
		}
		if c.Hour() < 12 {
			c = c.AddDate(0, 0, 1)
		}
		return c
	}
	baristas := map[string]presso.Identity{"bea": barista, "bob": other}
	got := map[int]*presso.Order{}
	for _, s := range scriptedDay() {
		e.clock.Set(local(s.at).UTC())
		var err error
		var o *presso.Order
		switch s.do {
		case "redeem":
			o = e.start(customer(s.n))
		case "submit":
			o, err = e.p.Submit(e.ctx, customer(s.n), got[s.n].ID, orders.SubmitInput{Drink: s.arg})
		case "sweep":
			if n := e.sweep(); n != 1 {
				t.Fatalf("%s: sweep fired %d deadlines, want 1", s.at, n)
			}
			o = e.get(got[s.n].ID)
		default:
			who := baristas[s.arg]
			if s.arg == "customer" {
				who = customer(s.n)
			}
			o, err = e.p.Fire(e.ctx, who, got[s.n].ID, orders.Trigger(s.do), orders.SubmitInput{})
		}
		if err != nil {
			t.Fatalf("%s %s %d: %v", s.at, s.do, s.n, err)
		}
		got[s.n] = o
	}
	e.clock.Set(local("00:40:00").UTC())
	return got
}

func ms(v int64) *int64 { return &v }

func sum(n int, p50, p90 int64) store.Summary {
	return store.Summary{N: n, P50: ms(p50), P90: ms(p90)}
}

// TestStatsScriptedDay checks every figure of the stats against the values
// worked out by hand from scriptedDay, on every engine.
func TestStatsScriptedDay(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, func(b *presso.Bar) {
			b.Timezone, b.ReadySeconds = "Europe/Berlin", 600
		})
		playDay(t, e)
		bar := e.bar("demo")
		from := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC) // 23:00 local
		to := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)    // 01:00 local
		st, err := e.p.Stats(e.ctx, barista, bar, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := &orders.BarStats{
			EventID: "demo", Timezone: "Europe/Berlin", From: from, To: to,
			At: time.Date(2026, 11, 25, 23, 40, 0, 0, time.UTC),
			Stats: &store.Stats{
				Counts: map[presso.State]int{"waiting": 1, "queued": 1, "making": 1, "completed": 6, "cancelled": 2, "timed_out": 2},
				Causes: map[presso.State]map[string]int{
					"cancelled": {"customer": 1, "barista": 1},
					"timed_out": {"customer": 1, "barista": 1},
				},
				PerHour: []store.HourStats{
					{Start: from, Day: "2026-11-25", Hour: "23:00", Redeemed: 6, Ordered: 5, Completed: 3, WaitP50Ms: ms(210_000)},
					{Start: from.Add(time.Hour), Day: "2026-11-26", Hour: "00:00", Redeemed: 7, Ordered: 6, Completed: 3, WaitP50Ms: ms(120_000)},
				},
				Funnel: store.Funnel{Redeemed: 13, Chosen: 11, Making: 8, Completed: 6, Collected: 3},
				Wait: store.WaitStats{
					Overall: sum(6, 210_000, 540_000),
					ByDrink: []store.DrinkSummary{
						{Drink: "americano", Name: "Americano", Summary: sum(2, 120_000, 180_000)},
						{Drink: "cappuccino", Name: "Cappuccino", Summary: sum(1, 300_000, 300_000)},
						{Drink: "flat-white", Name: "Flat White", Summary: sum(3, 420_000, 540_000)},
					},
				},
				Make: store.MakeStats{
					Overall: sum(5, 180_000, 360_000),
					ByDrink: []store.DrinkSummary{
						{Drink: "americano", Name: "Americano", Summary: sum(1, 120_000, 120_000)},
						{Drink: "cappuccino", Name: "Cappuccino", Summary: sum(1, 60_000, 60_000)},
						{Drink: "flat-white", Name: "Flat White", Summary: sum(3, 300_000, 360_000)},
					},
					ByBarista: []store.BaristaSummary{
						{ID: other.ID, Name: "bob", Completed: 4, Make: sum(3, 300_000, 360_000)},
						{ID: barista.ID, Name: "bea", Completed: 2, Make: sum(2, 60_000, 120_000)},
					},
				},
				// 00:40: order 10 was finished exactly ten minutes (the
				// ready time) ago, not collected; 15 minutes back reaches
				// only it.
				Now: store.NowStats{Queued: 1, Making: 1, Ready: 1, CompletedLast15: 1},
			},
		}
		if g, w := jsonOf(t, st), jsonOf(t, want); g != w {
			t.Fatalf("Stats() =\n%s\nwant\n%s", g, w)
		}

		// An hour later the window is the same; only "now" moves on.
		e.clock.Advance(time.Hour)
		st, err = e.p.Stats(e.ctx, admin, bar, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Now, (store.NowStats{Queued: 1, Making: 1}); got != want {
			t.Errorf("Now an hour later = %+v, want %+v", got, want)
		}
		if got := jsonOf(t, st.PerHour); got != jsonOf(t, want.PerHour) {
			t.Errorf("PerHour an hour later = %s, want it unchanged", got)
		}
	})
}

// TestStatsWindow: the window's hours are the bar's, across a daylight
// saving change; a window that is empty, reversed or over a week is
// refused; only staff of the bar may look.
func TestStatsWindow(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), func(b *presso.Bar) { b.Timezone = "Europe/Berlin" })
	bar := e.bar("demo")
	// 2026-10-25: Berlin goes from UTC+2 back to UTC+1 at 03:00 local, so
	// the local day has 25 hours and 02:00 twice.
	from := time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC)
	st, err := e.p.Stats(e.ctx, admin, bar, from, from.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var hours []string
	for _, h := range st.PerHour {
		hours = append(hours, h.Hour)
	}
	want := []string{"00:00", "01:00", "02:00", "02:00", "03:00", "04:00", "05:00", "06:00", "07:00", "08:00", "09:00", "10:00",
		"11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00", "18:00", "19:00", "20:00", "21:00", "22:00", "23:00"}
	if jsonOf(t, hours) != jsonOf(t, want) {
		t.Errorf("hours of 2026-10-25 in Berlin = %v, want %v", hours, want)
	}
	if got := st.PerHour[3].Start.Sub(st.PerHour[2].Start); got != time.Hour {
		t.Errorf("the two 02:00 hours start %v apart, want an hour", got)
	}

	for _, c := range []struct {
		name     string
		who      presso.Identity
		from, to time.Time
		want     string
	}{
		{"empty", admin, from, from, presso.CodeInvalid},
		{"reversed", admin, from, from.Add(-time.Hour), presso.CodeInvalid},
		{"over a week", admin, from, from.Add(7*24*time.Hour + time.Millisecond), presso.CodeInvalid},
		{"a customer", customer(1), from, from.Add(time.Hour), presso.CodeForbidden},
		{"another bar's barista", presso.Identity{ID: "stf_x", Kind: "staff", Role: presso.RoleBarista, EventID: "other"}, from, from.Add(time.Hour), presso.CodeForbidden},
	} {
		if _, err := e.p.Stats(e.ctx, c.who, bar, c.from, c.to); code(err) != c.want {
			t.Errorf("%s: Stats() = %v, want %s", c.name, err, c.want)
		}
		if _, err := e.p.Export(e.ctx, c.who, bar, c.from, c.to); code(err) != c.want {
			t.Errorf("%s: Export() = %v, want %s", c.name, err, c.want)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSummaryLog: the minute summary is one info line per open bar, with
// today's orders (the bar's day), those in flight and their median wait,
// and no customer's name; a closed bar has none.
func TestSummaryLog(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), nil)
	var buf testkit.Buffer
	p := orders.New(e.db, e.clock.Now, func() {}, slog.New(slog.NewTextHandler(&buf, nil)))
	a := e.start(customer(1))
	if _, err := p.Submit(e.ctx, customer(1), a.ID, orders.SubmitInput{Drink: "americano"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(90 * time.Second)
	if _, err := p.Fire(e.ctx, barista, a.ID, orders.TriggerComplete, orders.SubmitInput{}); err != nil {
		t.Fatal(err)
	}
	e.start(customer(2)) // still choosing: in flight
	if err := e.db.Tx(e.ctx, func(tx *store.Tx) error {
		other := e.bar("demo")
		other.ID, other.Name, other.Open = "shut", "Shut bar", false
		return tx.CreateBar(e.ctx, other, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	go func() {
		for !strings.Contains(buf.String(), "bar summary") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	p.RunSummary(ctx, 10*time.Millisecond)
	var lines []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "bar summary") {
			lines = append(lines, l[strings.Index(l, "level="):])
		}
	}
	if want := `level=INFO msg="bar summary" bar=demo orders=2 in_flight=1 median_wait_ms=90000`; len(lines) == 0 || lines[0] != want {
		t.Errorf("summary lines = %q, want first %q", lines, want)
	}
	for _, l := range lines {
		if strings.Contains(l, "bar=shut") {
			t.Errorf("a closed bar has a summary: %q", l)
		}
	}
	if strings.Contains(buf.String(), "c1") || strings.Contains(buf.String(), "c2") {
		t.Errorf("the log names a customer:\n%s", buf.String())
	}
}
