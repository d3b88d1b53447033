package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// azWalkups is the walk-ups a bar holds under name, as an admin sees them.
func azWalkups(t *testing.T, e *azEnv, bar, name string) []rushOrder {
	t.Helper()
	var out struct{ Orders []rushOrder }
	e.must(t, azAdmin, 200, "GET", "/api/events/"+bar+"/orders?state=queued", nil, &out)
	var got []rushOrder
	for _, o := range out.Orders {
		if o.UserName == name {
			got = append(got, o)
		}
	}
	return got
}

// azWalkupRow takes a walk-up at bar under a fresh name; an allowed
// request leaves exactly that walk-up, a refused one none.
func azWalkupRow(name, bar string, want azWant) azRow {
	return azRow{
		name: name,
		want: want,
		req: func(t *testing.T, e *azEnv, who azWho) azReq {
			n := e.unique("Walk " + who.String() + " ")
			return azReq{method: "POST", path: "/api/events/" + bar + "/walkups",
				body: map[string]any{"name": n, "drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, fix: n}
		},
		check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
			if bar == "missing" {
				return
			}
			got := azWalkups(t, e, bar, q.fix)
			if r.status != 201 {
				if len(got) != 0 {
					t.Errorf("a refused walk-up was taken: %+v", got)
				}
				return
			}
			var o rushOrder
			json.Unmarshal(r.body, &o)
			if len(got) != 1 || got[0].ID != o.ID || !o.Walkup || o.UserID != "" || o.State != "queued" || o.Number == 0 {
				t.Errorf("answer %s, stored %+v: want one queued, numbered walk-up of no customer", r.body, got)
			}
		},
	}
}

// azRushRows are the rows of walk-ups, "Call again", the code check, the
// API page and --dev's try link.
func azRushRows() []azRow {
	code := func(t *testing.T, e *azEnv) string {
		t.Helper()
		var q struct{ Code string }
		e.must(t, azAdmin, 200, "GET", "/api/events/"+azBarX+"/qr", nil, &q)
		return q.Code
	}
	return []azRow{
		azWalkupRow("POST /api/events/X/walkups", azBarX, azWant{401, 403, 403, 201, 403, 403, 201}),
		azWalkupRow("POST /api/events/Y/walkups", azBarY, azWant{401, 403, 403, 403, 201, 403, 201}),
		azWalkupRow("POST /api/events/missing/walkups", "missing", azWant{401, 403, 403, 403, 403, 403, 404}),
		{name: "POST /api/orders/{completed}/call", want: azWant{401, 403, 404, 200, 404, 403, 200},
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				id := e.order(t, azBarX, "completed")
				return azReq{method: "POST", path: "/api/orders/" + id + "/call", fix: id}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				var o rushOrder
				e.must(t, azAdmin, 200, "GET", "/api/orders/"+q.fix, nil, &o)
				if o.State != "completed" || (o.CalledAt != nil) != (r.status == 200) {
					t.Errorf("order %s calledAt %v after a %d", o.State, o.CalledAt, r.status)
				}
			}},
		{name: "GET /api/events/X/codes/{code}", want: azAll(200),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				return azReq{method: "GET", path: "/api/events/" + azBarX + "/codes/" + code(t, e)}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if !strings.HasPrefix(string(r.body), `{"valid":true,"remaining":`) {
					t.Errorf("answer %s, want a valid code", r.body)
				}
			}},
		{name: "GET /api/events/X/codes/{unknown}", want: azAll(400), req: azStatic("GET", "/api/events/"+azBarX+"/codes/nonsense", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if r.errCode() != "invalid_code" {
					t.Errorf("answer %s, want invalid_code", r.body)
				}
			}},
		{name: "GET /api/events/missing/codes/{code}", want: azAll(404), req: azStatic("GET", "/api/events/missing/codes/nonsense", nil)},
		{name: "GET /api/", want: azAll(200), req: azStatic("GET", "/api/", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(string(r.body), "<h1>presso HTTP API</h1>") {
					t.Errorf("GET /api/ = %s %.80s, want the API page", ct, r.body)
				}
			}},
		{name: "GET /api/events/X/try (--dev)", want: azAll(200), req: azStatic("GET", "/api/events/"+azBarX+"/try", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if want := `{"url":"/order/` + azBarX + `?code=` + code(t, e) + `"}`; string(r.body) != want {
					t.Errorf("answer %s, want %s", r.body, want)
				}
			}},
	}
}
