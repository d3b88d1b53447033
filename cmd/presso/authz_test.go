package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	api "presso/client"
)

// This file is the authorisation matrix: every API route against every
// kind of caller, with the exact status each must get (docs/api.md and the
// authorisation rules of decisions.md). All helpers are prefixed "az".

// azWho is one caller of the matrix.
type azWho int

const (
	azAnon     azWho = iota // no session
	azCustA                 // the customer who owns the orders under test
	azCustB                 // another customer
	azBaristaX              // barista of the demo bar (X)
	azBaristaY              // barista of the other bar (Y)
	azDisplayX              // display of the demo bar
	azAdmin
	azCount
)

var azNames = [azCount]string{"anonymous", "customerA", "customerB", "baristaX", "baristaY", "displayX", "admin"}

func (w azWho) String() string { return azNames[w] }

// azWant is the expected status for each caller.
type azWant struct{ Anon, A, B, BX, BY, DX, Admin int }

func (w azWant) get(who azWho) int {
	return [azCount]int{w.Anon, w.A, w.B, w.BX, w.BY, w.DX, w.Admin}[who]
}

// all is the same status for everyone.
func azAll(code int) azWant { return azWant{code, code, code, code, code, code, code} }

// azSignedIn is 401 for anonymous callers and code for everyone else.
func azSignedIn(code int) azWant { return azWant{401, code, code, code, code, code, code} }

const (
	azBarX = "demo"
	azBarY = "other"
)

// azEnv is one server with a session for each caller. Requests carry the
// caller's cookie explicitly and keep no cookie jar, so no answer (a
// sign-in, a sign-out) can change who a caller is.
type azEnv struct {
	s      *server
	hc     *http.Client
	tokens [azCount]string
	ids    [azCount]string
	creds  [azCount][2]string
	seq    atomic.Int64
}

// azToken is the session cookie a harness client holds.
func azToken(t testing.TB, c *client) string {
	t.Helper()
	u, _ := url.Parse(c.api.Base)
	for _, ck := range c.api.HTTP.Jar.Cookies(u) {
		if ck.Name == azCookie {
			return ck.Value
		}
	}
	t.Fatalf("no %s cookie", azCookie)
	return ""
}

const azCookie = "presso_session"

// azLimits lets a bar take as many orders as the tests place: customer A
// owns dozens, and codes must not sell out.
var azLimits = map[string]int{"drinksPerCode": 10000, "windowSeconds": 300, "maxQueue": 100000, "maxPerCustomer": 1000}

// newAzEnv starts a server with the demo bar X, a second bar Y, a barista
// of Y and a session for every caller.
func newAzEnv(t *testing.T) *azEnv {
	t.Helper()
	e := &azEnv{s: startServer(t, ""), hc: &http.Client{}}
	admin := e.s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/"+azBarX, map[string]any{"limits": azLimits}, nil)
	admin.must(201, "POST", "/api/events", map[string]any{"id": azBarY, "name": "Other bar", "signInMode": "name", "open": true, "limits": azLimits}, nil)
	admin.must(201, "POST", "/api/staff", map[string]string{"username": "barista-other", "password": "other", "role": "barista", "eventId": azBarY}, nil)
	e.creds = [azCount][2]string{azBaristaX: {"barista", "barista"}, azBaristaY: {"barista-other", "other"},
		azDisplayX: {"display", "display"}, azAdmin: {"admin", "admin"}}
	clients := [azCount]*client{
		azCustA:    e.s.emailCustomer(t, "ann@example.com"), // by e-mail code: a name session orders at its own bar only, and A orders at X and Y
		azCustB:    e.s.customer(t, "Bob"),
		azBaristaX: e.s.staff(t, "barista", "barista"),
		azBaristaY: e.s.staff(t, "barista-other", "other"),
		azDisplayX: e.s.staff(t, "display", "display"),
		azAdmin:    admin,
	}
	for who, c := range clients {
		if c == nil {
			continue
		}
		e.tokens[who] = azToken(t, c)
		var me struct{ ID string }
		c.must(200, "GET", "/api/me", nil, &me)
		e.ids[who] = me.ID
	}
	return e
}

// azResp is one answer.
type azResp struct {
	status int
	header http.Header
	body   []byte // for an SSE stream, the first data line's JSON
}

// errCode is the error.code of a JSON error answer.
func (r azResp) errCode() string {
	var out struct {
		Error struct{ Code, Field, Message string }
	}
	json.Unmarshal(r.body, &out)
	return out.Error.Code
}

