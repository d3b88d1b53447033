package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"presso"
	"presso/config"
	"presso/orders"
	"presso/web"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; run a fuzzer with
//
//	go test -run='^$' -fuzz='^FuzzDecodeJSON$' -fuzztime=30s ./web/
//
// Without -fuzz, go test runs every seed as a regular test.

// decodeTargets are the request bodies the handlers decode.
var decodeTargets = []struct {
	name string
	new  func() any
}{
	{"SubmitInput", func() any { return &orders.SubmitInput{} }},
	{"Patch", func() any { return &config.Patch{} }},
	{"Bar", func() any { return &presso.Bar{} }},
	{"SignIn", func() any { return &staffSignInInput{} }},
}

// fuzzInvalid is checkInvalid plus: the message speaks JSON, never Go.
func fuzzInvalid(t *testing.T, data []byte, err error) *presso.Error {
	t.Helper()
	var pe *presso.Error
	if !errors.As(err, &pe) {
		t.Fatalf("DecodeJSON(%q) = %v (%T), want a *presso.Error", data, err, err)
	}
	if pe.Field == "" && strings.HasPrefix(pe.Message, "unknown field ") {
		t.Fatalf("DecodeJSON(%q) = unknown field with an empty error.field (an object key \"\" is unknown); want a non-empty field such as \"body\"", data)
	}
	if pe.Kind != presso.KindInvalid || pe.Code != "invalid" || pe.Field == "" || pe.Message == "" {
		t.Fatalf("DecodeJSON(%q) = %+v, want kind invalid, code invalid, a field and a message", data, pe)
	}
	for _, leak := range []string{"Go struct", "Go value", "presso.", "orders.", "config.", "web_test.", "json: "} {
		if strings.Contains(pe.Message, leak) {
			t.Fatalf("DecodeJSON(%q): message %q shows Go internals (%q)", data, pe.Message, leak)
		}
	}
	return pe
}

// checkDecoded holds for every successful decode: the body was one JSON
// value, and the value survives a round trip through JSON unchanged.
func checkDecoded(t *testing.T, data []byte, v any, fresh func() any) {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("DecodeJSON(%q) succeeded, but the body is not one JSON value", data)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	again := fresh()
	if err := web.DecodeJSON(bytes.NewReader(enc), again); err != nil {
		t.Fatalf("DecodeJSON(%q) of a re-encoded value = %v", enc, err)
	}
	if !reflect.DeepEqual(v, again) {
		enc2, _ := json.Marshal(again)
		t.Fatalf("round trip changed the value:\n%s\n%s", enc, enc2)
	}
}

// decodeChecked decodes data into v as the handlers do and checks what
// every outcome must hold: fuzzInvalid for a refusal, checkDecoded for a
// value. It reports whether v now holds one.
func decodeChecked(t *testing.T, data []byte, v any, fresh func() any) bool {
	t.Helper()
	if err := web.DecodeJSON(bytes.NewReader(data), v); err != nil {
		fuzzInvalid(t, data, err)
		return false
	}
	checkDecoded(t, data, v, fresh)
	return true
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"drink":"flat-white","modifiers":{"milk":"oat"}}`, `{"open":false}`, ``, `{`, `[]`, `null`,
		`{"drink":5}`, `{"drink":"x"} {}`, `{"limits":{"maxQueue":1.5}}`, `{"username":"a","password":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, target := range decodeTargets {
			decodeChecked(t, data, target.new(), target.new)
		}
		// The same body behind the handlers' size limit: either the same
		// answer, or a body error once the limit is hit.
		const limit = 64
		r := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(data)), limit)
		err := web.DecodeJSON(r, &orders.SubmitInput{})
		if err != nil {
			pe := fuzzInvalid(t, data, err)
			if strings.HasPrefix(pe.Message, "the request body is larger") && (pe.Field != "body" || len(data) <= limit) {
				t.Fatalf("DecodeJSON(%d bytes, limit %d) = field %q message %q", len(data), limit, pe.Field, pe.Message)
			}
		}
	})
}

// demoBarForFuzz is the demo bar with one drink sold out.
func demoBarForFuzz() *presso.Bar {
	b := config.DemoBar()
	for i := range b.Menu {
		if b.Menu[i].ID == "cappuccino" {
			b.Menu[i].Available = false
		}
	}
	return b
}

