package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"presso"
)

// The reads behind the stats page, the wait estimate, the journey page and
// the metrics. They only read; every figure is counted in SQL, and where a
// percentile is wanted the durations come back sorted by SQL and the rank
// is taken in Go (percentile), because SQLite has no percentile function
// and PostgreSQL's would round differently. Both engines run the same
// statements: times are integer milliseconds on both, so a local hour is
// (t + offset) / 3600000 in integer arithmetic on either.

// hourMS is an hour in the stored milliseconds.
const hourMS = 3_600_000

// StatsQuery says which of a bar's orders BarStats counts: those redeemed
// in [From, To), with hours in Loc. Now is the moment the "now" figures
// are for; ReadyFor is how long a ready order stays on the screens.
type StatsQuery struct {
	EventID  string
	From, To time.Time
	Loc      *time.Location
	Now      time.Time
	ReadyFor time.Duration
}

// throughputWindow is how far back the "now" throughput looks.
const throughputWindow = 15 * time.Minute

// Stats are a bar's figures for a window of its orders.
type Stats struct {
	// Counts are the window's orders by the state they are in now; every
	// state is present.
	Counts map[presso.State]int `json:"counts"`
	// Causes split the cancelled and timed-out orders by cause
	// ("customer", "barista").
	Causes map[presso.State]map[string]int `json:"causes"`
	// PerHour has one bucket per local hour of the window, empty ones
	// included, each counting what happened in it.
	PerHour []HourStats `json:"perHour"`
	Funnel  Funnel      `json:"funnel"`
	// Wait is from drink chosen (submitted) to ready (completed), of the
	// window's completed orders: cancelled and timed-out ones never
	// became ready and are left out.
	Wait WaitStats `json:"wait"`
	// Make is from make to complete, of the window's completed orders a
	// barista made (an order completed straight from the queue has none).
	Make MakeStats `json:"make"`
	Now  NowStats  `json:"now"`
}

// HourStats is one local hour: orders redeemed, drinks chosen and orders
// completed in it, and the median wait of the orders whose drink was
// chosen in it (null when none of them completed).
type HourStats struct {
	Start     time.Time `json:"start"` // the hour's first instant, UTC
	Day       string    `json:"day"`   // its local date
	Hour      string    `json:"hour"`  // its local time, "23:00"
	Redeemed  int       `json:"redeemed"`
	Ordered   int       `json:"ordered"`
	Completed int       `json:"completed"`
	WaitP50Ms *int64    `json:"waitP50Ms"`
}

// Funnel follows the window's orders through the workflow: redeemed a
// code; chose a drink; taken up by a barista (made, or completed straight
// from the queue); completed; collected.
type Funnel struct {
	Redeemed  int `json:"redeemed"`
	Chosen    int `json:"chosen"`
	Making    int `json:"making"`
	Completed int `json:"completed"`
	Collected int `json:"collected"`
}

// Summary is a sample of durations: its size and nearest-rank median and
// 90th percentile in milliseconds (null for an empty sample).
type Summary struct {
	N   int    `json:"n"`
	P50 *int64 `json:"p50Ms"`
	P90 *int64 `json:"p90Ms"`
}

// DrinkSummary is a Summary for one drink of the menu.
type DrinkSummary struct {
	Drink string `json:"drink"`
	Name  string `json:"name"`
	Summary
}

// BaristaSummary is one barista's completed count and make times.
type BaristaSummary struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Completed int     `json:"completed"`
	Make      Summary `json:"make"`
}

// WaitStats are waits overall and per drink.
type WaitStats struct {
	Overall Summary        `json:"overall"`
	ByDrink []DrinkSummary `json:"byDrink"`
}

// MakeStats are make times overall, per drink and per barista.
type MakeStats struct {
	Overall   Summary          `json:"overall"`
	ByDrink   []DrinkSummary   `json:"byDrink"`
	ByBarista []BaristaSummary `json:"byBarista"`
}

// NowStats are the bar as it is at the query's Now, whatever the window:
// orders in the queue, being made, ready and not yet collected (within
// the bar's ready time, as the display shows them), and completed in the
// last 15 minutes.
type NowStats struct {
	Queued          int `json:"queued"`
	Making          int `json:"making"`
	Ready           int `json:"ready"`
	CompletedLast15 int `json:"completedLast15m"`
}

