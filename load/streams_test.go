package load

import (
	"io"
	"testing"
)

// TestLoadStreamsFlags: load-streams targets only this machine, over
// plain HTTP, and checks its counts.
func TestLoadStreamsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the error, or "" for none
	}{
		{[]string{"--url", "http://127.0.0.1:9000"}, ""},
		{[]string{"--url", "http://localhost:9000", "--streams", "5"}, ""},
		{[]string{"--url", "http://example.com"}, `--url "http://example.com": refusing host "example.com": presso load only targets this machine (127.0.0.0/8, ::1 or localhost)`},
		{[]string{"--url", "https://127.0.0.1:9000"}, `--url "https://127.0.0.1:9000": load-streams needs http://`},
		{[]string{"--url", "http://127.0.0.1:9000", "--addrs", "251"}, "--streams and --addrs (at most 250) must be at least 1, --changes at least 0"},
		{[]string{"--url", "http://127.0.0.1:9000", "--streams", "0"}, "--streams and --addrs (at most 250) must be at least 1, --changes at least 0"},
	} {
		_, err := parseStreamsFlags(tc.args, func(string) string { return "" }, io.Discard)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%v: err = %q, want %q", tc.args, got, tc.want)
		}
	}
}
