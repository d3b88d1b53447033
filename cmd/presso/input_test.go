package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Bad input over HTTP: every malformed, mistyped, unknown, oversized or
// invalid request body is a 400 naming the offending field, with an exact
// error code, and changes nothing. It reuses the authz helpers (azEnv).

// inCase is one bad request.
type inCase struct {
	name   string
	body   any // a string is sent as is
	status int // 0 means 400
	code   string
	field  string
	msg    string // checked when set
}

// inErr is an error answer.
type inErr struct {
	Error struct{ Code, Message, Field string }
}

// inOversized is a JSON body over the 256 KiB limit.
var inOversized = `{"drink":"` + strings.Repeat("a", 300<<10) + `"}`

// inBigPrefix is 300 KiB of white space before a valid object: the limit
// counts bytes, not JSON.
var inBigPrefix = strings.Repeat(" ", 300<<10)

const inTooBig = "the request body is larger than 262144 bytes"

// inRun sends each case as who and checks the answer, then unchanged to
// see that nothing moved.
func inRun(t *testing.T, e *azEnv, who azWho, method, path string, cases []inCase, unchanged func(t *testing.T)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.as(t, who, method, path, c.body)
			var out inErr
			json.Unmarshal(r.body, &out)
			want := c.status
			if want == 0 {
				want = 400
			}
			ok := r.status == want && out.Error.Code == c.code && out.Error.Field == c.field && (c.msg == "" || out.Error.Message == c.msg)
			if !ok {
				got := string(r.body)
				if len(got) > 300 {
					got = got[:300] + "…"
				}
				t.Errorf("%s %s = %d %s\nwant %d code %q field %q %q", method, path, r.status, got, want, c.code, c.field, c.msg)
			}
			if len(r.header.Values("Set-Cookie")) != 0 && r.status >= 400 {
				t.Errorf("a refused request set a cookie: %v", r.header.Values("Set-Cookie"))
			}
			if unchanged != nil {
				unchanged(t)
			}
		})
	}
}