// call sends one request with token's session (none if empty) and extra
// headers. An SSE answer is read up to its first message, then closed.
func (e *azEnv) call(t testing.TB, token, method, path string, body any, hdr map[string]string) azResp {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: azCookie, Value: token})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := azResp{status: resp.StatusCode, header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out.body = []byte(line)
				break
			}
		}
		return out
	}
	out.body, _ = io.ReadAll(resp.Body)
	out.body = bytes.TrimSpace(out.body)
	return out
}

// as is call with the caller's own session.
func (e *azEnv) as(t testing.TB, who azWho, method, path string, body any) azResp {
	t.Helper()
	return e.call(t, e.tokens[who], method, path, body, nil)
}

// must is as, failing unless the status is want.
func (e *azEnv) must(t testing.TB, who azWho, want int, method, path string, body any, out any) {
	t.Helper()
	r := e.as(t, who, method, path, body)
	if r.status != want {
		t.Fatalf("%s: %s %s = %d %s, want %d", who, method, path, r.status, r.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// unique returns a fresh name with the prefix.
func (e *azEnv) unique(prefix string) string { return fmt.Sprintf("%s%d", prefix, e.seq.Add(1)) }

// startOrder starts an order at bar for who with the bar's current code.
// A code can expire between reading and using it at a window boundary,
// so a 410 is retried once.
func (e *azEnv) startOrder(t testing.TB, who azWho, bar string) string {
	t.Helper()
	for attempt := 0; ; attempt++ {
		var q struct{ Code string }
		e.must(t, azAdmin, 200, "GET", "/api/events/"+bar+"/qr", nil, &q)
		r := e.as(t, who, "POST", "/api/events/"+bar+"/orders", map[string]string{"code": q.Code})
		if r.status == 410 && attempt == 0 {
			continue
		}
		if r.status != 201 {
			t.Fatalf("start order at %s as %s = %d %s", bar, who, r.status, r.body)
		}
		var o apiOrder
		json.Unmarshal(r.body, &o)
		return o.ID
	}
}

// order makes a fresh order of customer A at bar in state ("waiting",
// "queued" or "making").
func (e *azEnv) order(t testing.TB, bar, state string) string {
	t.Helper()
	id := e.startOrder(t, azCustA, bar)
	if state == "waiting" {
		return id
	}
	e.must(t, azCustA, 200, "PUT", "/api/orders/"+id+"/drink", map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, nil)
	if state == "queued" {
		return id
	}
	e.must(t, azAdmin, 200, "POST", "/api/orders/"+id+"/make", nil, nil)
	if state == "making" {
		return id
	}
	e.must(t, azAdmin, 200, "POST", "/api/orders/"+id+"/complete", nil, nil)
	if state == "completed" {
		return id
	}
	t.Fatalf("no fixture for state %q", state)
	return ""
}

// orderState is the order's state and number as an admin sees them.
func (e *azEnv) orderState(t testing.TB, id string) apiOrder {
	t.Helper()
	var o apiOrder
	e.must(t, azAdmin, 200, "GET", "/api/orders/"+id, nil, &o)
	return o
}

// bar is the bar's JSON as anyone sees it.
func (e *azEnv) bar(t testing.TB, id string) map[string]any {
	t.Helper()
	var b map[string]any
	e.must(t, azAnon, 200, "GET", "/api/events/"+id, nil, &b)
	return b
}

// freshToken is a new session for a caller of the same kind, to be signed
// out without losing the matrix's own session. Customers get a new
// customer (a name sign-in always makes one).
func (e *azEnv) freshToken(t testing.TB, who azWho) string {
	t.Helper()
	var r azResp
	switch who {
	case azAnon:
		return ""
	case azCustA, azCustB:
		r = e.call(t, "", "POST", "/api/customer/session", map[string]string{"eventId": azBarX, "name": "Fresh"}, nil)
	default:
		r = e.call(t, "", "POST", "/api/staff/session", map[string]string{"username": e.creds[who][0], "password": e.creds[who][1]}, nil)
	}
	return r.session(t, fmt.Sprintf("fresh session for %s", who))
}

// session is the session token a sign-in answered with; anything but a
// 200 with the cookie fails the test.
func (r azResp) session(t testing.TB, what string) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s = %d %s", what, r.status, r.body)
	}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == azCookie {
			return ck.Value
		}
	}
	t.Fatalf("%s: no cookie", what)
	return ""
}

// azReq is one request of a row, built for one caller.
type azReq struct {
	token  string // overrides the caller's session when set
	method string
	path   string
	body   any
	fix    string // a fixture the check needs (an order id, a name)
}

// azRow is one route (and fixture) of the matrix.
type azRow struct {
	name string
	want azWant
	// req builds the request for one caller, with a fresh fixture if the
	// route changes state.
	req func(t *testing.T, e *azEnv, who azWho) azReq
	// check, if set, verifies the effect of an allowed request and that a
	// refused one changed nothing.
	check func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp)
}

