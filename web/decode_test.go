package web_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"presso"
	"presso/config"
	"presso/orders"
	"presso/web"
)

// staffSignInInput mirrors the staff sign-in handler's body.
type staffSignInInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// checkInvalid fails unless err is a *presso.Error of kind KindInvalid with
// code "invalid", a non-empty field and a non-empty message: the shape every
// DecodeJSON error must have.
func checkInvalid(t testing.TB, err error) *presso.Error {
	t.Helper()
	var pe *presso.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *presso.Error", err, err)
	}
	if pe.Kind != presso.KindInvalid || pe.Code != "invalid" || pe.Field == "" || pe.Message == "" {
		t.Fatalf("error = %+v, want kind invalid, code \"invalid\", a field and a message", pe)
	}
	return pe
}

func TestDecodeJSON(t *testing.T) {
	submit := func() any { return &orders.SubmitInput{} }
	patch := func() any { return &config.Patch{} }
	bar := func() any { return &presso.Bar{} }
	signIn := func() any { return &staffSignInInput{} }

	tests := []struct {
		name  string
		into  func() any
		body  string
		field string // "" means no error
		msg   string
	}{
		// Accepted.
		{"drink with modifiers", submit, `{"drink":"flat-white","modifiers":{"milk":"oat"}}`, "", ""},
		{"drink alone", submit, `{"drink":"single-espresso"}`, "", ""},
		{"surrounding whitespace", submit, " \n\t{\"drink\":\"americano\"}\r\n ", "", ""},
		{"null is an empty input", submit, `null`, "", ""},
		{"patch open", patch, `{"open":false}`, "", ""},
		{"sign-in", signIn, `{"username":"admin","password":"admin"}`, "", ""},
		{"whole bar", bar, `{"id":"x","name":"X","limits":{"maxQueue":3}}`, "", ""},

		// Empty and truncated.
		{"empty body", submit, ``, "body", "the request body is empty: send a JSON object"},
		{"only whitespace", submit, " \n\t ", "body", "the request body is empty: send a JSON object"},
		{"truncated object", submit, `{"drink":`, "body", "the request body is truncated JSON"},
		{"truncated string", submit, `{"drink":"flat`, "body", "the request body is truncated JSON"},
		{"unclosed object", submit, `{"drink":"flat-white"`, "body", "the request body is truncated JSON"},

		// Not JSON.
		{"bare word", submit, `drink`, "body", "the request body is not valid JSON (at byte 1)"},
		{"missing colon", submit, `{"drink" "x"}`, "body", "the request body is not valid JSON (at byte 10)"},
		{"single quotes", submit, `{'drink':'x'}`, "body", "the request body is not valid JSON (at byte 2)"},
		{"trailing comma", submit, `{"drink":"x",}`, "body", "the request body is not valid JSON (at byte 14)"},
		{"form encoded", submit, `drink=flat-white`, "body", "the request body is not valid JSON (at byte 1)"},

		// Wrong JSON types.
		{"array body", submit, `[]`, "body", "body must be an object, not a JSON array"},
		{"string body", submit, `"flat-white"`, "body", "body must be an object, not a JSON string"},
		{"number body", patch, `42`, "body", "body must be an object, not a JSON number"},
		{"drink is a number", submit, `{"drink":5}`, "drink", "drink must be a string, not a JSON number"},
		{"drink is an object", submit, `{"drink":{"id":"x"}}`, "drink", "drink must be a string, not a JSON object"},
		{"modifiers is a list", submit, `{"drink":"x","modifiers":["oat"]}`, "modifiers", "modifiers must be an object, not a JSON array"},
		{"modifier option is a bool", submit, `{"drink":"x","modifiers":{"milk":true}}`, "modifiers.milk", "modifiers.milk must be a string, not a JSON bool"},
		{"second modifier is a number", submit, `{"drink":"x","modifiers":{"milk":"oat","shots":2}}`, "modifiers.shots", "modifiers.shots must be a string, not a JSON number"},
		{"modifier after a nested value", submit, `{"modifiers":{"milk":"oat","size":{"x":[1,{"y":2}]}},"drink":"x"}`, "modifiers.size", "modifiers.size must be a string, not a JSON object"},
		{"open is a string", patch, `{"open":"yes"}`, "open", "open must be true or false, not a JSON string"},
		{"menu is an object", patch, `{"menu":{}}`, "menu", "menu must be a list, not a JSON object"},
		{"limits is a number", patch, `{"limits":5}`, "limits", "limits must be an object, not a JSON number"},
		{"nested limit is a string", patch, `{"limits":{"maxQueue":"many"}}`, "limits.maxQueue", "limits.maxQueue must be a whole number, not a JSON string"},
		{"nested limit is fractional", patch, `{"limits":{"maxQueue":1.5}}`, "limits.maxQueue", "limits.maxQueue must be a whole number, not a JSON number 1.5"},
		{"nested limit overflows", patch, `{"limits":{"maxQueue":1e400}}`, "limits.maxQueue", "limits.maxQueue must be a whole number, not a JSON number 1e400"},
		{"menu item field", patch, `{"menu":[{"id":"x","available":"yes"}]}`, "menu.available", "menu.available must be true or false, not a JSON string"},
		{"deep menu field", patch, `{"menu":[{"id":"x","modifiers":[{"options":[{"id":1}]}]}]}`, "menu.modifiers.options.id", "menu.modifiers.options.id must be a string, not a JSON number"},

		// Unknown fields.
		{"unknown field", submit, `{"drink":"x","size":"large"}`, "size", `unknown field "size"`},
		{"unknown field first", submit, `{"extra":1,"drink":"x"}`, "extra", `unknown field "extra"`},
		{"unknown patch field", patch, `{"id":"other"}`, "id", `unknown field "id"`},
		{"unknown sign-in field", signIn, `{"username":"a","pass":"x"}`, "pass", `unknown field "pass"`},

		// Trailing data.
		{"second object", submit, `{"drink":"x"} {"drink":"y"}`, "body", "the request body has data after the JSON object"},
		{"trailing word", submit, `{"drink":"x"}garbage`, "body", "the request body has data after the JSON object"},
		{"trailing comma after object", submit, `{"drink":"x"},`, "body", "the request body has data after the JSON object"},
		{"trailing number", patch, `{"open":true} 1`, "body", "the request body has data after the JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := web.DecodeJSON(strings.NewReader(tc.body), tc.into())
			if tc.field == "" {
				if err != nil {
					t.Fatalf("DecodeJSON(%q) = %v, want success", tc.body, err)
				}
				return
			}
			pe := checkInvalid(t, err)
			if pe.Field != tc.field || pe.Message != tc.msg {
				t.Errorf("DecodeJSON(%q)\n got field %q message %q\nwant field %q message %q", tc.body, pe.Field, pe.Message, tc.field, tc.msg)
			}
		})
	}
}

