package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"presso/store/storetest"
)

// The admin console over HTTP: the offline password reset on both
// engines, ended bars, menu changes under orders in flight, refused
// requests that change nothing, screen pairing, and sessions and streams
// ended by disabling an account.

// apiError is a JSON error answer.
type apiError struct {
	Error struct{ Code, Field, Message string }
}

// wantError sends the request and fails unless it is refused with status,
// code and (if not "") field.
func (c *client) wantError(status int, code, field, method, path string, body any) {
	c.t.Helper()
	var e apiError
	got := c.do(method, path, body, &e)
	if got != status || e.Error.Code != code || e.Error.Field != field {
		c.t.Fatalf("%s %s = %d %s (field %q), want %d %s (field %q)", method, path, got, e.Error.Code, e.Error.Field, status, code, field)
	}
}

// snapshot is the JSON of a GET, for comparing state before and after.
func (c *client) snapshot(path string) string {
	c.t.Helper()
	var raw json.RawMessage
	c.must(200, "GET", path, nil, &raw)
	return string(raw)
}

var printedPassword = regexp.MustCompile(`new password for (\S+) \(shown once; its sessions are ended\): (\S+)\n$`)

// TestResetPasswordCommand: `presso reset-password` on the stopped
// deployment's database sets a password that signs in after a restart,
// on SQLite and on PostgreSQL.
func TestResetPasswordCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			data := t.TempDir()
			var args, where []string
			if engine == "postgres" {
				url := storetest.FreshPostgres(t, storetest.PostgresServer(t))
				args, where = []string{"--db", url}, []string{"--db", url}
			} else {
				where = []string{"--data", data}
			}
			s := startServer(t, data, args...)
			admin := s.staff(t, "admin", "admin")
			admin.must(201, "POST", "/api/staff", map[string]string{"username": "ops", "password": "first-password", "role": "admin"}, nil)
			s.Stop(t)

			var out bytes.Buffer
			getenv := func(string) string { return "" }
			if err := run(context.Background(), append([]string{"reset-password", "--user", "ops"}, where...), getenv, &out); err != nil {
				t.Fatalf("reset-password: %v", err)
			}
			m := printedPassword.FindStringSubmatch(out.String())
			if m == nil || m[1] != "ops" || len(m[2]) != 20 {
				t.Fatalf("reset-password printed %q, want the new password of ops once", out.String())
			}
			if strings.Count(out.String(), m[2]) != 1 {
				t.Fatalf("the password is printed %d times", strings.Count(out.String(), m[2]))
			}
			err := run(context.Background(), append([]string{"reset-password", "--user", "nobody"}, where...), getenv, &out)
			if err == nil || !strings.Contains(err.Error(), "staff account not found") {
				t.Fatalf("reset-password of an unknown user = %v, want staff account not found", err)
			}
			if err := run(context.Background(), append([]string{"reset-password"}, where...), getenv, &out); err == nil || !strings.Contains(err.Error(), "--user is required") {
				t.Fatalf("reset-password without --user = %v", err)
			}

			s2 := startServer(t, data, args...)
			c := s2.client(t)
			c.wantError(401, "bad_credentials", "", "POST", "/api/staff/session", map[string]string{"username": "ops", "password": "first-password"})
			var me struct{ Name, Role string }
			c.must(200, "POST", "/api/staff/session", map[string]string{"username": "ops", "password": m[2]}, &me)
			if me.Name != "ops" || me.Role != "admin" {
				t.Fatalf("signed in as %+v, want the admin ops", me)
			}
			var audit struct {
				Audit []struct{ Action, ActorName, Target string }
			}
			c.must(200, "GET", "/api/audit?limit=1", nil, &audit)
			if len(audit.Audit) != 1 || audit.Audit[0].Action != "staff.password" || audit.Audit[0].ActorName != "reset-password" || audit.Audit[0].Target != "ops" {
				t.Fatalf("latest audit row = %+v, want reset-password's staff.password of ops", audit.Audit)
			}
		})
	}
}

