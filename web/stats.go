package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"presso"
	"presso/orders"
	"presso/publisher"
)

// The day's figures: the stats, the CSV export, an order's journey and the
// workflow it follows.

// barStats handles GET /api/events/{event}/stats?from=&to=.
func (s *Server) barStats(w http.ResponseWriter, r *http.Request, who presso.Identity, bar *presso.Bar) error {
	from, to, err := statsWindow(r, bar, s.Now())
	if err != nil {
		return err
	}
	st, err := s.Orders.Stats(r.Context(), who, bar, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// statsWindow reads ?from= and ?to=: RFC 3339 times, or bar-local dates
// (YYYY-MM-DD), a date being its whole day: from its start, to its end.
// Without from the window starts at the bar's midnight today; without to
// it ends at the end of from's local day.
func statsWindow(r *http.Request, bar *presso.Bar, now time.Time) (from, to time.Time, err error) {
	loc := bar.Location()
	parse := func(field string, endOfDay bool) (time.Time, bool, error) {
		v := r.URL.Query().Get(field)
		if v == "" {
			return time.Time{}, false, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return time.Time{}, false, presso.Invalid(field, "%s must be an RFC 3339 time or a date (YYYY-MM-DD), not %q", field, v)
		}
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, true, nil
	}
	from, ok, err := parse("from", false)
	if err != nil {
		return from, to, err
	}
	if !ok {
		from = orders.DayStart(bar, now)
	}
	to, ok, err = parse("to", true)
	if err != nil {
		return from, to, err
	}
	if !ok {
		to = bar.NextDay(from)
	}
	return from, to, nil
}

// csvHeader names the export's columns. Times are in the bar's time zone,
// RFC 3339 with its offset; durations in seconds.
func csvHeader() []string {
	return []string{"number", "order_id", "day", "state", "cause", "walkup", "drink", "modifiers", "barista",
		"redeemed_at", "chosen_at", "made_at", "ready_at", "collected_at", "wait_s", "make_s"}
}

// ordersCSV handles GET /api/events/{event}/orders.csv?from=&to=: one row
// per order redeemed in the window (as for the stats), oldest first. It
// carries no customer's name.
func (s *Server) ordersCSV(w http.ResponseWriter, r *http.Request, who presso.Identity, bar *presso.Bar) error {
	from, to, err := statsWindow(r, bar, s.Now())
	if err != nil {
		return err
	}
	list, err := s.Orders.Export(r.Context(), who, bar, from, to)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="presso-`+bar.ID+`-`+bar.Day(from)+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(csvHeader())
	for _, o := range list {
		cw.Write(csvRow(o, bar.Location()))
	}
	cw.Flush()
	return nil
}

// csvRow is one order's row, every cell safe to open in a spreadsheet.
func csvRow(o *presso.Order, loc *time.Location) []string {
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(time.RFC3339Nano)
	}
	secs := func(a, b *time.Time) string {
		if a == nil || b == nil {
			return ""
		}
		return strconv.FormatFloat(b.Sub(*a).Seconds(), 'f', -1, 64)
	}
	var drink, mods string
	if o.Drink != nil {
		drink = o.Drink.Name
		var m []string
		for _, mod := range o.Drink.Modifiers {
			m = append(m, mod.GroupName+": "+mod.OptionName)
		}
		mods = strings.Join(m, "; ")
	}
	var wait, made string
	if o.State == presso.StateCompleted {
		wait, made = secs(o.SubmittedAt, o.FinishedAt), secs(o.MadeAt, o.FinishedAt)
	}
	number := ""
	if o.Number > 0 {
		number = strconv.FormatInt(o.Number, 10)
	}
	created := o.CreatedAt
	row := []string{number, o.ID, o.Day, string(o.State), o.Cause, strconv.FormatBool(o.Walkup), drink, mods, o.BaristaName,
		at(&created), at(o.SubmittedAt), at(o.MadeAt), at(o.FinishedAt), at(o.CollectedAt), wait, made}
	for i, cell := range row {
		row[i] = csvSafe(cell)
	}
	return row
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: one that
// starts with = + - @ (or a tab or carriage return, which some read past)
// gets a leading apostrophe. encoding/csv does the quoting.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// orderJourney handles GET /api/orders/{id}/journey.
func (s *Server) orderJourney(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	j, err := s.Orders.JourneyOf(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

// workflow handles GET /api/workflow: the order workflow's table.
func (s *Server) workflow(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, orders.DescribeWorkflow(orders.Machine()))
}

// channelName is how the metrics name a kind of SSE channel.
func channelName(k publisher.Kind) string {
	switch k {
	case publisher.Board:
		return "board"
	case publisher.Store:
		return "store"
	}
	return "user"
}
