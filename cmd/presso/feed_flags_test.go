package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFeedFlags: the bus's flags, their defaults and environment, and the
// combinations refused.
func TestFeedFlags(t *testing.T) {
	pw, other := strings.Repeat("p", 16), strings.Repeat("r", 16)
	testFlags(t, []flagCase{
		{"defaults", nil, nil, func(o options) bool {
			return o.streamMaxMiB == 512 && o.natsMaxStoreMiB == 1024 && o.natsPassword == "" && o.natsReaderPassword == ""
		}, ""},
		{"environment", nil, map[string]string{"PRESSO_STREAM_MAX_MIB": "100", "PRESSO_NATS_MAX_STORE_MIB": "200",
			"PRESSO_NATS_PASSWORD": pw, "PRESSO_NATS_READER_PASSWORD": other}, func(o options) bool {
			return o.streamMaxMiB == 100 && o.natsMaxStoreMiB == 200 && o.natsPassword == pw && o.natsReaderPassword == other
		}, ""},
		{"a store smaller than the stream", []string{"--stream-max-mib", "600", "--nats-max-store-mib", "500"}, nil, nil,
			"--nats-max-store-mib (500) must be at least --stream-max-mib (600)"},
		{"an external NATS has no store to size", []string{"--nats", "nats://n1:4222", "--stream-max-mib", "2048"}, nil,
			func(o options) bool { return o.streamMaxMiB == 2048 }, ""},
		{"no stream size", []string{"--stream-max-mib", "0"}, nil, nil, "--stream-max-mib must be at least 1"},
		{"one password only", []string{"--nats-password", pw}, nil, nil, "give both or neither"},
		{"short passwords", []string{"--nats-password", "short", "--nats-reader-password", other}, nil, nil, "at least 16 characters"},
		{"the same password twice", []string{"--nats-password", pw, "--nats-reader-password", pw}, nil, nil, "must differ"},
	})
}

// TestNATSPasswordsShownOnce: the first start with --nats-listen makes the
// listener's passwords, keeps them in the data directory with mode 0600
// and prints them; the next start uses the same ones and prints only where
// they are.
func TestNATSPasswordsShownOnce(t *testing.T) {
	data := t.TempDir()
	s, natsAddr := startNATSListener(t, data)
	file := filepath.Join(data, natsUsersFile)
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want a file of mode 0600", file, err, info.Mode().Perm())
	}
	c := listenerPasswords(t, data)
	if out := s.out.String(); !strings.Contains(out, c.Password) || !strings.Contains(out, c.ReaderPassword) {
		t.Fatalf("the first start did not print the NATS passwords:\n%s", out)
	}
	s.Stop(t)
	s2 := startServer(t, data, "--nats-listen", natsAddr)
	out := s2.out.String()
	if strings.Contains(out, c.Password) || strings.Contains(out, c.ReaderPassword) || !strings.Contains(out, file) {
		t.Fatalf("the second start printed a NATS password, or not where they are kept:\n%s", out)
	}
	if got := listenerPasswords(t, data); got != c {
		t.Fatalf("the second start changed the passwords")
	}
	streamTypes(t, readerURL(t, data, natsAddr)) // the kept reader password still gets in
}