// TestEndedBar: an ended bar refuses scans with 410 bar_ended and shows no
// code, leaves the public list (admins still see it, as ended), keeps its
// orders, and takes scans again once reopened.
func TestEndedBar(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	ann := s.customer(t, "Ann")
	code := s.code(t, admin, "demo")
	var o apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": code}, &o)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"ended": true}, nil)

	ann.wantError(410, "bar_ended", "", "POST", "/api/events/demo/orders", map[string]string{"code": code})
	// Closed as well, it still says it has ended.
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"open": false}, nil)
	ann.wantError(410, "bar_ended", "", "POST", "/api/events/demo/orders", map[string]string{"code": code})
	admin.wantError(410, "bar_ended", "", "GET", "/api/events/demo/qr", nil)
	admin.wantError(410, "bar_ended", "", "POST", "/api/events/demo/qr/rotate", nil)
	var list struct {
		Events []struct {
			ID    string
			Ended bool
			State string
			Today map[string]int
		}
	}
	for _, c := range []*client{s.client(t), ann, s.staff(t, "barista", "barista")} {
		c.must(200, "GET", "/api/events", nil, &list)
		if len(list.Events) != 0 {
			t.Fatalf("the public list holds %+v, want no ended bar", list.Events)
		}
	}
	admin.must(200, "GET", "/api/events", nil, &list)
	if len(list.Events) != 1 || list.Events[0].ID != "demo" || !list.Events[0].Ended {
		t.Fatalf("the admin's list = %+v, want demo, ended", list.Events)
	}
	admin.must(200, "GET", "/api/events?counts=1", nil, &list)
	want := map[string]int{"waiting": 1, "queued": 0, "making": 0, "completed": 0, "cancelled": 0, "timed_out": 0}
	if len(list.Events) != 1 || list.Events[0].State != "ended" || !equalCounts(list.Events[0].Today, want) {
		t.Fatalf("counts = %+v, want demo ended with %v", list.Events, want)
	}
	// Its history stays.
	var got apiOrder
	admin.must(200, "GET", "/api/orders/"+o.ID, nil, &got)
	if got.State != "waiting" {
		t.Fatalf("the order at the ended bar is %s, want waiting", got.State)
	}
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"ended": false, "open": true}, nil)
	bob := s.customer(t, "Bob")
	bob.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, nil)
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestMenuChangeKeepsOrders: orders in flight keep the drink they were
// given whatever happens to the menu; an order still choosing gets the
// new menu.
func TestMenuChangeKeepsOrders(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	barista := s.staff(t, "barista", "barista")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"maxPerCustomer": 5}}, nil)
	ann := s.customer(t, "Ann")
	var queued, making, waiting apiOrder
	for _, o := range []*apiOrder{&queued, &making, &waiting} {
		ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, o)
	}
	ann.must(200, "PUT", "/api/orders/"+queued.ID+"/drink", map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, nil)
	ann.must(200, "PUT", "/api/orders/"+making.ID+"/drink", map[string]any{"drink": "americano"}, nil)
	barista.must(200, "POST", "/api/orders/"+making.ID+"/make", nil, nil)
	drinkOf := func(id string) string {
		t.Helper()
		var o struct{ Drink json.RawMessage }
		admin.must(200, "GET", "/api/orders/"+id, nil, &o)
		return string(o.Drink)
	}
	before := map[string]string{queued.ID: drinkOf(queued.ID), making.ID: drinkOf(making.ID)}
	wantQueued := `{"id":"flat-white","name":"Flat White","icon":"flat-white","modifiers":[{"group":"milk","groupName":"Milk","option":"oat","optionName":"Oat"}]}`
	if before[queued.ID] != wantQueued {
		t.Fatalf("queued drink = %s, want %s", before[queued.ID], wantQueued)
	}

	// A new menu: flat white renamed without oat, americano gone; then
	// the barista marks the flat white unavailable.
	menu := []map[string]any{
		{"id": "flat-white", "name": "Flat White XL", "icon": "flat-white", "available": true, "modifiers": []map[string]any{
			{"id": "milk", "name": "Milk", "default": "regular", "options": []map[string]string{{"id": "regular", "name": "Regular"}}}}},
		{"id": "tea", "name": "Tea", "icon": "tea", "available": true, "modifiers": []any{}},
	}
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"menu": menu}, nil)
	barista.must(200, "PATCH", "/api/events/demo/menu/flat-white", map[string]bool{"available": false}, nil)
	for id, d := range before {
		if got := drinkOf(id); got != d {
			t.Fatalf("order %s's drink after the menu change = %s, want %s", id, got, d)
		}
	}
	barista.must(200, "POST", "/api/orders/"+making.ID+"/complete", nil, nil)
	barista.must(200, "POST", "/api/orders/"+queued.ID+"/make", nil, nil)
	barista.must(200, "POST", "/api/orders/"+queued.ID+"/complete", nil, nil)
	for id, d := range before {
		if got := drinkOf(id); got != d {
			t.Fatalf("order %s's drink once made = %s, want %s", id, got, d)
		}
	}
	// The order still choosing sees the new menu.
	ann.wantError(400, "invalid", "drink", "PUT", "/api/orders/"+waiting.ID+"/drink", map[string]any{"drink": "americano"})
	ann.wantError(400, "invalid", "drink", "PUT", "/api/orders/"+waiting.ID+"/drink", map[string]any{"drink": "flat-white"})
	ann.must(200, "PUT", "/api/orders/"+waiting.ID+"/drink", map[string]any{"drink": "tea"}, nil)
	if got := drinkOf(waiting.ID); got != `{"id":"tea","name":"Tea","icon":"tea","modifiers":[]}` {
		t.Fatalf("the chosen tea = %s", got)
	}
}

