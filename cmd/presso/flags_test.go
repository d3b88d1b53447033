package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// flagCase is one parseFlags call, with args and environment: it gives
// the error wantErr names, or options that check accepts.
type flagCase struct {
	name    string
	args    []string
	env     map[string]string
	check   func(o options) bool
	wantErr string
}

// testFlags runs each case as a subtest.
func testFlags(t *testing.T, cases []flagCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parseFlags(c.args, func(k string) string { return c.env[k] }, io.Discard)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("parseFlags(%v) error = %v, want %q", c.args, err, c.wantErr)
				}
				return
			}
			if err != nil || !c.check(o) {
				t.Fatalf("parseFlags(%v) = %+v, %v", c.args, o, err)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	testFlags(t, []flagCase{
		{"defaults", nil, nil, func(o options) bool {
			return o.addr == ":8080" && o.data == "presso-data" && o.db == "" && o.nats == "" && o.stream == "PRESSO" &&
				o.streamReplicas == 1 && o.signinRate == 600 && !o.dev && o.sweepInterval == 500*time.Millisecond
		}, ""},
		{"environment", nil, map[string]string{"PRESSO_ADDR": ":9000", "PRESSO_DB": "postgres://db/presso", "PRESSO_DEV": "1",
			"PRESSO_STREAM_REPLICAS": "3", "PRESSO_SIGNIN_RATE": "5000"}, func(o options) bool {
			return o.addr == ":9000" && o.db == "postgres://db/presso" && o.dev && o.streamReplicas == 3 && o.signinRate == 5000
		}, ""},
		{"a flag wins over the environment", []string{"--addr", ":7000", "--stream-replicas", "1"},
			map[string]string{"PRESSO_ADDR": ":9000", "PRESSO_STREAM_REPLICAS": "3"}, func(o options) bool {
				return o.addr == ":7000" && o.streamReplicas == 1
			}, ""},
		{"bad replicas", []string{"--stream-replicas", "9"}, nil, nil, "--stream-replicas must be 1 to 5"},
		{"bad db", []string{"--db", "mysql://x"}, nil, nil, "--db must be a postgres:// URL"},
		{"bad sign-in rate", []string{"--signin-rate", "0"}, nil, nil, "--signin-rate must be at least 1"},
		{"stray argument", []string{"serve"}, nil, nil, `unexpected argument "serve"`},
	})
}
