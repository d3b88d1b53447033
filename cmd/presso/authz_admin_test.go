package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The admin console's rows of the authorisation matrix (TestAuthzMatrix
// appends them to its table): every route of docs/api.md's admin section
// against every kind of caller, each with a check that an allowed request
// did what it says and a refused one changed nothing.

// azAdminOnly is 401 for anonymous callers, 403 for everyone but admins.
func azAdminOnly(code int) azWant { return azWant{401, 403, 403, 403, 403, 403, code} }

// azSignIn signs a staff account in and returns its session token.
func azSignIn(t *testing.T, e *azEnv, username, password string) string {
	t.Helper()
	r := e.call(t, "", "POST", "/api/staff/session", map[string]string{"username": username, "password": password}, nil)
	return r.session(t, "sign in "+username)
}

// azBarMadeIff201 checks that the bar a request names (its fix) exists
// after a 201 and not after a refusal.
func azBarMadeIff201(what string) func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
	return func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
		want := 404
		if r.status == 201 {
			want = 200
		}
		if got := e.as(t, azAnon, "GET", "/api/events/"+q.fix, nil).status; got != want {
			t.Errorf("GET the %s after a %d = %d, want %d", what, r.status, got, want)
		}
	}
}

// azAccount is one row of GET /api/staff, as an admin sees it.
func azAccount(t *testing.T, e *azEnv, username string) map[string]any {
	t.Helper()
	var out struct{ Staff []map[string]any }
	e.must(t, azAdmin, 200, "GET", "/api/staff", nil, &out)
	for _, a := range out.Staff {
		if a["username"] == username {
			return a
		}
	}
	t.Fatalf("no account %s in GET /api/staff", username)
	return nil
}

// azMenuAvailable is whether the bar's drink is available.
func azMenuAvailable(t *testing.T, e *azEnv, bar, drink string) bool {
	t.Helper()
	var b struct {
		Menu []struct {
			ID        string
			Available bool
		}
	}
	e.must(t, azAnon, 200, "GET", "/api/events/"+bar, nil, &b)
	for _, d := range b.Menu {
		if d.ID == drink {
			return d.Available
		}
	}
	t.Fatalf("%s has no drink %s", bar, drink)
	return false
}

// azCurrentCode is the bar's code as an admin reads it.
func azCurrentCode(t *testing.T, e *azEnv, bar string) string {
	t.Helper()
	var q struct{ Code string }
	e.must(t, azAdmin, 200, "GET", "/api/events/"+bar+"/qr", nil, &q)
	return q.Code
}

// azPairing makes a pairing for bar X and returns its code and token.
func azPairing(t *testing.T, e *azEnv) (code, token string) {
	t.Helper()
	var p struct{ Code, URL string }
	e.must(t, azAdmin, 201, "POST", "/api/events/"+azBarX+"/pairings", nil, &p)
	_, token, _ = strings.Cut(p.URL, "/pair/")
	return p.Code, token
}

// azAvailability is a row that marks bar's americano unavailable.
func azAvailability(name, bar string, want azWant) azRow {
	return azRow{
		name: name,
		want: want,
		req:  azStatic("PATCH", "/api/events/"+bar+"/menu/americano", map[string]bool{"available": false}),
		check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
			got := azMenuAvailable(t, e, bar, "americano")
			if got != (r.status != 200) {
				t.Errorf("americano available = %v after a %d", got, r.status)
			}
			if r.status == 200 {
				e.must(t, azAdmin, 200, "PATCH", "/api/events/"+bar+"/menu/americano", map[string]bool{"available": true}, nil)
			}
		},
	}
}