// azStatic is a row whose request is the same for every caller.
func azStatic(method, path string, body any) func(*testing.T, *azEnv, azWho) azReq {
	return func(*testing.T, *azEnv, azWho) azReq { return azReq{method: method, path: path, body: body} }
}

// azOrderAction is a row acting on a fresh order of customer A at bar in
// state from; an allowed request leaves it in state to, a refused one
// leaves it as it was.
func azOrderAction(name, bar, from, method, action string, body any, to string, want azWant) azRow {
	return azRow{
		name: name,
		want: want,
		req: func(t *testing.T, e *azEnv, who azWho) azReq {
			id := e.order(t, bar, from)
			return azReq{method: method, path: "/api/orders/" + id + "/" + action, body: body, fix: id}
		},
		check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
			o := e.orderState(t, q.fix)
			wantState := from
			if r.status == 200 {
				wantState = to
				var got apiOrder
				json.Unmarshal(r.body, &got)
				if got.ID != q.fix || got.State != to {
					t.Errorf("answer = %s, want order %s in state %s", r.body, q.fix, to)
				}
			}
			if o.State != wantState {
				t.Errorf("order is %s after a %d, want %s", o.State, r.status, wantState)
			}
			if wantState == "waiting" && (o.Number != 0 || o.Drink != nil) {
				t.Errorf("waiting order has number %d, drink %v", o.Number, o.Drink)
			}
		},
	}
}

// azStreamKind checks which channel a bar stream gave: the board (its
// snapshot lists orders) for staff of the bar, the store channel for
// everyone else.
func azStreamKind(board ...azWho) func(*testing.T, *azEnv, azWho, azReq, azResp) {
	return func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
		var m struct {
			Type   string
			Detail map[string]any
		}
		if err := json.Unmarshal(r.body, &m); err != nil || m.Type != "snapshot" {
			t.Fatalf("first message %q, want a snapshot", r.body)
		}
		_, hasOrders := m.Detail["orders"]
		wantBoard := false
		for _, b := range board {
			wantBoard = wantBoard || b == who
		}
		if hasOrders != wantBoard {
			t.Errorf("%s got the board channel = %v, want %v (snapshot keys %v)", who, hasOrders, wantBoard, azKeys(m.Detail))
		}
	}
}

func azKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// azBarUnchanged checks after a PATCH of bar: an allowed request changed
// field to value (and is undone), a refused one changed nothing.
func azBarPatch(bar, field string, value any, restore any) (func(*testing.T, *azEnv, azWho) azReq, func(*testing.T, *azEnv, azWho, azReq, azResp)) {
	var before map[string]any
	req := func(t *testing.T, e *azEnv, who azWho) azReq {
		before = e.bar(t, bar)
		return azReq{method: "PATCH", path: "/api/events/" + bar, body: map[string]any{field: value}}
	}
	check := func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
		after := e.bar(t, bar)
		if r.status == 200 {
			if fmt.Sprint(after[field]) != fmt.Sprint(value) {
				t.Errorf("%s = %v after a 200, want %v", field, after[field], value)
			}
			e.must(t, azAdmin, 200, "PATCH", "/api/events/"+bar, map[string]any{field: restore}, nil)
			after = e.bar(t, bar)
		}
		if a, b := azJSON(t, after), azJSON(t, before); a != b {
			t.Errorf("bar changed:\nbefore %s\nafter  %s", b, a)
		}
	}
	return req, check
}

func azJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// azErrorCodes is the error.code each refusal status must carry.
var azErrorCodes = map[int]string{401: "unauthenticated", 403: "forbidden", 404: "not_found"}

