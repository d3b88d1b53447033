package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rushError is an error answer.
type rushError struct {
	Error struct {
		Code, Message, Field string
		RetryAt              *time.Time
	}
}

// rushOrder is the order JSON with the fields walk-ups and calls add.
type rushOrder struct {
	ID       string     `json:"id"`
	UserID   string     `json:"userId"`
	UserName string     `json:"userName"`
	State    string     `json:"state"`
	Number   int64      `json:"number"`
	Walkup   bool       `json:"walkup"`
	CalledAt *time.Time `json:"calledAt"`
}

// TestCodeCheckHTTP: GET /api/events/{event}/codes/{code} answers, for
// anyone and without using the code, what a scan would get: 200 with the
// uses left, or the scan's own status and code.
func TestCodeCheckHTTP(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	anon := s.client(t)
	newBar(t, admin, "check", true, map[string]int{"drinksPerCode": 2})
	newBar(t, admin, "brief", true, map[string]int{"windowSeconds": 10})
	q := qrOf(t, admin, "check")
	path := func(bar, code string) string { return "/api/events/" + bar + "/codes/" + url.PathEscape(code) }
	good := func(what, bar, code string, remaining int, end time.Time) {
		t.Helper()
		var got map[string]any
		anon.must(200, "GET", path(bar, code), nil, &got)
		want := map[string]any{"valid": true, "remaining": float64(remaining), "windowEnd": end.UTC().Format(time.RFC3339)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: GET %s = %v, want %v", what, path(bar, code), got, want)
		}
	}
	refused := func(what, bar, code string, status int, errCode string, retryAt *time.Time) {
		t.Helper()
		var e rushError
		anon.must(status, "GET", path(bar, code), nil, &e)
		if e.Error.Code != errCode || (retryAt == nil) != (e.Error.RetryAt == nil) || retryAt != nil && !retryAt.Equal(*e.Error.RetryAt) {
			t.Errorf("%s: GET %s = %d %+v, want %s retryAt %v", what, path(bar, code), status, e.Error, errCode, retryAt)
		}
	}

	good("a fresh code", "check", q.Code, 2, q.WindowEnd)
	good("checked again", "check", q.Code, 2, q.WindowEnd)
	refused("an unknown code", "check", "nonsense", 400, "invalid_code", nil)
	refused("another bar's code", "brief", q.Code, 400, "invalid_code", nil)
	anon.must(404, "GET", path("missing", q.Code), nil, nil)

	// Two orders take the code's two uses (staff's: name sign-ins from
	// one address get one order per code): the check says sold out, with
	// the next window.
	for i, c := range []*client{admin, s.staff(t, "barista", "barista")} {
		c.must(201, "POST", "/api/events/check/orders", map[string]string{"code": q.Code}, nil)
		if i == 0 {
			good("after one use", "check", q.Code, 1, q.WindowEnd)
		}
	}
	refused("used up", "check", q.Code, 409, "sold_out", &q.WindowEnd)

	admin.must(200, "PATCH", "/api/events/check", map[string]bool{"open": false}, nil)
	refused("closed", "check", q.Code, 423, "closed", nil)
	admin.must(200, "PATCH", "/api/events/check", map[string]bool{"open": true, "ended": true}, nil)
	refused("ended", "check", "nonsense", 410, "bar_ended", nil)

	// The windows follow the clock: take a code with most of its ten
	// seconds still to run, or the check below may meet the next window.
	brief := qrOf(t, admin, "brief")
	if time.Until(brief.WindowEnd) < 5*time.Second {
		time.Sleep(time.Until(brief.WindowEnd.Add(50 * time.Millisecond)))
		brief = qrOf(t, admin, "brief")
	}
	good("a ten-second code", "brief", brief.Code, 10, brief.WindowEnd)
	time.Sleep(time.Until(brief.WindowEnd.Add(50 * time.Millisecond)))
	refused("expired", "brief", brief.Code, 410, "code_expired", nil)
}

// TestWalkupAndCallHTTP: a walk-up over HTTP is 201 with the queued,
// numbered walk-up; "Call again" on a ready order is 200 with calledAt,
// then 429 called_recently with retryAt a minute after the call.
func TestWalkupAndCallHTTP(t *testing.T) {
	s := startServer(t, "")
	admin := s.staff(t, "admin", "admin")
	barista := s.staff(t, "barista", "barista")
	longWindows(t, admin)

	var w rushOrder
	barista.must(201, "POST", "/api/events/demo/walkups", map[string]any{"name": "Zoë 李", "drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, &w)
	if w.State != "queued" || w.Number != 1 || !w.Walkup || w.UserID != "" || w.UserName != "Zoë 李" {
		t.Fatalf("walk-up = %+v, want queued #1, a walk-up of no customer, named Zoë 李", w)
	}
	for _, c := range []struct {
		what  string
		body  map[string]any
		field string
	}{
		{"an unknown field", map[string]any{"name": "Zoë", "drink": "flat-white", "phone": "123"}, "phone"},
		{"no name", map[string]any{"name": "", "drink": "flat-white"}, "name"},
		{"no drink", map[string]any{"name": "Zoë"}, "drink"},
	} {
		var e rushError
		barista.must(400, "POST", "/api/events/demo/walkups", c.body, &e)
		if e.Error.Code != "invalid" || e.Error.Field != c.field {
			t.Errorf("%s = %+v, want invalid %s", c.what, e.Error, c.field)
		}
	}

	barista.must(200, "POST", "/api/orders/"+w.ID+"/complete", nil, nil)
	var called rushOrder
	before := time.Now().Add(-time.Second)
	barista.must(200, "POST", "/api/orders/"+w.ID+"/call", nil, &called)
	if called.State != "completed" || called.CalledAt == nil || called.CalledAt.Before(before) || called.CalledAt.After(time.Now()) {
		t.Fatalf("called = %+v, want completed with calledAt now", called)
	}
	var e rushError
	barista.must(429, "POST", "/api/orders/"+w.ID+"/call", nil, &e)
	// Times are stored to the millisecond.
	if want := called.CalledAt.Truncate(time.Millisecond).Add(time.Minute); e.Error.Code != "called_recently" || e.Error.RetryAt == nil || !e.Error.RetryAt.Equal(want) {
		t.Errorf("a second call = %+v, want called_recently, retryAt %v", e.Error, want)
	}
}

// TestAPIIndex: the API link printed at start-up is a page, and under
// --dev only the home page can ask for the current code.
func TestAPIIndex(t *testing.T) {
	s := startServer(t, "")
	anon := s.client(t)
	resp, err := http.Get(s.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /api/ = %d %s, want 200 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var try struct{ URL string }
	anon.must(200, "GET", "/api/events/demo/try", nil, &try)
	admin := s.staff(t, "admin", "admin")
	if want := "/order/demo?code=" + url.QueryEscape(s.code(t, admin, "demo")); try.URL != want {
		t.Errorf("try = %q, want %q", try.URL, want)
	}
	anon.must(404, "GET", "/api/events/missing/try", nil, nil)

	prod := startServer(t, "", "--dev=false")
	var e rushError
	prod.client(t).must(404, "GET", "/api/events/demo/try", nil, &e)
	if e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, "no such API route") {
		t.Errorf("try outside --dev = %+v, want the unknown route's 404", e.Error)
	}
	page, err := http.Get(prod.URL + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	var head [64]byte
	n, _ := page.Body.Read(head[:])
	if page.StatusCode != 200 || !strings.HasPrefix(string(head[:n]), "<!doctype html>") {
		t.Errorf("GET /api/ outside --dev = %d %q", page.StatusCode, head[:n])
	}
}
