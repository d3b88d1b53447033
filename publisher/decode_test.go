package publisher

import (
	"testing"

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
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, a, err := decode(bus.Message{Seq: 7, Data: []byte(tc.data)})
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Data) != tc.want || msg.Seq != 7 || a.EventID != "demo" {
				t.Errorf("decode = %s (seq %d, bar %q), want %s", msg.Data, msg.Seq, a.EventID, tc.want)
			}
			if tc.name != "no detail" && a.UserID != "u1" {
				t.Errorf("user = %q, want u1", a.UserID)
			}
		})
	}
}
