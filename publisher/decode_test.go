package publisher

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"presso"
	"presso/bus"
)

// TestDecode: the SSE data is {"detail":…,"type":…} on one line, the
// detail passed on as it came when it has no newline and compacted when
// it has; the user and session are read from the detail.
func TestDecode(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"as written", `{"id":"e1","detailType":"OrderManager.OrderCompleted","eventId":"demo","detail":{"orderId":"o1","userId":"u1", "n": 2}}`,
			`{"detail":{"orderId":"o1","userId":"u1", "n": 2},"type":"OrderManager.OrderCompleted"}`},
		{"with newlines", "{\"detailType\":\"X.Y\",\"eventId\":\"demo\",\"detail\":{\n  \"userId\": \"u1\",\n  \"sessionHash\": \"h\"\n}}",
			`{"detail":{"userId":"u1","sessionHash":"h"},"type":"X.Y"}`},
		{"no detail", `{"detailType":"X.Y","eventId":"demo"}`, `{"detail":null,"type":"X.Y"}`},
		{"a nested user is not the event's", `{"detailType":"X.Y","eventId":"demo","detail":{"order":{"userId":"u2","n":[1,{"a":"}]"}]},"userId":"u1"}}`,
			`{"detail":{"order":{"userId":"u2","n":[1,{"a":"}]"}]},"userId":"u1"},"type":"X.Y"}`},
		{"escapes", `{"detailType":"X.\u0059","event\u0049d":"demo","detail":{"userId":"u\u0031","s":"a\"}"}}`,
			`{"detail":{"userId":"u\u0031","s":"a\"}"},"type":"X.\u0059"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, a, err := decode(bus.Message{Seq: 7, Data: []byte(tc.data)})
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Data) != tc.want || msg.Seq != 7 || a.EventID != "demo" {
				t.Errorf("decode = %s (seq %d, bar %q), want %s", msg.Data, msg.Seq, a.EventID, tc.want)
			}
			if msg.Type != "X.Y" && msg.Type != "OrderManager.OrderCompleted" {
				t.Errorf("type = %q", msg.Type)
			}
			if tc.name != "no detail" && a.UserID != "u1" {
				t.Errorf("user = %q, want u1", a.UserID)
			}
		})
	}
}

// TestDecodeRefuses: what is not a JSON object is refused, not passed on.
func TestDecodeRefuses(t *testing.T) {
	for _, data := range []string{
		``, `[]`, `"x"`, `{`, `{"detailType":"X.Y"`, `{"detailType":"X.Y"}x`, `{"detailType" "X.Y"}`,
		`{"detailType":"X.Y",}`, `{"detailType":"X.Y","detail":{"userId":"u1"}`, `{"detailType":"X.Y","detail":{"a":[1}}`,
		`{"detailType":"X.Y","detail":{"a":"open}}`, `{"detailType":1}`, `{"eventId":{}}`, `{"detail":{"userId":[]}}`,
		`{"detailType":}`, `{detailType:"X.Y"}`, `{"detail":[{"userId":"u1"}]}`, `{"detail":"u1"}`, `{"detail":1}`,
	} {
		if msg, _, err := decode(bus.Message{Data: []byte(data)}); err == nil {
			t.Errorf("decode(%s) = %s, want an error", data, msg.Data)
		}
	}
}

// BenchmarkDecode decodes an OrderCompleted event as the relay publishes it.
func BenchmarkDecode(b *testing.B) {
	o := map[string]any{"id": "ord_0123456789abcdef", "eventId": "demo", "userId": "cus_0123456789", "userName": "Ann",
		"number": 12, "state": "completed", "drink": map[string]any{"id": "flat-white", "name": "Flat White",
			"modifiers": []map[string]any{{"group": "milk", "groupName": "Milk", "option": "oat", "optionName": "Oat"}}},
		"createdAt": "2026-11-25T10:00:00Z", "submittedAt": "2026-11-25T10:00:05Z", "baristaId": "stf_b1", "baristaName": "bea",
		"deadline": nil, "cause": "", "calledAt": nil, "collectedAt": nil, "version": 5}
	env := presso.NewEnvelope(presso.OrderManagerOrderCompleted, "demo", time.Now(),
		map[string]any{"Message": "Order 12 is ready", "eventId": "demo", "order": o, "orderId": o["id"],
			"orderNumber": 12, "state": "completed", "userId": o["userId"]})
	data, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	m := bus.Message{Seq: 7, Data: data}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, a, err := decode(m); err != nil || a.UserID != "cus_0123456789" {
			b.Fatal(a, err)
		}
	}
}

// FuzzDecode: on any JSON object in UTF-8 (json.Marshal writes no other), decode reads what encoding/json reads
// (keys matched exactly, as presso writes them), and its SSE data is valid
// JSON on one line.
func FuzzDecode(f *testing.F) {
	f.Add(`{"detailType":"X.Y","eventId":"demo","detail":{"userId":"u1","sessionHash":"h","order":{"userId":"u2"}}}`)
	f.Add("{\"detailType\":\"X.\\u0059\",\n\"detail\":{\"userId\" : null, \"a\":[1,2,{\"b\":\"]\"}]}}")
	f.Fuzz(func(t *testing.T, data string) {
		var w struct {
			DetailType any             `json:"detailType"`
			EventID    any             `json:"eventId"`
			Detail     json.RawMessage `json:"detail"`
		}
		if !utf8.ValidString(data) || json.Unmarshal([]byte(data), &w) != nil || !exactKeys(data) {
			return
		}
		msg, a, err := decode(bus.Message{Data: []byte(data)})
		var d struct{ UserID, SessionHash any }
		if len(w.Detail) > 0 && w.Detail[0] == '{' {
			var m map[string]any
			json.Unmarshal(w.Detail, &m)
			d.UserID, d.SessionHash = m["userId"], m["sessionHash"]
		}
		want, ok := strs(w.DetailType, w.EventID, d.UserID, d.SessionHash)
		if d := string(w.Detail); d != "" && d != "null" && d[0] != '{' {
			ok = false // encoding/json cannot read a user or session from it either
		}
		if !ok {
			if err == nil {
				t.Fatalf("decode(%s) took a detail that is no object, or a type, bar, user or session that is no string", data)
			}
			return
		}
		dt, ev, u, sh := want[0], want[1], want[2], want[3]
		if err != nil {
			t.Fatalf("decode(%s): %v", data, err)
		}
		if msg.Type != dt || a.EventID != ev || a.UserID != u || a.SessionHash != sh {
			t.Fatalf("decode(%s) = %q %+v, want %q %q %q %q", data, msg.Type, a, dt, ev, u, sh)
		}
		if !json.Valid(msg.Data) || bytes.IndexByte(msg.Data, '\n') >= 0 {
			t.Fatalf("decode(%s) wrote %s", data, msg.Data)
		}
	})
}

// strs is vs as strings, absent (nil) ones empty; false if one is
// another type.
func strs(vs ...any) ([]string, bool) {
	out := make([]string, len(vs))
	for i, v := range vs {
		s, ok := v.(string)
		if v != nil && !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// exactKeys reports whether every key of data's top object and of its
// detail is spelt as encoding/json would match it only exactly: the
// publisher matches keys as presso writes them, encoding/json ignores case.
func exactKeys(data string) bool {
	lower := strings.ToLower(data)
	for _, k := range []string{"detailtype", "eventid", "detail", "userid", "sessionhash"} {
		if strings.Count(lower, k) != strings.Count(data, map[string]string{"detailtype": "detailType", "eventid": "eventId",
			"detail": "detail", "userid": "userId", "sessionhash": "sessionHash"}[k]) {
			return false
		}
	}
	return !strings.Contains(data, `\u`) && !strings.Contains(lower, "detailt") == !strings.Contains(data, "detailT")
}