// azAdminRows are the admin console's rows.
func azAdminRows() []azRow {
	staffOwn := azWant{401, 403, 403, 200, 200, 200, 200}
	return []azRow{
		{name: "GET /api/staff", want: azAdminOnly(200), req: azStatic("GET", "/api/staff", nil),
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if r.status == 200 && (!strings.Contains(string(r.body), `"username":"admin"`) || strings.Contains(strings.ToLower(string(r.body)), "hash") ||
					strings.Contains(string(r.body), "$argon2")) {
					t.Errorf("staff list = %s, want the accounts without hashes", r.body)
				}
			}},
		{name: "PATCH /api/staff/{username}", want: azAdminOnly(200),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				name := e.unique("patched-by-" + who.String() + "-")
				e.must(t, azAdmin, 201, "POST", "/api/staff", map[string]string{"username": name, "password": "pw", "role": "barista", "eventId": azBarX}, nil)
				return azReq{method: "PATCH", path: "/api/staff/" + name, body: map[string]any{"disabled": true}, fix: name}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if got := azAccount(t, e, q.fix)["disabled"]; got != (r.status == 200) {
					t.Errorf("disabled = %v after a %d", got, r.status)
				}
			}},
		{name: "PATCH /api/staff/{missing}", want: azAdminOnly(404), req: azStatic("PATCH", "/api/staff/nobody", map[string]any{"disabled": true})},
		{name: "POST /api/me/password", want: staffOwn,
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				role, bar := map[azWho]string{azBaristaX: "barista", azBaristaY: "barista", azDisplayX: "display", azAdmin: "admin"}[who],
					map[azWho]string{azBaristaX: azBarX, azBaristaY: azBarY, azDisplayX: azBarX}[who]
				if role == "" {
					return azReq{method: "POST", path: "/api/me/password", body: map[string]string{"current": "x", "new": "a-long-new-password"}}
				}
				// An account of its own, so the matrix's sessions stay.
				name := e.unique("own-pw-" + who.String() + "-")
				e.must(t, azAdmin, 201, "POST", "/api/staff", map[string]string{"username": name, "password": "old-password", "role": role, "eventId": bar}, nil)
				return azReq{token: azSignIn(t, e, name, "old-password"), method: "POST", path: "/api/me/password",
					body: map[string]string{"current": "old-password", "new": "a-long-new-password"}, fix: name}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if r.status != 200 {
					return
				}
				if got := e.call(t, "", "POST", "/api/staff/session", map[string]string{"username": q.fix, "password": "old-password"}, nil).status; got != 401 {
					t.Errorf("sign-in with the old password = %d, want 401", got)
				}
				azSignIn(t, e, q.fix, "a-long-new-password")
				if got := e.call(t, q.token, "GET", "/api/me", nil, nil).status; got != 401 {
					t.Errorf("the session that changed the password: GET /api/me = %d, want 401 (a new one was issued)", got)
				}
			}},
		azAvailability("PATCH /api/events/X/menu/{drink}", azBarX, azWant{401, 403, 403, 200, 403, 403, 200}),
		azAvailability("PATCH /api/events/Y/menu/{drink}", azBarY, azWant{401, 403, 403, 403, 200, 403, 200}),
		{name: "PATCH /api/events/X/menu/{missing}", want: azWant{401, 403, 403, 404, 403, 403, 404},
			req: azStatic("PATCH", "/api/events/"+azBarX+"/menu/latte", map[string]bool{"available": false})},
		{name: "PATCH /api/events/missing/menu/{drink}", want: azSignedIn(404),
			req: azStatic("PATCH", "/api/events/missing/menu/americano", map[string]bool{"available": false})},
		{name: "POST /api/events/X/qr/rotate", want: azWant{401, 403, 403, 200, 403, 403, 200},
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				return azReq{method: "POST", path: "/api/events/" + azBarX + "/qr/rotate", fix: azCurrentCode(t, e, azBarX)}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				now := azCurrentCode(t, e, azBarX)
				var got struct{ Code string }
				json.Unmarshal(r.body, &got)
				switch {
				case r.status == 200 && (now == q.fix || got.Code != now):
					t.Errorf("after a rotation the code is %s (was %s), answered %s", now, q.fix, got.Code)
				case r.status != 200 && now != q.fix:
					t.Errorf("after a refused rotation the code moved from %s to %s", q.fix, now)
				}
			}},
		{name: "POST /api/events/missing/qr/rotate", want: azSignedIn(404), req: azStatic("POST", "/api/events/missing/qr/rotate", nil)},
		{name: "POST /api/events/X/pairings", want: azAdminOnly(201), req: azStatic("POST", "/api/events/"+azBarX+"/pairings", nil)},
		{name: "POST /api/events/missing/pairings", want: azAdminOnly(404), req: azStatic("POST", "/api/events/missing/pairings", nil)},
		{name: "POST /api/pair", want: azAll(200),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				code, _ := azPairing(t, e)
				return azReq{method: "POST", path: "/api/pair", body: map[string]string{"code": code}}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				var out struct {
					Me       struct{ Name, Role, EventID string }
					Location string
				}
				json.Unmarshal(r.body, &out)
				if out.Me.Name != "display-demo" || out.Me.Role != "display" || out.Me.EventID != azBarX || out.Location != "/display/demo" {
					t.Errorf("paired = %s, want display-demo of demo sent to /display/demo", r.body)
				}
			}},
		// The matrix's client follows the 303 (TestPairingHTTP checks it) to
		// the display page.
		{name: "GET /pair/{token}", want: azAll(200),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				code, token := azPairing(t, e)
				return azReq{method: "GET", path: "/pair/" + token, fix: code}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if !strings.Contains(string(r.body), "staff-toggle") {
					t.Errorf("the link led to %.200s, want the display page", r.body)
				}
				if got := e.call(t, "", "POST", "/api/pair", map[string]string{"code": q.fix}, nil); got.status != 409 || got.errCode() != "pairing_used" {
					t.Errorf("its code after the link = %d %s, want 409 pairing_used", got.status, got.body)
				}
			}},
		{name: "GET /api/events/X/audit", want: azAdminOnly(200), req: azStatic("GET", "/api/events/"+azBarX+"/audit", nil)},
		{name: "GET /api/events/missing/audit", want: azAdminOnly(404), req: azStatic("GET", "/api/events/missing/audit", nil)},
		{name: "GET /api/audit", want: azAdminOnly(200), req: azStatic("GET", "/api/audit", nil)},
		{name: "GET /api/events?counts=1", want: azWant{403, 403, 403, 403, 403, 403, 200}, req: azStatic("GET", "/api/events?counts=1", nil)},
		{name: "POST /api/events copy", want: azAdminOnly(201),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				id := e.unique("copy-")
				return azReq{method: "POST", path: "/api/events", body: map[string]string{"id": id, "name": "Copy " + id, "copyFrom": azBarX}, fix: id}
			},
			check: azBarMadeIff201("copy")},
		{name: "GET /api/events/X/export", want: azAdminOnly(200), req: azStatic("GET", "/api/events/"+azBarX+"/export", nil)},
		{name: "POST /api/events/import", want: azAdminOnly(201),
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				id := e.unique("imported-")
				e.must(t, azAdmin, 201, "POST", "/api/events", map[string]string{"id": id + "-src", "name": "Source"}, nil)
				var x map[string]any
				e.must(t, azAdmin, 200, "GET", "/api/events/"+id+"-src/export", nil, &x)
				x["bar"].(map[string]any)["id"] = id
				x["events"] = []any{} // their ids are the source's, and unique
				return azReq{method: "POST", path: "/api/events/import", body: x, fix: id}
			},
			check: azBarMadeIff201("imported bar")},
	}
}