// TestAdminRefusals: every bad field of the console's routes is a 400
// naming it, and a refused request changes nothing.
func TestAdminRefusals(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	barista := s.staff(t, "barista", "barista")
	cases := []struct {
		name         string
		c            *client
		method, path string
		body         any
		status       int
		code, field  string
		state        []string // GETs that must answer the same before and after
	}{
		{"a staff patch: unknown role", admin, "PATCH", "/api/staff/barista", map[string]any{"role": "chef"}, 400, "invalid", "role", []string{"/api/staff"}},
		{"a staff patch: disabled not a bool", admin, "PATCH", "/api/staff/barista", map[string]any{"disabled": "yes"}, 400, "invalid", "disabled", []string{"/api/staff"}},
		{"a staff patch: a short password", admin, "PATCH", "/api/staff/barista", map[string]any{"password": "short", "disabled": true}, 400, "invalid", "password", []string{"/api/staff"}},
		{"a staff patch: an unknown bar", admin, "PATCH", "/api/staff/barista", map[string]any{"eventId": "nope"}, 400, "invalid", "eventId", []string{"/api/staff"}},
		{"a staff patch: nothing", admin, "PATCH", "/api/staff/barista", map[string]any{}, 400, "invalid", "body", []string{"/api/staff"}},
		{"a staff patch: an unknown field", admin, "PATCH", "/api/staff/barista", map[string]any{"username": "x"}, 400, "invalid", "username", []string{"/api/staff"}},
		{"the last admin", admin, "PATCH", "/api/staff/admin", map[string]any{"disabled": true}, 409, "last_admin", "", []string{"/api/staff"}},
		{"availability: missing", barista, "PATCH", "/api/events/demo/menu/americano", map[string]any{}, 400, "invalid", "available", []string{"/api/events/demo"}},
		{"availability: another field", barista, "PATCH", "/api/events/demo/menu/americano", map[string]any{"available": false, "name": "X"}, 400, "invalid", "name", []string{"/api/events/demo"}},
		{"a copy with a menu", admin, "POST", "/api/events", map[string]any{"id": "copy", "name": "Copy", "copyFrom": "demo", "menu": []any{}}, 400, "invalid", "menu", []string{"/api/events"}},
		{"a copy of nothing", admin, "POST", "/api/events", map[string]any{"id": "copy", "name": "Copy", "copyFrom": "nope"}, 400, "invalid", "copyFrom", []string{"/api/events"}},
		{"a copy with a bad id", admin, "POST", "/api/events", map[string]any{"id": "Copy!", "name": "Copy", "copyFrom": "demo"}, 400, "invalid", "id", []string{"/api/events"}},
		{"a copy onto demo", admin, "POST", "/api/events", map[string]any{"id": "demo", "name": "Copy", "copyFrom": "demo"}, 409, "exists", "", []string{"/api/events"}},
		{"own password: too short", barista, "POST", "/api/me/password", map[string]any{"current": "barista", "new": "short"}, 400, "invalid", "new", []string{"/api/me"}},
		{"own password: wrong current", barista, "POST", "/api/me/password", map[string]any{"current": "nope", "new": "a-long-password"}, 400, "invalid", "current", []string{"/api/me"}},
		{"rotate with a body", barista, "POST", "/api/events/demo/qr/rotate", map[string]any{"now": true}, 400, "invalid", "now", []string{"/api/events/demo/qr"}},
		{"audit: limit 0", admin, "GET", "/api/events/demo/audit?limit=0", nil, 400, "invalid", "limit", nil},
		{"audit: before not a number", admin, "GET", "/api/audit?before=x", nil, 400, "invalid", "before", nil},
		{"counts=2", admin, "GET", "/api/events?counts=2", nil, 400, "invalid", "counts", nil},
		{"an unknown pairing code", s.client(t), "POST", "/api/pair", map[string]any{"code": "AAAA-BBBB"}, 400, "invalid_code", "code", []string{"/api/staff"}},
		{"an import that is not one", admin, "POST", "/api/events/import", map[string]any{"format": 2}, 400, "invalid", "format", []string{"/api/events"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before []string
			for _, p := range c.state {
				before = append(before, admin.snapshot(p))
			}
			audit := admin.snapshot("/api/audit")
			c.c.wantError(c.status, c.code, c.field, c.method, c.path, c.body)
			for i, p := range c.state {
				if after := admin.snapshot(p); after != before[i] {
					t.Fatalf("GET %s changed:\n%s\n%s", p, before[i], after)
				}
			}
			if after := admin.snapshot("/api/audit"); after != audit {
				t.Fatalf("a refused request wrote audit rows:\n%s", after)
			}
		})
	}
	// The barista's password is still the old one.
	s.staff(t, "barista", "barista")
}