// TestAuthzMatrix runs every API route as every kind of caller.
func TestAuthzMatrix(t *testing.T) {
	e := newAzEnv(t)
	shared := e.order(t, azBarX, "waiting")  // read-only rows share one order of A at X
	sharedY := e.order(t, azBarY, "waiting") // and one of A at Y
	// Its own account, so the per-username sign-in limit has room.
	e.must(t, azAdmin, 201, "POST", "/api/staff", map[string]string{"username": "session-probe", "password": "probe", "role": "display", "eventId": azBarX}, nil)
	staffOfX := azWant{401, 403, 403, 200, 403, 200, 200}
	staffOfY := azWant{401, 403, 403, 403, 200, 403, 200}
	seeOrderX := azWant{401, 200, 404, 200, 404, 200, 200}
	workOrderX := azWant{401, 403, 404, 200, 404, 403, 200}
	cancelOrderX := azWant{401, 200, 404, 200, 404, 403, 200}

	patchOpenReq, patchOpenCheck := azBarPatch(azBarX, "open", false, true)
	patchNameReq, patchNameCheck := azBarPatch(azBarX, "name", "Renamed bar", "Demo bar")
	patchOpenYReq, patchOpenYCheck := azBarPatch(azBarY, "open", false, true)

	rows := []azRow{
		// Public routes.
		{name: "GET /healthz", want: azAll(200), req: azStatic("GET", "/healthz", nil)},
		{name: "GET /readyz", want: azAll(200), req: azStatic("GET", "/readyz", nil)},
		{name: "GET /api/events", want: azAll(200), req: azStatic("GET", "/api/events", nil)},
		{name: "GET /api/events/X", want: azAll(200), req: azStatic("GET", "/api/events/"+azBarX, nil)},
		{name: "GET /api/events/Y", want: azAll(200), req: azStatic("GET", "/api/events/"+azBarY, nil)},
		{name: "GET /api/no-such-route", want: azAll(404), req: azStatic("GET", "/api/no-such-route", nil)},
		{name: "GET /api/events/X/stream", want: azAll(200), req: azStatic("GET", "/api/events/"+azBarX+"/stream", nil),
			check: azStreamKind(azBaristaX, azDisplayX, azAdmin)},
		{name: "GET /api/events/Y/stream", want: azAll(200), req: azStatic("GET", "/api/events/"+azBarY+"/stream", nil),
			check: azStreamKind(azBaristaY, azAdmin)},

		// Identity.
		{name: "POST /api/staff/session", want: azAll(200),
			req: azStatic("POST", "/api/staff/session", map[string]string{"username": "session-probe", "password": "probe"})},
		{name: "POST /api/customer/code", want: azAll(202),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				return azReq{method: "POST", path: "/api/customer/code", body: map[string]string{"email": e.unique("probe") + "@example.com"}}
			}},
		{name: "POST /api/customer/session", want: azAll(200),
			req: azStatic("POST", "/api/customer/session", map[string]string{"eventId": azBarX, "name": "Probe"})},
		{name: "DELETE /api/session", want: azAll(204),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				return azReq{token: e.freshToken(t, who), method: "DELETE", path: "/api/session"}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if who == azAnon {
					return
				}
				if got := e.call(t, q.token, "GET", "/api/me", nil, nil).status; got != 401 {
					t.Errorf("signed-out session: GET /api/me = %d, want 401", got)
				}
				if got := e.as(t, who, "GET", "/api/me", nil).status; got != 200 {
					t.Errorf("the caller's other session: GET /api/me = %d, want 200", got)
				}
			}},
		{name: "GET /api/me", want: azSignedIn(200), req: azStatic("GET", "/api/me", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				var me struct{ ID, Role, EventID string }
				json.Unmarshal(r.body, &me)
				wantRole := map[azWho]string{azCustA: "customer", azCustB: "customer", azBaristaX: "barista", azBaristaY: "barista", azDisplayX: "display", azAdmin: "admin"}[who]
				if r.status == 200 && (me.ID != e.ids[who] || me.Role != wantRole) {
					t.Errorf("me = %s, want id %s role %s", r.body, e.ids[who], wantRole)
				}
			}},
		{name: "GET /api/me/orders", want: azSignedIn(200), req: azStatic("GET", "/api/me/orders", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				var out struct{ Orders []apiOrder }
				json.Unmarshal(r.body, &out)
				for _, o := range out.Orders {
					if o.UserID != e.ids[who] {
						t.Errorf("%s's own orders include %s of %s", who, o.ID, o.UserID)
					}
				}
				if who == azCustA && len(out.Orders) < 2 {
					t.Errorf("customer A sees %d orders, want at least 2", len(out.Orders))
				}
			}},
		{name: "GET /api/me/stream", want: azSignedIn(200), req: azStatic("GET", "/api/me/stream", nil)},
		{name: "POST /api/staff", want: azWant{401, 403, 403, 403, 403, 403, 201},
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				name := e.unique("made-by-" + who.String() + "-")
				return azReq{method: "POST", path: "/api/staff", body: map[string]string{"username": name, "password": "pw", "role": "barista", "eventId": azBarX}, fix: name}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if r.status == 201 {
					return
				}
				// The refused account must not exist: an admin can still make it.
				if got := e.as(t, azAdmin, "POST", "/api/staff", map[string]string{"username": q.fix, "password": "pw", "role": "barista", "eventId": azBarX}); got.status != 201 {
					t.Errorf("refused account %s exists: admin create = %d %s", q.fix, got.status, got.body)
				}
			}},

		// Bars.
		{name: "POST /api/events", want: azWant{401, 403, 403, 403, 403, 403, 201},
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				id := e.unique("bar-")
				return azReq{method: "POST", path: "/api/events", body: map[string]string{"id": id, "name": "Bar " + id, "signInMode": "name"}, fix: id}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				want := 404
				if r.status == 201 {
					want = 200
				}
				if got := e.as(t, azAnon, "GET", "/api/events/"+q.fix, nil).status; got != want {
					t.Errorf("GET the bar after a %d = %d, want %d", r.status, got, want)
				}
			}},
		{name: "PATCH /api/events/X open", want: azWant{401, 403, 403, 200, 403, 403, 200}, req: patchOpenReq, check: patchOpenCheck},
		{name: "PATCH /api/events/X name", want: azWant{401, 403, 403, 403, 403, 403, 200}, req: patchNameReq, check: patchNameCheck},
		{name: "PATCH /api/events/Y open", want: azWant{401, 403, 403, 403, 200, 403, 200}, req: patchOpenYReq, check: patchOpenYCheck},
		{name: "GET /api/events/X/qr", want: staffOfX, req: azStatic("GET", "/api/events/"+azBarX+"/qr", nil)},
		{name: "GET /api/events/X/qr.svg", want: staffOfX, req: azStatic("GET", "/api/events/"+azBarX+"/qr.svg", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if ct := r.header.Get("Content-Type"); r.status == 200 && ct != "image/svg+xml" {
					t.Errorf("Content-Type %q", ct)
				}
			}},
		{name: "GET /api/events/Y/qr", want: staffOfY, req: azStatic("GET", "/api/events/"+azBarY+"/qr", nil)},
		{name: "GET /api/events/Y/qr.svg", want: staffOfY, req: azStatic("GET", "/api/events/"+azBarY+"/qr.svg", nil)},
		{name: "GET /api/events/X/orders", want: staffOfX, req: azStatic("GET", "/api/events/"+azBarX+"/orders", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				var out struct{ Orders []apiOrder }
				json.Unmarshal(r.body, &out)
				for _, o := range out.Orders {
					if o.EventID != azBarX {
						t.Errorf("X's list holds order %s of %s", o.ID, o.EventID)
					}
				}
			}},
		{name: "GET /api/events/Y/orders", want: staffOfY, req: azStatic("GET", "/api/events/"+azBarY+"/orders", nil)},
		{name: "POST /api/events/X/orders", want: azSignedIn(201),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				var q struct{ Code string }
				e.must(t, azAdmin, 200, "GET", "/api/events/"+azBarX+"/qr", nil, &q)
				return azReq{method: "POST", path: "/api/events/" + azBarX + "/orders", body: map[string]string{"code": q.Code}}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if r.status != 201 {
					return
				}
				var o apiOrder
				json.Unmarshal(r.body, &o)
				if o.UserID != e.ids[who] || o.State != "waiting" || o.EventID != azBarX {
					t.Errorf("order = %s, want a waiting order of %s at X", r.body, e.ids[who])
				}
			}},

		// A bar that does not exist.
		{name: "GET /api/events/missing", want: azAll(404), req: azStatic("GET", "/api/events/missing", nil)},
		{name: "GET /api/events/missing/stream", want: azAll(404), req: azStatic("GET", "/api/events/missing/stream", nil)},
		{name: "GET /api/events/missing/qr", want: azSignedIn(404), req: azStatic("GET", "/api/events/missing/qr", nil)},
		{name: "GET /api/events/missing/orders", want: azWant{401, 403, 403, 403, 403, 403, 404}, req: azStatic("GET", "/api/events/missing/orders", nil)},
		{name: "PATCH /api/events/missing", want: azSignedIn(404), req: azStatic("PATCH", "/api/events/missing", map[string]bool{"open": false})},
		{name: "POST /api/events/missing/orders", want: azSignedIn(404), req: azStatic("POST", "/api/events/missing/orders", map[string]string{"code": "x"})},

		// Orders of customer A at bar X.
		{name: "GET /api/orders/{id}", want: seeOrderX, req: azStatic("GET", "/api/orders/"+shared, nil)},
		{name: "GET /api/orders/{id}/history", want: seeOrderX, req: azStatic("GET", "/api/orders/"+shared+"/history", nil)},
		{name: "GET /api/orders/{missing}", want: azSignedIn(404), req: azStatic("GET", "/api/orders/o_doesnotexist", nil)},
		{name: "GET /api/orders/{missing}/history", want: azSignedIn(404), req: azStatic("GET", "/api/orders/o_doesnotexist/history", nil)},
		{name: "POST /api/orders/{id}/no-such-action", want: azSignedIn(404), req: azStatic("POST", "/api/orders/"+shared+"/brew", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if o := e.orderState(t, shared); o.State != "waiting" {
					t.Errorf("order is %s, want waiting", o.State)
				}
			}},
		azOrderAction("PUT /api/orders/{waiting}/drink", azBarX, "waiting", "PUT", "drink",
			map[string]any{"drink": "americano"}, "queued", azWant{401, 200, 404, 403, 404, 403, 403}),
		azOrderAction("POST /api/orders/{queued}/make", azBarX, "queued", "POST", "make", nil, "making", workOrderX),
		azOrderAction("POST /api/orders/{making}/unmake", azBarX, "making", "POST", "unmake", nil, "queued", workOrderX),
		azOrderAction("POST /api/orders/{queued}/complete", azBarX, "queued", "POST", "complete", nil, "completed", workOrderX),
		azOrderAction("POST /api/orders/{making}/complete", azBarX, "making", "POST", "complete", nil, "completed", workOrderX),
		azOrderAction("POST /api/orders/{completed}/collect", azBarX, "completed", "POST", "collect", nil, "completed", workOrderX),
		azOrderAction("POST /api/orders/{waiting}/cancel", azBarX, "waiting", "POST", "cancel", nil, "cancelled", cancelOrderX),
		azOrderAction("POST /api/orders/{queued}/cancel", azBarX, "queued", "POST", "cancel", nil, "cancelled", cancelOrderX),
		// The customer may cancel only until a barista starts: 409, not 403.
		azOrderAction("POST /api/orders/{making}/cancel", azBarX, "making", "POST", "cancel", nil, "cancelled", azWant{401, 409, 404, 200, 404, 403, 200}),

		// Orders of customer A at bar Y: the staff of X are strangers there.
		{name: "GET /api/orders/{Y}", want: azWant{401, 200, 404, 404, 200, 404, 200}, req: azStatic("GET", "/api/orders/"+sharedY, nil)},
		{name: "GET /api/orders/{Y}/history", want: azWant{401, 200, 404, 404, 200, 404, 200}, req: azStatic("GET", "/api/orders/"+sharedY+"/history", nil)},
		azOrderAction("POST /api/orders/{Y queued}/make", azBarY, "queued", "POST", "make", nil, "making", azWant{401, 403, 404, 404, 200, 404, 200}),
		azOrderAction("POST /api/orders/{Y waiting}/cancel", azBarY, "waiting", "POST", "cancel", nil, "cancelled", azWant{401, 200, 404, 404, 200, 404, 200}),
	}
	rows = append(rows, azRushRows()...)     // screens for a rush (authz_rush_test.go)
	rows = append(rows, azAdminRows()...)    // the admin console (authz_admin_test.go)
	rows = append(rows, azSecurityRows()...) // security (authz_security_test.go)
	rows = append(rows, azStatsRows()...)    // the day's figures (authz_stats_test.go)

	cells := 0
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			for who := range azCount {
				cells++
				t.Run(who.String(), func(t *testing.T) {
					q := row.req(t, e, who)
					token := e.tokens[who]
					if q.token != "" {
						token = q.token
					}
					r := e.call(t, token, q.method, q.path, q.body, nil)
					want := row.want.get(who)
					if r.status != want {
						t.Errorf("%s %s as %s = %d %s, want %d", q.method, q.path, who, r.status, r.body, want)
					} else if code, ok := azErrorCodes[r.status]; ok && r.errCode() != code {
						t.Errorf("%s %s as %s = %d with code %q, want %q", q.method, q.path, who, r.status, r.errCode(), code)
					}
					if row.check != nil {
						row.check(t, e, who, q, r)
					}
				})
			}
		})
	}
	t.Logf("%d routes × %d callers = %d cells", len(rows), azCount, cells)

	// Resuming a stream from the start (Last-Event-ID) replays only what
	// the caller's channel may carry: no order events on the store channel,
	// no one else's orders on one's own channel.
	t.Run("resumed streams", func(t *testing.T) {
		type result struct {
			msgs   []sseEvent
			status int
			took   time.Duration
			err    error
		}
		var bars, mine [azCount]result
		done := make(chan struct{})
		for who := range azCount {
			go func() {
				m, st, took, err := e.azCollect(e.tokens[who], "/api/events/"+azBarX+"/stream", "1", 300*time.Millisecond)
				bars[who] = result{m, st, took, err}
				done <- struct{}{}
			}()
			go func() {
				m, st, took, err := e.azCollect(e.tokens[who], "/api/me/stream", "1", 300*time.Millisecond)
				mine[who] = result{m, st, took, err}
				done <- struct{}{}
			}()
		}
		for range 2 * azCount {
			<-done
		}
		for who := range azCount {
			r := bars[who]
			t.Logf("%s: replayed %d bar messages in %v, %d of its own in %v", who, len(r.msgs), r.took, len(mine[who].msgs), mine[who].took)
			if r.err != nil || r.status != 200 {
				t.Errorf("%s: bar stream = %d %v", who, r.status, r.err)
				continue
			}
			board := who == azBaristaX || who == azDisplayX || who == azAdmin
			orderEvents := 0
			for _, m := range r.msgs {
				switch {
				case m.Type == "snapshot" || m.Type == "ConfigService.ConfigChanged":
				case board:
					orderEvents++
				default:
					t.Errorf("%s: the store channel replayed %s %v", who, m.Type, m.Detail["orderId"])
				}
			}
			if board && orderEvents == 0 {
				t.Errorf("%s: the board replayed no order events (%d messages)", who, len(r.msgs))
			}

			r = mine[who]
			if who == azAnon {
				if r.err != nil || r.status != 401 {
					t.Errorf("anonymous /api/me/stream = %d %v, want 401", r.status, r.err)
				}
				continue
			}
			if r.err != nil || r.status != 200 {
				t.Errorf("%s: own stream = %d %v", who, r.status, r.err)
				continue
			}
			for _, m := range r.msgs {
				if m.Type == "snapshot" {
					continue
				}
				if uid, _ := m.Detail["userId"].(string); uid != e.ids[who] {
					t.Errorf("%s's own stream replayed %s of user %q", who, m.Type, uid)
				}
			}
			if who == azCustA && len(r.msgs) == 0 {
				t.Errorf("customer A's own stream replayed nothing")
			}
		}
	})

	// An order a caller may not see does not exist: the answer is the one
	// for an id that was never issued, byte for byte.
	t.Run("hidden equals missing", func(t *testing.T) {
		missing := e.as(t, azCustB, "GET", "/api/orders/o_doesnotexist", nil)
		for _, who := range []azWho{azCustB, azBaristaY} {
			for _, path := range []string{"/api/orders/" + shared, "/api/orders/" + shared + "/history"} {
				got := e.as(t, who, "GET", path, nil)
				if got.status != missing.status || !bytes.Equal(got.body, missing.body) {
					t.Errorf("%s GET %s = %d %s, want what a missing order gets: %d %s", who, path, got.status, got.body, missing.status, missing.body)
				}
			}
		}
	})
}