// FuzzSubmitInput decodes a drink choice and resolves it against the demo
// menu, as PUT /api/orders/{id}/drink does: every rejection is a 400 naming
// "drink" or "modifiers.<group>", and every acceptance is a drink on the
// menu with exactly one option per modifier group.
func FuzzSubmitInput(f *testing.F) {
	for _, s := range []string{
		`{"drink":"flat-white","modifiers":{"milk":"oat"}}`, `{"drink":"americano"}`, `{"drink":"single-espresso","modifiers":{}}`,
		`{"drink":"cappuccino"}`, `{"drink":"mocha"}`, `{"drink":"flat-white","modifiers":{"sugar":"yes"}}`,
		`{"drink":"flat-white","modifiers":{"milk":"soy"}}`, `{"drink":"single-espresso","modifiers":{"milk":"oat"}}`,
		`{"drink":"flat-white","modifiers":{"milk":""}}`, `{"drink":"flat-white","modifiers":null}`,
	} {
		f.Add([]byte(s))
	}
	bar := demoBarForFuzz()
	f.Fuzz(func(t *testing.T, data []byte) {
		var in orders.SubmitInput
		if !decodeChecked(t, data, &in, func() any { return &orders.SubmitInput{} }) {
			return
		}
		if in.Drink == "" {
			return // the handler answers 400 drink before resolving
		}
		d, err := config.ResolveDrink(bar, in.Drink, in.Modifiers)
		var item *presso.MenuItem
		for i := range bar.Menu {
			if bar.Menu[i].ID == in.Drink {
				item = &bar.Menu[i]
			}
		}
		if err != nil {
			var pe *presso.Error
			if !errors.As(err, &pe) || pe.Kind != presso.KindInvalid || pe.Message == "" {
				t.Fatalf("ResolveDrink(%q, %v) = %v, want a 400", in.Drink, in.Modifiers, err)
			}
			switch {
			case pe.Field == "drink":
				if item != nil && item.Available {
					t.Fatalf("ResolveDrink(%q) rejected an available drink: %v", in.Drink, pe.Message)
				}
			case strings.HasPrefix(pe.Field, "modifiers."):
				g := strings.TrimPrefix(pe.Field, "modifiers.")
				if _, sent := in.Modifiers[g]; !sent {
					t.Fatalf("ResolveDrink blamed group %q, which was not sent (%v)", g, in.Modifiers)
				}
			default:
				t.Fatalf("ResolveDrink(%q, %v): field %q, want drink or modifiers.<group>", in.Drink, in.Modifiers, pe.Field)
			}
			return
		}
		if item == nil || !item.Available || d.ID != item.ID || len(d.Modifiers) != len(item.Modifiers) {
			t.Fatalf("ResolveDrink(%q, %v) = %+v, not the menu's drink", in.Drink, in.Modifiers, d)
		}
		if len(in.Modifiers) > len(item.Modifiers) {
			t.Fatalf("ResolveDrink(%q) accepted %d groups for a drink with %d", in.Drink, len(in.Modifiers), len(item.Modifiers))
		}
		for i, g := range item.Modifiers {
			want, sent := in.Modifiers[g.ID]
			if !sent {
				want = g.Default
			}
			if m := d.Modifiers[i]; m.Group != g.ID || m.Option != want {
				t.Fatalf("ResolveDrink(%q, %v): modifier %d = %+v, want %s=%s", in.Drink, in.Modifiers, i, m, g.ID, want)
			}
		}
	})
}

// FuzzPatch decodes a bar patch and applies it to the demo bar as
// config.Service.Update does (set, Defaults, Validate). The demo bar is
// valid, so a rejection must name a field the patch touched.
func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"open":false}`, `{"name":"Renamed","timezone":"Europe/Paris","dailyReset":true}`,
		`{"timezone":"Mars/Olympus"}`, `{"timezone":"Local"}`, `{"signInMode":"magic"}`, `{"name":""}`,
		`{"limits":{"drinksPerCode":-1}}`, `{"limits":{"maxQueue":100001}}`, `{"timeouts":{"customerSeconds":-5}}`,
		`{"menu":[]}`, `{"menu":[{"id":"latte","name":"Latte","available":true,"modifiers":[{"id":"milk","name":"Milk","default":"soy","options":[{"id":"regular","name":"Regular"}]}]}]}`,
		`{"menu":[{"id":"x","name":"X"},{"id":"x","name":"Y"}]}`, `{"menu":[{"id":"Bad Id","name":"X"}]}`,
		`{"menu":[{"id":"x","name":"X","modifiers":[{"id":"g","name":"G","options":[]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p config.Patch
		if !decodeChecked(t, data, &p, func() any { return &config.Patch{} }) {
			return
		}
		b := config.DemoBar()
		touched := map[string]bool{"name": p.Name != nil, "open": p.Open != nil, "signInMode": p.SignInMode != nil,
			"timezone": p.Timezone != nil, "dailyReset": p.DailyReset != nil, "menu": p.Menu != nil,
			"limits": p.Limits != nil, "timeouts": p.Timeouts != nil}
		err := p.Apply(b)
		if err != nil {
			var pe *presso.Error
			if !errors.As(err, &pe) || pe.Kind != presso.KindInvalid || pe.Field == "" || pe.Message == "" {
				t.Fatalf("Validate after %q = %v, want a 400 naming a field", data, err)
			}
			root, _, _ := strings.Cut(pe.Field, ".")
			if !touched[root] {
				t.Fatalf("Validate after %q blamed %q, which the patch did not touch", data, pe.Field)
			}
			return
		}
		// A valid bar stays valid through JSON, as it is stored and served.
		enc, _ := json.Marshal(b)
		var back presso.Bar
		if err := web.DecodeJSON(bytes.NewReader(enc), &back); err != nil {
			t.Fatalf("re-decoding a valid bar: %v\n%s", err, enc)
		}
		config.Defaults(&back)
		if err := config.Validate(&back); err != nil {
			t.Fatalf("a valid bar failed validation after a JSON round trip: %v\n%s", err, enc)
		}
	})
}