// TestPairingHTTP: a pairing code signs a screen in once; its link does
// the same with a redirect; a used, expired or unknown one is refused
// with its own status.
func TestPairingHTTP(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	var p struct {
		Code, URL string
		ExpiresAt time.Time
	}
	admin.must(201, "POST", "/api/events/demo/pairings", nil, &p)
	if !regexp.MustCompile(`^[A-Z2-9]{4}-[A-Z2-9]{4}$`).MatchString(p.Code) || !strings.HasPrefix(p.URL, s.URL+"/pair/") ||
		time.Until(p.ExpiresAt) < 4*time.Minute || time.Until(p.ExpiresAt) > 5*time.Minute {
		t.Fatalf("pairing = %+v", p)
	}
	tv := s.client(t)
	var out struct {
		Me       struct{ Name, Role, EventID string }
		Location string
	}
	tv.must(200, "POST", "/api/pair", map[string]string{"code": strings.ToLower(p.Code)}, &out)
	if out.Me.Name != "display-demo" || out.Me.Role != "display" || out.Me.EventID != "demo" || out.Location != "/display/demo" {
		t.Fatalf("paired = %+v", out)
	}
	var me struct{ Name string }
	tv.must(200, "GET", "/api/me", nil, &me)
	tv.must(200, "GET", "/api/events/demo/qr", nil, nil)
	if me.Name != "display-demo" {
		t.Fatalf("the paired screen is %s", me.Name)
	}
	s.client(t).wantError(409, "pairing_used", "", "POST", "/api/pair", map[string]string{"code": p.Code})

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(url string) *http.Response {
		t.Helper()
		resp, err := noRedirect.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get(p.URL); r.StatusCode != 409 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("a used link = %d %s, want a 409 page", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := get(s.URL + "/pair/bogus"); r.StatusCode != 404 {
		t.Fatalf("an unknown link = %d, want 404", r.StatusCode)
	}
	admin.must(201, "POST", "/api/events/demo/pairings", nil, &p)
	r := get(p.URL)
	if r.StatusCode != 303 || r.Header.Get("Location") != "/display/demo" {
		t.Fatalf("a pairing link = %d to %q, want 303 to /display/demo", r.StatusCode, r.Header.Get("Location"))
	}
	var cookie string
	for _, c := range r.Cookies() {
		if c.Name == "presso_session" && c.HttpOnly {
			cookie = c.Value
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/me", nil)
	req.AddCookie(&http.Cookie{Name: "presso_session", Value: cookie})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the link's session: GET /api/me = %v %v", resp, err)
	}

	// Expired: a pairing made now, aged past its minutes in the database.
	admin.must(201, "POST", "/api/events/demo/pairings", nil, &p)
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.Data, "presso.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE pairings SET expires_at = created_at WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	s.client(t).wantError(410, "pairing_expired", "", "POST", "/api/pair", map[string]string{"code": p.Code})
	if r := get(p.URL); r.StatusCode != 410 {
		t.Fatalf("an expired link = %d, want 410", r.StatusCode)
	}
}

// TestDisableEndsStreams: disabling a barista ends their board stream and
// their session at once; they cannot sign in until enabled.
func TestDisableEndsStreams(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	admin.must(201, "POST", "/api/staff", map[string]string{"username": "bea", "password": "long-enough", "role": "barista", "eventId": "demo"}, nil)
	bea := s.staff(t, "bea", "long-enough")
	board := bea.openSSE("/api/events/demo/stream", "")
	if ev := board.next(t, 5*time.Second); ev.Type != "snapshot" {
		t.Fatalf("first message %s, want the snapshot", ev.Type)
	}
	admin.must(200, "PATCH", "/api/staff/bea", map[string]any{"disabled": true}, nil)
	deadline := time.After(2 * time.Second)
	for open := true; open; {
		select {
		case _, ok := <-board.C:
			open = ok
		case <-deadline:
			t.Fatalf("the disabled barista's board stream is still open after 2 s")
		}
	}
	bea.wantError(401, "unauthenticated", "", "GET", "/api/me", nil)
	s.client(t).wantError(403, "account_disabled", "", "POST", "/api/staff/session", map[string]string{"username": "bea", "password": "long-enough"})
	var acct struct {
		Staff []struct {
			Username     string
			Disabled     bool
			LastSignInAt *time.Time
		}
	}
	admin.must(200, "GET", "/api/staff", nil, &acct)
	for _, a := range acct.Staff {
		if a.Username == "bea" && (!a.Disabled || a.LastSignInAt == nil) {
			t.Fatalf("bea = %+v, want disabled with a last sign-in", a)
		}
	}
	admin.must(200, "PATCH", "/api/staff/bea", map[string]any{"disabled": false}, nil)
	s.staff(t, "bea", "long-enough")
}
