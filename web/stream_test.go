package web

import "testing"

// TestParseEventID: ids are "<epoch>-<seq>"; a bare sequence (ids before
// epochs) is of the epoch now; anything else is no id, and gets a snapshot.
func TestParseEventID(t *testing.T) {
	cases := []struct {
		id         string
		epoch, seq uint64
		ok         bool
	}{
		{"2-523", 2, 523, true},
		{"1-0", 1, 0, true},
		{"523", 7, 523, true},
		{"", 0, 0, false},
		{"-5", 0, 0, false},
		{"2-", 0, 0, false},
		{"2-5-1", 0, 0, false},
		{"x-5", 0, 0, false},
		{"18446744073709551616", 0, 0, false},
	}
	for _, c := range cases {
		epoch, seq, ok := parseEventID(c.id, 7)
		if epoch != c.epoch || seq != c.seq || ok != c.ok {
			t.Errorf("parseEventID(%q, 7) = %d, %d, %v; want %d, %d, %v", c.id, epoch, seq, ok, c.epoch, c.seq, c.ok)
		}
	}
}