// TestDecodeJSONValues checks what a successful decode yields.
func TestDecodeJSONValues(t *testing.T) {
	var in orders.SubmitInput
	if err := web.DecodeJSON(strings.NewReader(`{"drink":"flat-white","modifiers":{"milk":"oat"}}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Drink != "flat-white" || len(in.Modifiers) != 1 || in.Modifiers["milk"] != "oat" {
		t.Errorf("decoded %+v", in)
	}
	var p config.Patch
	if err := web.DecodeJSON(strings.NewReader(`{"open":false,"limits":{"maxQueue":7}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Open == nil || *p.Open || p.Limits == nil || p.Limits.MaxQueue == nil || *p.Limits.MaxQueue != 7 || p.Name != nil || p.Menu != nil {
		t.Errorf("decoded patch %+v", p)
	}
}

// TestDecodeJSONTrailingCloser: a body followed by a stray ']' or '}' is
// trailing data too. json.Decoder.More reports false before a closing
// delimiter, so DecodeJSON lets these through.
func TestDecodeJSONTrailingCloser(t *testing.T) {
	for _, body := range []string{`{"drink":"x"}]`, `{"drink":"x"}}`, `{"drink":"x"} ]`, `{"drink":"x"}]]]`, `{"drink":"x"}}0`, `{"drink":"x"}]{"drink":"y"}`} {
		err := web.DecodeJSON(strings.NewReader(body), &orders.SubmitInput{})
		if err == nil {
			t.Fatalf("DecodeJSON(%q) accepts trailing data after the object (json.Decoder.More is false before ']' or '}'); want 400 field body", body)
		}
		if pe := checkInvalid(t, err); pe.Field != "body" || pe.Message != "the request body has data after the JSON object" {
			t.Errorf("DecodeJSON(%q) = field %q message %q", body, pe.Field, pe.Message)
		}
	}
}

// TestDecodeJSONEmptyKey: an unknown field whose name is "" must still be
// reported with a non-empty error.field.
func TestDecodeJSONEmptyKey(t *testing.T) {
	for _, body := range []string{`{"":0}`, `{"drink":"x","":true}`} {
		err := web.DecodeJSON(strings.NewReader(body), &orders.SubmitInput{})
		var pe *presso.Error
		if errors.As(err, &pe) && pe.Kind == presso.KindInvalid && pe.Field == "" {
			t.Fatalf("DecodeJSON(%q) = %q with an empty error.field; want a non-empty field (\"body\")", body, pe.Message)
		}
		checkInvalid(t, err)
	}
}

// TestDecodeJSONFieldNames: error.field must be the JSON name the client
// sends, so every handler's body struct carries json tags.
func TestDecodeJSONFieldNames(t *testing.T) {
	err := web.DecodeJSON(strings.NewReader(`{"username":1,"password":"x"}`), &staffSignInInput{})
	pe := checkInvalid(t, err)
	if pe.Field != "username" {
		t.Errorf("field = %q, want username", pe.Field)
	}
}

func TestDecodeJSONOversized(t *testing.T) {
	const limit = 64
	for _, body := range []string{
		`{"drink":"` + strings.Repeat("a", 100) + `"}`,
		`{"drink":"x"}` + strings.Repeat(" ", 100), // the object fits; the padding does not
		strings.Repeat(" ", 100) + `{"drink":"x"}`,
	} {
		r := http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(body)), limit)
		err := web.DecodeJSON(r, &orders.SubmitInput{})
		if err == nil {
			t.Fatalf("DecodeJSON(%d bytes, limit %d) = nil, want an error", len(body), limit)
		}
		pe := checkInvalid(t, err)
		if pe.Field != "body" || pe.Message != "the request body is larger than 64 bytes" {
			t.Errorf("DecodeJSON(%d bytes, limit %d) = field %q message %q", len(body), limit, pe.Field, pe.Message)
		}
	}
}

func TestDecodeJSONReadError(t *testing.T) {
	err := web.DecodeJSON(iotest.ErrReader(io.ErrClosedPipe), &orders.SubmitInput{})
	pe := checkInvalid(t, err)
	if pe.Field != "body" || pe.Message != "the request body could not be read: io: read/write on closed pipe" {
		t.Errorf("field %q message %q", pe.Field, pe.Message)
	}
	// A read error after part of the object is still a body error.
	err = web.DecodeJSON(io.MultiReader(strings.NewReader(`{"drink":`), iotest.ErrReader(io.ErrClosedPipe)), &orders.SubmitInput{})
	if pe := checkInvalid(t, err); pe.Field != "body" {
		t.Errorf("partial read error: field %q message %q", pe.Field, pe.Message)
	}
}

func TestDecodeJSONDeepNesting(t *testing.T) {
	body := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	err := web.DecodeJSON(strings.NewReader(body), &orders.SubmitInput{})
	if pe := checkInvalid(t, err); pe.Field != "body" {
		t.Errorf("field %q message %q", pe.Field, pe.Message)
	}
}