// azCollect reads an SSE stream as token, resuming after lastID: it waits
// up to 15 s for the answer, then takes messages until none has come for
// quiet, and returns them with the status and how long the answer took.
func (e *azEnv) azCollect(token, path, lastID string, quiet time.Duration) ([]sseEvent, int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.s.URL+path, nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: azCookie, Value: token})
	}
	req.Header.Set("Last-Event-ID", lastID)
	start := time.Now()
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, 0, 0, err
	}
	took := time.Since(start)
	defer resp.Body.Close()
	msgs := make(chan api.Message)
	go func() {
		defer close(msgs)
		rd := api.NewReader(resp.Body)
		for {
			m, err := rd.Next()
			if err != nil {
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	var out []sseEvent
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return out, resp.StatusCode, took, nil
			}
			out = append(out, eventOf(m))
		case <-time.After(quiet):
			return out, resp.StatusCode, took, nil
		}
	}
}

// TestAuthzCrossOrigin: browsers' cross-site state-changing requests are
// refused with 403 cross_origin before any handler runs, whatever the
// session; same-origin ones and safe methods pass.
func TestAuthzCrossOrigin(t *testing.T) {
	e := newAzEnv(t)
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}
	sameSite := map[string]string{"Sec-Fetch-Site": "same-site"}
	foreignOrigin := map[string]string{"Origin": "http://evil.example"}
	refused := func(t *testing.T, r azResp) {
		t.Helper()
		if r.status != 403 || r.errCode() != "cross_origin" {
			t.Fatalf("got %d %s, want 403 cross_origin", r.status, r.body)
		}
	}

	t.Run("cancel own order", func(t *testing.T) {
		id := e.order(t, azBarX, "waiting")
		for _, h := range []map[string]string{crossSite, sameSite, foreignOrigin} {
			refused(t, e.call(t, e.tokens[azCustA], "POST", "/api/orders/"+id+"/cancel", nil, h))
			if o := e.orderState(t, id); o.State != "waiting" {
				t.Fatalf("after a refused cancel (%v) the order is %s", h, o.State)
			}
		}
		if r := e.call(t, e.tokens[azCustA], "POST", "/api/orders/"+id+"/cancel", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); r.status != 200 {
			t.Fatalf("same-origin cancel = %d %s", r.status, r.body)
		}
	})
	t.Run("choose a drink", func(t *testing.T) {
		id := e.order(t, azBarX, "waiting")
		refused(t, e.call(t, e.tokens[azCustA], "PUT", "/api/orders/"+id+"/drink", map[string]string{"drink": "americano"}, foreignOrigin))
		if o := e.orderState(t, id); o.State != "waiting" || o.Number != 0 || o.Drink != nil {
			t.Fatalf("after a refused drink the order is %+v", o)
		}
		sameOrigin := map[string]string{"Origin": e.s.URL}
		if r := e.call(t, e.tokens[azCustA], "PUT", "/api/orders/"+id+"/drink", map[string]string{"drink": "americano"}, sameOrigin); r.status != 200 {
			t.Fatalf("same-origin drink = %d %s", r.status, r.body)
		}
	})
	t.Run("barista makes", func(t *testing.T) {
		id := e.order(t, azBarX, "queued")
		refused(t, e.call(t, e.tokens[azBaristaX], "POST", "/api/orders/"+id+"/make", nil, crossSite))
		if o := e.orderState(t, id); o.State != "queued" || o.BaristaID != "" {
			t.Fatalf("after a refused make the order is %+v", o)
		}
	})
	t.Run("admin patches a bar", func(t *testing.T) {
		before := azJSON(t, e.bar(t, azBarX))
		refused(t, e.call(t, e.tokens[azAdmin], "PATCH", "/api/events/"+azBarX, map[string]any{"open": false, "name": "Pwned"}, crossSite))
		if after := azJSON(t, e.bar(t, azBarX)); after != before {
			t.Fatalf("bar changed:\n%s\n%s", before, after)
		}
	})
	t.Run("admin creates a bar and staff", func(t *testing.T) {
		refused(t, e.call(t, e.tokens[azAdmin], "POST", "/api/events", map[string]string{"id": "evil", "name": "Evil"}, foreignOrigin))
		if r := e.as(t, azAnon, "GET", "/api/events/evil", nil); r.status != 404 {
			t.Fatalf("refused bar exists: %d", r.status)
		}
		refused(t, e.call(t, e.tokens[azAdmin], "POST", "/api/staff", map[string]string{"username": "evil", "password": "evil", "role": "admin"}, crossSite))
		if r := e.call(t, "", "POST", "/api/staff/session", map[string]string{"username": "evil", "password": "evil"}, nil); r.status != 401 {
			t.Fatalf("refused account signs in: %d %s", r.status, r.body)
		}
	})
	t.Run("start an order", func(t *testing.T) {
		var q struct{ Code string }
		e.must(t, azAdmin, 200, "GET", "/api/events/"+azBarX+"/qr", nil, &q)
		var before struct{ Orders []apiOrder }
		e.must(t, azCustB, 200, "GET", "/api/me/orders", nil, &before)
		refused(t, e.call(t, e.tokens[azCustB], "POST", "/api/events/"+azBarX+"/orders", map[string]string{"code": q.Code}, crossSite))
		var after struct{ Orders []apiOrder }
		e.must(t, azCustB, 200, "GET", "/api/me/orders", nil, &after)
		if len(after.Orders) != len(before.Orders) {
			t.Fatalf("orders %d → %d after a refused start", len(before.Orders), len(after.Orders))
		}
	})
	t.Run("sign in and out", func(t *testing.T) {
		// Login CSRF: a foreign page must not sign the browser in.
		r := e.call(t, "", "POST", "/api/staff/session", map[string]string{"username": "display", "password": "display"}, crossSite)
		refused(t, r)
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("refused sign-in set a cookie: %v", r.header.Values("Set-Cookie"))
		}
		refused(t, e.call(t, "", "POST", "/api/customer/session", map[string]string{"eventId": azBarX, "name": "Mallory"}, foreignOrigin))
		refused(t, e.call(t, "", "POST", "/api/customer/code", map[string]string{"email": "m@example.com"}, crossSite))
		// Nor sign it out.
		token := e.freshToken(t, azCustA)
		refused(t, e.call(t, token, "DELETE", "/api/session", nil, crossSite))
		if r := e.call(t, token, "GET", "/api/me", nil, nil); r.status != 200 {
			t.Fatalf("session ended by a refused sign-out: %d", r.status)
		}
	})
	t.Run("safe methods pass", func(t *testing.T) {
		for _, path := range []string{"/api/me", "/api/me/orders", "/api/events/" + azBarX + "/orders"} {
			if r := e.call(t, e.tokens[azAdmin], "GET", path, nil, crossSite); r.status != 200 {
				t.Errorf("cross-site GET %s = %d %s, want 200", path, r.status, r.body)
			}
		}
	})
	t.Run("no browser headers pass", func(t *testing.T) {
		// curl and other non-browser clients send neither header.
		id := e.order(t, azBarX, "waiting")
		if r := e.call(t, e.tokens[azCustA], "POST", "/api/orders/"+id+"/cancel", nil, map[string]string{"Sec-Fetch-Site": "none"}); r.status != 200 {
			t.Fatalf("Sec-Fetch-Site: none cancel = %d %s", r.status, r.body)
		}
	})
}