func TestInput(t *testing.T) {
	e := newAzEnv(t)

	// Cappuccino is sold out: the admin marks it unavailable.
	bar := e.bar(t, azBarX)
	menu := bar["menu"].([]any)
	for _, d := range menu {
		if d := d.(map[string]any); d["id"] == "cappuccino" {
			d["available"] = false
		}
	}
	e.must(t, azAdmin, 200, "PATCH", "/api/events/"+azBarX, map[string]any{"menu": menu}, nil)

	t.Run("drink", func(t *testing.T) {
		id := e.order(t, azBarX, "waiting")
		path := "/api/orders/" + id + "/drink"
		fw := func(mods any) map[string]any { return map[string]any{"drink": "flat-white", "modifiers": mods} }
		cases := []inCase{
			{name: "unknown drink", body: map[string]any{"drink": "mocha"}, code: "invalid", field: "drink", msg: `"mocha" is not on the menu`},
			{name: "drink id is case-sensitive", body: map[string]any{"drink": "Flat-White"}, code: "invalid", field: "drink"},
			{name: "empty drink", body: map[string]any{"drink": ""}, code: "invalid", field: "drink", msg: "choose a drink"},
			{name: "no drink", body: `{}`, code: "invalid", field: "drink", msg: "choose a drink"},
			{name: "null body", body: `null`, code: "invalid", field: "drink", msg: "choose a drink"},
			{name: "only modifiers", body: map[string]any{"modifiers": map[string]string{"milk": "oat"}}, code: "invalid", field: "drink"},
			{name: "unavailable drink", body: map[string]any{"drink": "cappuccino"}, code: "invalid", field: "drink", msg: "Cappuccino is not available right now"},
			{name: "unknown modifier group", body: fw(map[string]string{"sugar": "yes"}), code: "invalid", field: "modifiers.sugar", msg: `Flat White has no modifier "sugar"`},
			{name: "group of another drink", body: map[string]any{"drink": "single-espresso", "modifiers": map[string]string{"milk": "oat"}}, code: "invalid", field: "modifiers.milk"},
			{name: "unknown option", body: fw(map[string]string{"milk": "soy"}), code: "invalid", field: "modifiers.milk", msg: `"soy" is not an option of Milk`},
			{name: "empty option", body: fw(map[string]string{"milk": ""}), code: "invalid", field: "modifiers.milk"},
			{name: "option id is case-sensitive", body: fw(map[string]string{"milk": "Oat"}), code: "invalid", field: "modifiers.milk"},
			{name: "truncated JSON", body: `{"drink":`, code: "invalid", field: "body", msg: "the request body is truncated JSON"},
			{name: "unclosed object", body: `{"drink":"flat-white"`, code: "invalid", field: "body", msg: "the request body is truncated JSON"},
			{name: "not JSON", body: `{drink: flat-white}`, code: "invalid", field: "body", msg: "the request body is not valid JSON (at byte 2)"},
			{name: "form encoded", body: `drink=flat-white`, code: "invalid", field: "body"},
			{name: "drink is a number", body: `{"drink":7}`, code: "invalid", field: "drink", msg: "drink must be a string, not a JSON number"},
			{name: "drink is a list", body: `{"drink":["flat-white"]}`, code: "invalid", field: "drink"},
			{name: "modifiers is a string", body: `{"drink":"flat-white","modifiers":"oat"}`, code: "invalid", field: "modifiers"},
			{name: "option is a list", body: `{"drink":"flat-white","modifiers":{"milk":["oat"]}}`, code: "invalid", field: "modifiers.milk"},
			{name: "body is a list", body: `["flat-white"]`, code: "invalid", field: "body"},
			{name: "unknown field", body: `{"drink":"flat-white","size":"large"}`, code: "invalid", field: "size", msg: `unknown field "size"`},
			{name: "unknown field only", body: `{"coffee":"flat-white"}`, code: "invalid", field: "coffee"},
			{name: "two objects", body: `{"drink":"flat-white"} {"drink":"americano"}`, code: "invalid", field: "body", msg: "the request body has data after the JSON object"},
			{name: "trailing garbage", body: `{"drink":"flat-white"}x`, code: "invalid", field: "body"},
			{name: "empty body", body: ``, code: "invalid", field: "body", msg: "the request body is empty: send a JSON object"},
			{name: "inOversized", body: inOversized, code: "invalid", field: "body", msg: inTooBig},
			{name: "inOversized white space", body: inBigPrefix + `{"drink":"flat-white"}`, code: "invalid", field: "body", msg: inTooBig},
		}
		inRun(t, e, azCustA, "PUT", path, cases, func(t *testing.T) {
			if o := e.orderState(t, id); o.State != "waiting" || o.Number != 0 || o.Drink != nil {
				t.Fatalf("after a refused drink the order is %s #%d with %v, want waiting, unnumbered, no drink", o.State, o.Number, o.Drink)
			}
		})
		// None of that drew a number: the first good choice gets #1.
		var o apiOrder
		e.must(t, azCustA, 200, "PUT", path, map[string]any{"drink": "flat-white", "modifiers": map[string]string{"milk": "oat"}}, &o)
		if o.State != "queued" || o.Number != 1 {
			t.Fatalf("good drink = %s #%d, want queued #1", o.State, o.Number)
		}
		// A drink for an order that is no longer waiting is a conflict,
		// even when the drink itself is bad.
		if r := e.as(t, azCustA, "PUT", path, map[string]any{"drink": "americano"}); r.status != 409 {
			t.Errorf("second drink = %d %s, want 409", r.status, r.body)
		}
	})

	t.Run("drink trailing closer", func(t *testing.T) {
		// json.Decoder.More is false before ']' and '}', which once let this
		// trailing data through and queued the order.
		id := e.order(t, azBarX, "waiting")
		inRun(t, e, azCustA, "PUT", "/api/orders/"+id+"/drink", []inCase{
			{name: "trailing bracket", body: `{"drink":"flat-white"}]`, code: "invalid", field: "body"},
		}, nil)
	})

	t.Run("start order", func(t *testing.T) {
		path := "/api/events/" + azBarX + "/orders"
		var q struct{ Code string }
		e.must(t, azAdmin, 200, "GET", "/api/events/"+azBarX+"/qr", nil, &q)
		count := func(t *testing.T) int {
			var out struct{ Orders []apiOrder }
			e.must(t, azCustB, 200, "GET", "/api/me/orders", nil, &out)
			return len(out.Orders)
		}
		remaining := func(t *testing.T) int {
			var cur struct {
				Code      string
				Remaining int
			}
			e.must(t, azAdmin, 200, "GET", "/api/events/"+azBarX+"/qr", nil, &cur)
			return cur.Remaining
		}
		n, left := count(t), remaining(t)
		cases := []inCase{
			{name: "no code", body: `{}`, code: "invalid_code", field: "code"},
			{name: "empty code", body: map[string]string{"code": ""}, code: "invalid_code", field: "code"},
			{name: "wrong code", body: map[string]string{"code": "not-the-code"}, code: "invalid_code", field: "code"},
			{name: "code of another bar", body: map[string]string{"code": strings.ToLower(q.Code)}, code: "invalid_code", field: "code"},
			{name: "overlong code", body: map[string]string{"code": strings.Repeat("A", 65)}, code: "invalid_code", field: "code"},
			{name: "code is a number", body: `{"code":12345}`, code: "invalid", field: "code"},
			{name: "unknown field", body: map[string]string{"code": q.Code, "eventId": azBarY}, code: "invalid", field: "eventId"},
			{name: "identity in the body", body: map[string]string{"code": q.Code, "userId": e.ids[azCustA]}, code: "invalid", field: "userId"},
			{name: "malformed", body: `{"code":"` + q.Code, code: "invalid", field: "body"},
			{name: "trailing data", body: `{"code":"` + q.Code + `"} {}`, code: "invalid", field: "body"},
			{name: "empty body", body: ``, code: "invalid", field: "body"},
			{name: "inOversized", body: `{"code":"` + strings.Repeat("A", 300<<10) + `"}`, code: "invalid", field: "body", msg: inTooBig},
		}
		inRun(t, e, azCustB, "POST", path, cases, func(t *testing.T) {
			if got := count(t); got != n {
				t.Fatalf("customer B has %d orders after a refused start, want %d", got, n)
			}
			if got := remaining(t); got != left {
				t.Fatalf("code has %d uses left after a refused start, want %d", got, left)
			}
		})
	})

	t.Run("sign in", func(t *testing.T) {
		inRun(t, e, azAnon, "POST", "/api/staff/session", []inCase{
			{name: "unknown field", body: `{"username":"admin","password":"admin","role":"admin"}`, code: "invalid", field: "role"},
			{name: "username is a number", body: `{"username":1,"password":"x"}`, code: "invalid", field: "username"},
			{name: "empty body", body: ``, code: "invalid", field: "body"},
			{name: "inOversized", body: `{"username":"` + strings.Repeat("a", 300<<10) + `"}`, code: "invalid", field: "body", msg: inTooBig},
		}, nil)
		inRun(t, e, azAnon, "POST", "/api/customer/session", []inCase{
			{name: "nothing", body: `{}`, code: "invalid", field: "email"},
			{name: "name without bar", body: map[string]string{"name": "Ann"}, code: "invalid", field: "eventId"},
			{name: "blank name", body: map[string]string{"eventId": azBarX, "name": "   "}, code: "invalid", field: "name"},
			{name: "long name", body: map[string]string{"eventId": azBarX, "name": strings.Repeat("n", 41)}, code: "invalid", field: "name"},
			{name: "unknown bar", body: map[string]string{"eventId": "missing", "name": "Ann"}, status: 404, code: "not_found"},
			{name: "bad email", body: map[string]string{"email": "not-an-email", "code": "123456"}, code: "invalid", field: "email"},
			{name: "identity in the body", body: map[string]string{"eventId": azBarX, "name": "Ann", "role": "admin"}, code: "invalid", field: "role"},
			{name: "email is a number", body: `{"email":1}`, code: "invalid", field: "email"},
		}, nil)
		inRun(t, e, azAnon, "POST", "/api/customer/code", []inCase{
			{name: "no email", body: `{}`, code: "invalid", field: "email"},
			{name: "bad email", body: map[string]string{"email": "nope"}, code: "invalid", field: "email"},
			{name: "display name form", body: map[string]string{"email": "Ann <ann@example.com>"}, code: "invalid", field: "email"},
			{name: "unknown field", body: map[string]string{"mail": "ann@example.com"}, code: "invalid", field: "mail"},
		}, nil)
	})

	t.Run("patch bar", func(t *testing.T) {
		before := azJSON(t, e.bar(t, azBarX))
		limits := func(k string, v int) map[string]any {
			l := map[string]any{}
			for name, n := range azLimits {
				l[name] = n
			}
			l[k] = v
			return map[string]any{"limits": l}
		}
		timeouts := func(c, b int) map[string]any {
			return map[string]any{"timeouts": map[string]int{"customerSeconds": c, "baristaSeconds": b}}
		}
		drink := func(d map[string]any) map[string]any { return map[string]any{"menu": []any{d}} }
		milk := func(def string, opts ...string) []any {
			var o []any
			for _, id := range opts {
				o = append(o, map[string]string{"id": id, "name": id})
			}
			return []any{map[string]any{"id": "milk", "name": "Milk", "default": def, "options": o}}
		}
		cases := []inCase{
			{name: "unknown time zone", body: map[string]string{"timezone": "Mars/Olympus"}, code: "invalid", field: "timezone", msg: `timezone "Mars/Olympus" is not an IANA time zone`},
			{name: "Local time zone", body: map[string]string{"timezone": "Local"}, code: "invalid", field: "timezone"},
			{name: "negative drinks per code", body: limits("drinksPerCode", -1), code: "invalid", field: "limits.drinksPerCode", msg: "limits.drinksPerCode must be between 1 and 10000"},
			{name: "short window", body: limits("windowSeconds", 5), code: "invalid", field: "limits.windowSeconds"},
			{name: "negative queue", body: limits("maxQueue", -3), code: "invalid", field: "limits.maxQueue"},
			{name: "huge queue", body: limits("maxQueue", 100001), code: "invalid", field: "limits.maxQueue"},
			{name: "negative per customer", body: limits("maxPerCustomer", -1), code: "invalid", field: "limits.maxPerCustomer"},
			{name: "negative customer timeout", body: timeouts(-5, 900), code: "invalid", field: "timeouts.customerSeconds"},
			{name: "long barista timeout", body: timeouts(300, 86401), code: "invalid", field: "timeouts.baristaSeconds"},
			{name: "fractional limit", body: `{"limits":{"maxQueue":1.5}}`, code: "invalid", field: "limits.maxQueue"},
			{name: "default not an option", body: drink(map[string]any{"id": "latte", "name": "Latte", "available": true, "modifiers": milk("soy", "regular", "oat")}),
				code: "invalid", field: "menu.latte.modifiers.milk.default", msg: `default "soy" of group "milk" is not one of its options`},
			{name: "group without options", body: drink(map[string]any{"id": "latte", "name": "Latte", "modifiers": milk("")}), code: "invalid", field: "menu.latte.modifiers.milk"},
			{name: "repeated option", body: drink(map[string]any{"id": "latte", "name": "Latte", "modifiers": milk("oat", "oat", "oat")}), code: "invalid", field: "menu.latte.modifiers.milk"},
			{name: "bad drink id", body: drink(map[string]any{"id": "Latte Grande", "name": "Latte"}), code: "invalid", field: "menu"},
			{name: "drink without name", body: drink(map[string]any{"id": "latte"}), code: "invalid", field: "menu.latte.name"},
			{name: "repeated drink", body: map[string]any{"menu": []any{map[string]string{"id": "latte", "name": "A"}, map[string]string{"id": "latte", "name": "B"}}}, code: "invalid", field: "menu.latte"},
			{name: "unknown sign-in mode", body: map[string]string{"signInMode": "magic"}, code: "invalid", field: "signInMode"},
			{name: "empty name", body: map[string]string{"name": ""}, code: "invalid", field: "name"},
			{name: "long name", body: map[string]string{"name": strings.Repeat("n", 101)}, code: "invalid", field: "name"},
			{name: "open is a string", body: `{"open":"yes"}`, code: "invalid", field: "open", msg: "open must be true or false, not a JSON string"},
			{name: "menu is an object", body: `{"menu":{}}`, code: "invalid", field: "menu"},
			{name: "id cannot change", body: map[string]string{"id": "renamed"}, code: "invalid", field: "id", msg: `unknown field "id"`},
			{name: "unknown field", body: map[string]any{"open": false, "colour": "red"}, code: "invalid", field: "colour"},
			{name: "valid change with a bad one", body: map[string]any{"open": false, "timezone": "Nowhere/City"}, code: "invalid", field: "timezone"},
			{name: "empty body", body: ``, code: "invalid", field: "body"},
			{name: "trailing data", body: `{"open":false} {"open":true}`, code: "invalid", field: "body"},
			{name: "inOversized", body: `{"name":"` + strings.Repeat("n", 300<<10) + `"}`, code: "invalid", field: "body", msg: inTooBig},
		}
		inRun(t, e, azAdmin, "PATCH", "/api/events/"+azBarX, cases, func(t *testing.T) {
			if after := azJSON(t, e.bar(t, azBarX)); after != before {
				t.Fatalf("bar changed:\nbefore %s\nafter  %s", before, after)
			}
		})
		// A barista's bad body is refused the same way.
		inRun(t, e, azBaristaX, "PATCH", "/api/events/"+azBarX, []inCase{
			{name: "barista open is a string", body: `{"open":"no"}`, code: "invalid", field: "open"},
		}, nil)
	})

	t.Run("create bar", func(t *testing.T) {
		var before, after struct{ Events []map[string]any }
		e.must(t, azAnon, 200, "GET", "/api/events", nil, &before)
		long := strings.Repeat("b", 33)
		cases := []inCase{
			{name: "upper case and space", body: map[string]string{"id": "Bad Id", "name": "X"}, code: "invalid", field: "id"},
			{name: "empty id", body: map[string]string{"id": "", "name": "X"}, code: "invalid", field: "id"},
			{name: "no id", body: map[string]string{"name": "X"}, code: "invalid", field: "id"},
			{name: "leading dash", body: map[string]string{"id": "-bar", "name": "X"}, code: "invalid", field: "id"},
			{name: "slash", body: map[string]string{"id": "a/b", "name": "X"}, code: "invalid", field: "id"},
			{name: "dot dot", body: map[string]string{"id": "..", "name": "X"}, code: "invalid", field: "id"},
			{name: "33 characters", body: map[string]string{"id": long, "name": "X"}, code: "invalid", field: "id"},
			{name: "unicode", body: map[string]string{"id": "café", "name": "X"}, code: "invalid", field: "id"},
			{name: "no name", body: map[string]string{"id": "new-bar"}, code: "invalid", field: "name"},
			{name: "bad time zone", body: map[string]string{"id": "new-bar", "name": "X", "timezone": "Nowhere"}, code: "invalid", field: "timezone"},
			{name: "bad sign-in mode", body: map[string]string{"id": "new-bar", "name": "X", "signInMode": "sms"}, code: "invalid", field: "signInMode"},
			{name: "unknown field", body: map[string]string{"id": "new-bar", "name": "X", "createdAt": "2020-01-01T00:00:00Z"}, code: "invalid", field: "createdAt"},
			{name: "id is a number", body: `{"id":7,"name":"X"}`, code: "invalid", field: "id"},
			{name: "existing id", body: map[string]string{"id": azBarX, "name": "Again"}, status: 409, code: "exists"},
			{name: "empty body", body: ``, code: "invalid", field: "body"},
			{name: "inOversized", body: `{"id":"big","name":"` + strings.Repeat("n", 300<<10) + `"}`, code: "invalid", field: "body", msg: inTooBig},
		}
		inRun(t, e, azAdmin, "POST", "/api/events", cases, func(t *testing.T) {
			e.must(t, azAnon, 200, "GET", "/api/events", nil, &after)
			if a, b := azJSON(t, after), azJSON(t, before); a != b {
				t.Fatalf("bars changed:\nbefore %s\nafter  %s", b, a)
			}
		})
	})

	t.Run("create staff", func(t *testing.T) {
		const name = "input-probe"
		staff := func(kv ...string) map[string]string {
			m := map[string]string{"username": name, "password": "pw", "role": "barista", "eventId": azBarX}
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "-" {
					delete(m, kv[i])
				} else {
					m[kv[i]] = kv[i+1]
				}
			}
			return m
		}
		cases := []inCase{
			{name: "unknown role", body: staff("role", "chef"), code: "invalid", field: "role"},
			{name: "no role", body: staff("role", "-"), code: "invalid", field: "role"},
			{name: "customer role", body: staff("role", "customer"), code: "invalid", field: "role"},
			{name: "bad username", body: staff("username", "bad name!"), code: "invalid", field: "username"},
			{name: "barista without bar", body: staff("eventId", "-"), code: "invalid", field: "eventId"},
			{name: "display of a missing bar", body: staff("role", "display", "eventId", "missing"), code: "invalid", field: "eventId"},
			{name: "unknown field", body: staff("admin", "true"), code: "invalid", field: "admin"},
			{name: "username is a number", body: `{"username":5,"password":"pw","role":"barista","eventId":"demo"}`, code: "invalid", field: "username"},
			{name: "empty body", body: ``, code: "invalid", field: "body"},
		}
		inRun(t, e, azAdmin, "POST", "/api/staff", cases, nil)
		// None of them made the account.
		e.must(t, azAdmin, 201, "POST", "/api/staff", staff(), nil)
		if r := e.as(t, azAdmin, "POST", "/api/staff", staff()); r.status != 409 {
			t.Errorf("second account of the same name = %d %s, want 409", r.status, r.body)
		}
	})

	t.Run("list query", func(t *testing.T) {
		base := "/api/events/" + azBarX + "/orders"
		for _, c := range []struct{ query, field string }{
			{"?state=bogus", "state"},
			{"?state=queued,,making", "state"},
			{"?state=QUEUED", "state"},
			{"?within=-1", "within"},
			{"?within=abc", "within"},
			{"?within=604801", "within"},
			{"?within=1.5", "within"},
		} {
			r := e.as(t, azBaristaX, "GET", base+c.query, nil)
			var out inErr
			json.Unmarshal(r.body, &out)
			if r.status != 400 || out.Error.Code != "invalid" || out.Error.Field != c.field {
				t.Errorf("GET %s = %d %s, want 400 invalid %s", c.query, r.status, r.body, c.field)
			}
		}
		for _, q := range []string{"?state=queued,making", "?state=%20queued%20", "?within=0", "?within=604800"} {
			if r := e.as(t, azBaristaX, "GET", base+q, nil); r.status != 200 {
				t.Errorf("GET %s = %d %s, want 200", q, r.status, r.body)
			}
		}
	})
}