// Percentile is the nearest-rank percentile of a sorted sample: the value
// at rank ceil(p/100 · n), counting from 1, so it is always one of the
// sample's own values. It is the one definition every figure uses; the
// sample must not be empty.
func Percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func summarize(sorted []int64) Summary {
	s := Summary{N: len(sorted)}
	if len(sorted) > 0 {
		p50, p90 := Percentile(sorted, 50), Percentile(sorted, 90)
		s.P50, s.P90 = &p50, &p90
	}
	return s
}

// BarStats reads a bar's figures in one snapshot, so they agree with each
// other.
func (db *DB) BarStats(ctx context.Context, q StatsQuery) (_ *Stats, err error) {
	defer wrap(&err, "store.BarStats")
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.engine.snapshot})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c := conn{q: tx, e: &db.engine}
	st := &Stats{}
	for _, part := range []func(context.Context, StatsQuery, *Stats) error{
		c.statsCounts, c.statsFunnel, c.statsPerHour, c.statsWaits, c.statsMakes, c.statsNow,
	} {
		if err := part(ctx, q, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (c conn) statsCounts(ctx context.Context, q StatsQuery, st *Stats) error {
	st.Counts = map[presso.State]int{}
	for _, s := range []presso.State{presso.StateWaiting, presso.StateQueued, presso.StateMaking,
		presso.StateCompleted, presso.StateCancelled, presso.StateTimedOut} {
		st.Counts[s] = 0
	}
	st.Causes = map[presso.State]map[string]int{
		presso.StateCancelled: {presso.CauseCustomer: 0, presso.CauseBarista: 0},
		presso.StateTimedOut:  {presso.CauseCustomer: 0, presso.CauseBarista: 0},
	}
	return eachRow(ctx, c.q, `SELECT state, cause, COUNT(*) FROM orders
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3
		GROUP BY state, cause`, func(rows *sql.Rows) error {
		var state presso.State
		var cause string
		var n int
		if err := rows.Scan(&state, &cause, &n); err != nil {
			return err
		}
		st.Counts[state] += n
		if causes, ok := st.Causes[state]; ok && cause != "" {
			causes[cause] += n
		}
		return nil
	}, q.EventID, ms(q.From), ms(q.To))
}

func (c conn) statsFunnel(ctx context.Context, q StatsQuery, st *Stats) error {
	f := &st.Funnel
	return c.q.QueryRowContext(ctx, `SELECT
			COUNT(*),
			COUNT(o.submitted_at),
			COUNT(CASE WHEN EXISTS (SELECT 1 FROM order_history h
				WHERE h.order_id = o.id AND h.to_state IN ('making', 'completed')) THEN 1 END),
			COUNT(CASE WHEN o.state = 'completed' THEN 1 END),
			COUNT(o.collected_at)
		FROM orders o
		WHERE o.event_id = $1 AND o.created_at >= $2 AND o.created_at < $3`,
		q.EventID, ms(q.From), ms(q.To)).Scan(&f.Redeemed, &f.Chosen, &f.Making, &f.Completed, &f.Collected)
}

// zoneSpan is a part of a window in which the bar's zone keeps one UTC
// offset; a window that crosses a daylight-saving change has two.
type zoneSpan struct {
	from, to time.Time
	offset   int64 // milliseconds east of UTC
}

func zoneSpans(from, to time.Time, loc *time.Location) []zoneSpan {
	var spans []zoneSpan
	for t := from; t.Before(to); {
		l := t.In(loc)
		_, off := l.Zone()
		_, end := l.ZoneBounds()
		if end.IsZero() || end.After(to) {
			end = to
		}
		spans = append(spans, zoneSpan{from: t, to: end, offset: int64(off) * 1000})
		t = end
	}
	return spans
}

// hourBuckets makes the window's local hours, empty, keyed by their first
// instant in UTC milliseconds.
func hourBuckets(spans []zoneSpan, loc *time.Location) ([]HourStats, map[int64]int) {
	var hours []HourStats
	index := map[int64]int{}
	for _, s := range spans {
		for h := (ms(s.from) + s.offset) / hourMS; h <= (ms(s.to)-1+s.offset)/hourMS; h++ {
			start := h*hourMS - s.offset
			if _, ok := index[start]; ok {
				continue
			}
			l := fromMS(start).In(loc)
			index[start] = len(hours)
			hours = append(hours, HourStats{Start: fromMS(start), Day: l.Format(time.DateOnly), Hour: l.Format("15:04")})
		}
	}
	return hours, index
}

func (c conn) statsPerHour(ctx context.Context, q StatsQuery, st *Stats) error {
	spans := zoneSpans(q.From, q.To, q.Loc)
	hours, index := hourBuckets(spans, q.Loc)
	waits := make([][]int64, len(hours))
	for _, s := range spans {
		err := eachRow(ctx, c.q, `
			SELECT 'redeemed', (created_at + $4) / 3600000, COUNT(*) FROM orders
				WHERE event_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 2
			UNION ALL
			SELECT 'ordered', (submitted_at + $4) / 3600000, COUNT(*) FROM orders
				WHERE event_id = $1 AND submitted_at >= $2 AND submitted_at < $3 GROUP BY 2
			UNION ALL
			SELECT 'completed', (finished_at + $4) / 3600000, COUNT(*) FROM orders
				WHERE event_id = $1 AND state = 'completed' AND finished_at >= $2 AND finished_at < $3 GROUP BY 2`,
			func(rows *sql.Rows) error {
				var what string
				var h int64
				var n int
				if err := rows.Scan(&what, &h, &n); err != nil {
					return err
				}
				b := &hours[index[h*hourMS-s.offset]]
				switch what {
				case "redeemed":
					b.Redeemed = n
				case "ordered":
					b.Ordered = n
				default:
					b.Completed = n
				}
				return nil
			}, q.EventID, ms(s.from), ms(s.to), s.offset)
		if err != nil {
			return err
		}
		err = eachRow(ctx, c.q, `SELECT (submitted_at + $4) / 3600000, finished_at - submitted_at FROM orders
			WHERE event_id = $1 AND state = 'completed' AND submitted_at >= $2 AND submitted_at < $3
			ORDER BY 1, 2`, func(rows *sql.Rows) error {
			var h, d int64
			if err := rows.Scan(&h, &d); err != nil {
				return err
			}
			i := index[h*hourMS-s.offset]
			waits[i] = append(waits[i], d)
			return nil
		}, q.EventID, ms(s.from), ms(s.to), s.offset)
		if err != nil {
			return err
		}
	}
	for i, w := range waits {
		if len(w) > 0 {
			p := Percentile(w, 50)
			hours[i].WaitP50Ms = &p
		}
	}
	st.PerHour = hours
	if st.PerHour == nil {
		st.PerHour = []HourStats{}
	}
	return nil
}

// drinkOf reads the id and name of the drink an order holds, from its JSON
// column.
func drinkOf(raw sql.NullString) (id, name string, err error) {
	if !raw.Valid || raw.String == "" {
		return "", "", nil
	}
	var d struct{ ID, Name string }
	err = json.Unmarshal([]byte(raw.String), &d)
	return d.ID, d.Name, err
}

// byKey gathers a sorted sample by key, keeping it sorted and the keys in
// the order they were first seen.
type byKey struct {
	keys    []string
	names   map[string]string
	samples map[string][]int64
}

func newByKey() *byKey {
	return &byKey{names: map[string]string{}, samples: map[string][]int64{}}
}

func (b *byKey) add(key, name string, d int64) {
	if _, ok := b.samples[key]; !ok {
		b.keys = append(b.keys, key)
		b.names[key] = name
	}
	b.samples[key] = append(b.samples[key], d)
}

// drinks lists the per-drink summaries by drink id.
func (b *byKey) drinks() []DrinkSummary {
	out := []DrinkSummary{}
	for _, k := range slices.Sorted(slices.Values(b.keys)) {
		out = append(out, DrinkSummary{Drink: k, Name: b.names[k], Summary: summarize(b.samples[k])})
	}
	return out
}

func (c conn) statsWaits(ctx context.Context, q StatsQuery, st *Stats) error {
	var all []int64
	drinks := newByKey()
	err := eachRow(ctx, c.q, `SELECT drink, finished_at - submitted_at FROM orders
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3 AND state = 'completed' AND submitted_at IS NOT NULL
		ORDER BY 2, id`, func(rows *sql.Rows) error {
		var raw sql.NullString
		var d int64
		if err := rows.Scan(&raw, &d); err != nil {
			return err
		}
		id, name, err := drinkOf(raw)
		all = append(all, d)
		drinks.add(id, name, d)
		return err
	}, q.EventID, ms(q.From), ms(q.To))
	st.Wait = WaitStats{Overall: summarize(all), ByDrink: drinks.drinks()}
	return err
}

func (c conn) statsMakes(ctx context.Context, q StatsQuery, st *Stats) error {
	var all []int64
	drinks, baristas := newByKey(), newByKey()
	err := eachRow(ctx, c.q, `SELECT drink, barista_id, barista_name, finished_at - made_at FROM orders
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3 AND state = 'completed' AND made_at IS NOT NULL
		ORDER BY 4, id`, func(rows *sql.Rows) error {
		var raw sql.NullString
		var baristaID, baristaName string
		var d int64
		if err := rows.Scan(&raw, &baristaID, &baristaName, &d); err != nil {
			return err
		}
		id, name, err := drinkOf(raw)
		all = append(all, d)
		drinks.add(id, name, d)
		baristas.add(baristaID, baristaName, d)
		return err
	}, q.EventID, ms(q.From), ms(q.To))
	if err != nil {
		return err
	}
	completed := map[string]int{}
	err = eachRow(ctx, c.q, `SELECT h.actor, COALESCE(s.username, ''), COUNT(*) FROM order_history h
		JOIN orders o ON o.id = h.order_id
		LEFT JOIN staff s ON s.id = h.actor
		WHERE o.event_id = $1 AND o.created_at >= $2 AND o.created_at < $3 AND h.trigger = 'complete'
		GROUP BY h.actor, s.username`, func(rows *sql.Rows) error {
		var id, name string
		var n int
		if err := rows.Scan(&id, &name, &n); err != nil {
			return err
		}
		completed[id] = n
		if _, ok := baristas.names[id]; !ok {
			baristas.names[id] = name
		}
		return nil
	}, q.EventID, ms(q.From), ms(q.To))
	if err != nil {
		return err
	}
	st.Make = MakeStats{Overall: summarize(all), ByDrink: drinks.drinks(), ByBarista: []BaristaSummary{}}
	for id, name := range baristas.names {
		st.Make.ByBarista = append(st.Make.ByBarista, BaristaSummary{ID: id, Name: name, Completed: completed[id],
			Make: summarize(baristas.samples[id])})
	}
	slices.SortFunc(st.Make.ByBarista, func(a, b BaristaSummary) int {
		if a.Completed != b.Completed {
			return b.Completed - a.Completed
		}
		return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID)
	})
	return nil
}

func (c conn) statsNow(ctx context.Context, q StatsQuery, st *Stats) error {
	readySince, recent := q.Now.Add(-q.ReadyFor), q.Now.Add(-throughputWindow)
	n := &st.Now
	return c.q.QueryRowContext(ctx, `SELECT
			COUNT(CASE WHEN state = 'queued' THEN 1 END),
			COUNT(CASE WHEN state = 'making' THEN 1 END),
			COUNT(CASE WHEN state = 'completed' AND collected_at IS NULL AND finished_at >= $2 AND finished_at <= $4 THEN 1 END),
			COUNT(CASE WHEN state = 'completed' AND finished_at >= $3 AND finished_at <= $4 THEN 1 END)
		FROM orders
		WHERE event_id = $1 AND (state IN ('queued', 'making') OR finished_at >= $5)`,
		q.EventID, ms(readySince), ms(recent), ms(q.Now), min(ms(readySince), ms(recent))).
		Scan(&n.Queued, &n.Making, &n.Ready, &n.CompletedLast15)
}

// Completion is one recently completed order, as the wait estimate reads
// it: when it was finished and, if a barista made it, when they started.
type Completion struct {
	FinishedAt time.Time
	MadeAt     *time.Time
	Drink      string // the drink's id
	BaristaID  string
}

// RecentCompletions returns the bar's orders completed at or after since,
// newest first, at most limit of them.
func (c conn) RecentCompletions(ctx context.Context, eventID string, since time.Time, limit int) (_ []Completion, err error) {
	defer wrap(&err, "store.RecentCompletions")
	return collect(ctx, c.q, []Completion{}, `SELECT finished_at, made_at, drink, barista_id FROM orders
		WHERE event_id = $1 AND state = 'completed' AND finished_at >= $2
		ORDER BY finished_at DESC, id LIMIT $3`, func(row scanner) (Completion, error) {
		var cp Completion
		var finished int64
		var made sql.NullInt64
		var raw sql.NullString
		if err := row.Scan(&finished, &made, &raw, &cp.BaristaID); err != nil {
			return cp, err
		}
		cp.FinishedAt, cp.MadeAt = fromMS(finished), fromNullMS(made)
		var err error
		cp.Drink, _, err = drinkOf(raw)
		return cp, err
	}, eventID, ms(since), limit)
}

// Load is the work in front of a queued order: the bar's orders being
// made, and the queued orders ahead of it (queued before it).
type Load struct {
	Making int
	Ahead  int
}

// QueueLoad counts the work in front of o, o itself left out.
func (c conn) QueueLoad(ctx context.Context, o *presso.Order) (_ Load, err error) {
	defer wrap(&err, "store.QueueLoad")
	var l Load
	var submitted int64
	if o.SubmittedAt != nil {
		submitted = ms(*o.SubmittedAt)
	}
	err = c.q.QueryRowContext(ctx, queueLoadSQL, o.EventID, submitted, o.Number, o.ID).Scan(&l.Making, &l.Ahead)
	return l, err
}

// queueLoadSQL counts in the partial index orders_queue alone (each count
// repeats its condition, so SQLite may use it), then takes o's own row
// away by its key when the index counted it, rather than test every
// counted row's id, which would read each row.
const queueLoadSQL = `SELECT
		(SELECT COUNT(*) FROM orders
			WHERE event_id = $1 AND state = 'making' AND state IN ('queued', 'making'))
		- (SELECT COUNT(*) FROM orders
			WHERE id = $4 AND event_id = $1 AND state = 'making'),
		(SELECT COUNT(*) FROM orders
			WHERE event_id = $1 AND state = 'queued' AND state IN ('queued', 'making')
			AND submitted_at <= $2 AND (submitted_at < $2 OR number < $3))
		- (SELECT COUNT(*) FROM orders
			WHERE id = $4 AND event_id = $1 AND state = 'queued'
			AND submitted_at <= $2 AND (submitted_at < $2 OR number < $3))`

// OrdersBetween returns a bar's orders redeemed in [from, to), oldest
// first, for the CSV export.
func (c conn) OrdersBetween(ctx context.Context, eventID string, from, to time.Time) (_ []*presso.Order, err error) {
	defer wrap(&err, "store.OrdersBetween")
	return collect(ctx, c.q, []*presso.Order{}, `SELECT `+orderColumns+` FROM orders
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3
		ORDER BY created_at, id`, scanOrder, eventID, ms(from), ms(to))
}

// BarState is how many of a bar's orders are in one state.
type BarState struct {
	EventID string
	State   presso.State
	N       int
}

// InFlight counts the orders not yet ended, by bar and state.
func (c conn) InFlight(ctx context.Context) (_ []BarState, err error) {
	defer wrap(&err, "store.InFlight")
	return collect(ctx, c.q, []BarState{}, `SELECT event_id, state, COUNT(*) FROM orders
		WHERE state IN ('waiting', 'queued', 'making')
		GROUP BY event_id, state ORDER BY 1, 2`, func(row scanner) (BarState, error) {
		var b BarState
		return b, row.Scan(&b.EventID, &b.State, &b.N)
	})
}

// OutboxBacklog is how many events wait for the relay and when the oldest
// of them was written (ok is false when none waits).
func (c conn) OutboxBacklog(ctx context.Context) (n int, oldest time.Time, ok bool, err error) {
	defer wrap(&err, "store.OutboxBacklog")
	var first sql.NullInt64
	if err := c.q.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE published_at IS NULL`).Scan(&n, &first); err != nil {
		return 0, time.Time{}, false, err
	}
	if !first.Valid {
		return n, time.Time{}, false, nil
	}
	return n, fromMS(first.Int64), true, nil
}

// StepAt is when step seq of an order's history happened (ok is false when
// there is no such step): the time of the step before a transition, for
// the log's "ms since the previous step".
func (c conn) StepAt(ctx context.Context, orderID string, seq int64) (_ time.Time, ok bool, err error) {
	defer wrap(&err, "store.StepAt")
	var at int64
	err = c.q.QueryRowContext(ctx, `SELECT at FROM order_history WHERE order_id = $1 AND seq = $2`, orderID, seq).Scan(&at)
	if err == sql.ErrNoRows {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return fromMS(at), true, nil
}

// ActorNames maps the ids of staff accounts and customers to their
// usernames and names; ids that are neither are left out.
func (c conn) ActorNames(ctx context.Context, ids []string) (_ map[string]string, err error) {
	defer wrap(&err, "store.ActorNames")
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i], ph[i] = id, fmt.Sprintf("$%d", i+1)
	}
	in := strings.Join(ph, ", ")
	err = eachRow(ctx, c.q, `SELECT id, username FROM staff WHERE id IN (`+in+`)
		UNION ALL
		SELECT id, name FROM customers WHERE id IN (`+in+`)`, func(rows *sql.Rows) error {
		var id, name string
		err := rows.Scan(&id, &name)
		names[id] = name
		return err
	}, args...)
	return names, err
}
