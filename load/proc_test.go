package load

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadParseStat(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     cpuTimes
		err      string
	}{
		{name: "plain",
			in:   "4242 (presso) S 1 4242 4242 0 -1 4194560 5080 0 0 0 1234 567 0 0 20 0 9 0 11478 1811939328 12544 18446744073709551615",
			want: cpuTimes{user: 12340 * time.Millisecond, sys: 5670 * time.Millisecond}},
		{name: "a name with spaces and parentheses",
			in:   "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 3 1 0 0 20 0 1 0 5 0 0 0\n",
			want: cpuTimes{user: 30 * time.Millisecond, sys: 10 * time.Millisecond}},
		{name: "no name", in: "77 R 1 2 3", err: "proc stat: no command name"},
		{name: "cut short", in: "77 (x) R 1 77 77 0 -1 0 0 0 0 0 3", err: "proc stat: 12 fields after the name, want at least 13"},
		{name: "not a number", in: "77 (x) R 1 77 77 0 -1 0 0 0 0 0 3 x 0 0", err: `proc stat: strconv.ParseUint: parsing "x": invalid syntax`},
	} {
		got, err := parseStat([]byte(c.in))
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: parseStat = %+v, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: parseStat = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	if d := (cpuTimes{5 * time.Second, 2 * time.Second}).sub(cpuTimes{time.Second, time.Second}); d != (cpuTimes{4 * time.Second, time.Second}) || d.total() != 5*time.Second {
		t.Errorf("sub = %+v, total %v", d, d.total())
	}
}

func TestLoadParseRSS(t *testing.T) {
	status := "Name:\tpresso\nVmPeak:\t 1811940 kB\nVmHWM:\t   60000 kB\nVmRSS:\t   50176 kB\nRssAnon:\t   30000 kB\n"
	if got, err := parseRSS([]byte(status)); err != nil || got != 50176<<10 {
		t.Errorf("parseRSS = %d, %v; want %d", got, err, 50176<<10)
	}
	for _, c := range []struct{ in, err string }{
		{"Name:\tkthreadd\n", "proc status: no VmRSS"},
		{"VmRSS:\t 12 MB\n", `proc status: VmRSS "12 MB"`},
		{"VmRSS:\t many kB\n", `proc status: VmRSS: strconv.ParseInt: parsing "many": invalid syntax`},
	} {
		if got, err := parseRSS([]byte(c.in)); err == nil || err.Error() != c.err {
			t.Errorf("parseRSS(%q) = %d, %v; want error %q", c.in, got, err, c.err)
		}
	}
}

// TestLoadMeter reads this process as both the generator and the server:
// the window's CPU time is what the work in it took, within /proc's tick.
func TestLoadMeter(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	m := startMeter(os.Getpid())
	busy := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(busy) {
		x++
	}
	c := m.end()
	if c.selfErr != nil || c.serverErr != nil || c.rssErr != nil {
		t.Fatalf("end = %+v", c)
	}
	// This process may have had to share its core, and the tests run in
	// parallel with others: ask only for what is certain.
	if c.self.total() <= 0 || c.self.total() > c.window+c.window/2+50*time.Millisecond || c.server.total() < c.self.total()-20*time.Millisecond {
		t.Errorf("window %v: self %+v, server %+v", c.window, c.self, c.server)
	}
	if c.rssStart <= 0 || c.rssPeak < c.rssStart {
		t.Errorf("rss start %d, peak %d", c.rssStart, c.rssPeak)
	}
	var b strings.Builder
	s := newStats()
	s.add(func(n *counts) { n.completed = 4 })
	s.writeCosts(&b, costs{window: 2 * time.Second, self: cpuTimes{300 * time.Millisecond, 100 * time.Millisecond},
		server: cpuTimes{time.Second, 200 * time.Millisecond}, serverPID: 42, rssStart: 30 << 20, rssPeak: 45 << 20})
	want := "cpu: load_ms_per_order=100.000 load_user_ms_per_order=75.000 load_sys_ms_per_order=25.000 load_cores=0.20 finished=4 window=2.0s\n" +
		"server: pid=42 cpu_ms_per_order=300.000 user_ms_per_order=250.000 sys_ms_per_order=50.000 cores=0.60 rss_start_mb=30.0 rss_peak_mb=45.0\n"
	if b.String() != want || x == 0 {
		t.Errorf("writeCosts =\n%s\nwant\n%s", b.String(), want)
	}
}
