package main

import (
	"strings"
	"testing"
)

// azStatsRows are the matrix rows of the day's figures (issue 10): the
// stats and the CSV for the bar's staff, an order's journey for the staff
// of its bar only (its owner included, it does not exist for anyone else),
// and the workflow's table for anyone.
func azStatsRows() []azRow {
	staffOfX := azWant{401, 403, 403, 200, 403, 200, 200}
	staffOfY := azWant{401, 403, 403, 403, 200, 403, 200}
	// One order of customer A per bar, made on first use and shared by
	// the read-only rows.
	orders := map[string]string{}
	orderAt := func(t *testing.T, e *azEnv, bar string) string {
		if orders[bar] == "" {
			orders[bar] = e.order(t, bar, "queued")
		}
		return orders[bar]
	}
	journey := func(bar string) func(*testing.T, *azEnv, azWho) azReq {
		return func(t *testing.T, e *azEnv, _ azWho) azReq {
			id := orderAt(t, e, bar)
			return azReq{method: "GET", path: "/api/orders/" + id + "/journey", fix: id}
		}
	}
	journeyOf := func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
		if r.status == 200 && !strings.Contains(string(r.body), `"id":"`+q.fix+`"`) {
			t.Errorf("journey = %s, want order %s", r.body, q.fix)
		}
	}
	csv := func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
		if r.status != 200 {
			return
		}
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(string(r.body), "number,order_id,") {
			t.Errorf("CSV = %q %.40s, want text/csv starting with its header", ct, r.body)
		}
	}
	return []azRow{
		{name: "GET /api/events/X/stats", want: staffOfX, req: azStatic("GET", "/api/events/"+azBarX+"/stats", nil)},
		{name: "GET /api/events/Y/stats", want: staffOfY, req: azStatic("GET", "/api/events/"+azBarY+"/stats", nil)},
		{name: "GET /api/events/missing/stats", want: azSignedIn(404), req: azStatic("GET", "/api/events/missing/stats", nil)},
		{name: "GET /api/events/X/orders.csv", want: staffOfX, req: azStatic("GET", "/api/events/"+azBarX+"/orders.csv", nil), check: csv},
		{name: "GET /api/events/Y/orders.csv", want: staffOfY, req: azStatic("GET", "/api/events/"+azBarY+"/orders.csv", nil), check: csv},
		{name: "GET /api/orders/{id}/journey", want: azWant{401, 404, 404, 200, 404, 200, 200}, req: journey(azBarX), check: journeyOf},
		{name: "GET /api/orders/{Y}/journey", want: azWant{401, 404, 404, 404, 200, 404, 200}, req: journey(azBarY), check: journeyOf},
		{name: "GET /api/orders/{missing}/journey", want: azSignedIn(404), req: azStatic("GET", "/api/orders/o_doesnotexist/journey", nil)},
		{name: "GET /api/workflow", want: azAll(200), req: azStatic("GET", "/api/workflow", nil)},
	}
}
