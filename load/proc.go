package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// What a run costs, read from /proc (Linux): the load generator's own CPU
// time, and with --server-pid the server's CPU time and resident memory,
// over the measured window (from the first arrival to the end of the drain,
// so the set-up, with its password hashing, is left out).

// userHZ is the unit of the times in /proc/PID/stat: USER_HZ, which Linux
// fixes at 100 for user space on every architecture.
const userHZ = 100

// cpuTimes is the CPU time a process has used so far.
type cpuTimes struct{ user, sys time.Duration }

func (c cpuTimes) total() time.Duration { return c.user + c.sys }

func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.user - d.user, c.sys - d.sys} }

// parseStat reads utime and stime (fields 14 and 15) from the contents of
// /proc/PID/stat. The command name in field 2 may hold spaces and
// parentheses, so the fields are counted from its closing parenthesis.
func parseStat(b []byte) (cpuTimes, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return cpuTimes{}, errors.New("proc stat: no command name")
	}
	f := bytes.Fields(b[end+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return cpuTimes{}, fmt.Errorf("proc stat: %d fields after the name, want at least 13", len(f))
	}
	ticks := func(s []byte) (time.Duration, error) {
		n, err := strconv.ParseUint(string(s), 10, 63)
		return time.Duration(n) * (time.Second / userHZ), err
	}
	user, err1 := ticks(f[11])
	sys, err2 := ticks(f[12])
	if err := errors.Join(err1, err2); err != nil {
		return cpuTimes{}, fmt.Errorf("proc stat: %w", err)
	}
	return cpuTimes{user, sys}, nil
}

// parseRSS reads VmRSS, in bytes, from the contents of /proc/PID/status.
func parseRSS(b []byte) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("proc status: VmRSS %q", bytes.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	return 0, errors.New("proc status: no VmRSS")
}

// procPath is /proc/PID/name, or /proc/self/name for pid 0.
func procPath(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}

// readCPU is process pid's CPU time so far (0: this process).
func readCPU(pid int) (cpuTimes, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return cpuTimes{}, err
	}
	return parseStat(b)
}

// readRSS is process pid's resident memory now, in bytes.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return 0, err
	}
	return parseRSS(b)
}

// rssEvery is how often the server's memory is sampled for its peak.
const rssEvery = 100 * time.Millisecond

// meter measures the window: the load generator's CPU time, and with a
// server pid the server's CPU time, its memory at the start and its peak.
type meter struct {
	server int // 0: no server to measure
	start  time.Time

	self0, server0 cpuTimes
	selfErr        error
	serverErr      error

	mu        sync.Mutex
	rss0, top int64 // bytes; the peak is sampled every rssEvery
	rssErr    error

	stop func()
	done chan struct{}
}

// startMeter reads the times at the window's start and samples the
// server's memory until end.
func startMeter(server int) *meter {
	m := &meter{server: server, start: time.Now(), done: make(chan struct{})}
	m.self0, m.selfErr = readCPU(0)
	if server == 0 {
		close(m.done)
		m.stop = func() {}
		return m
	}
	m.server0, m.serverErr = readCPU(server)
	m.rss0, m.rssErr = readRSS(server)
	m.top = m.rss0
	ctx, stop := context.WithCancel(context.Background())
	m.stop = stop
	go m.sample(ctx)
	return m
}

func (m *meter) sample(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(rssEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rss, err := readRSS(m.server)
			m.mu.Lock()
			if err == nil {
				m.top = max(m.top, rss)
			} else if m.rssErr == nil {
				m.rssErr = err
			}
			m.mu.Unlock()
		}
	}
}

// costs is what the window cost.
type costs struct {
	window             time.Duration
	self, server       cpuTimes
	selfErr, serverErr error // why a time is missing
	serverPID          int
	rssStart, rssPeak  int64
	rssErr             error
}

// end reads the times at the window's end.
func (m *meter) end() costs {
	m.stop()
	<-m.done
	c := costs{window: time.Since(m.start), selfErr: m.selfErr, serverErr: m.serverErr, serverPID: m.server}
	if c.selfErr == nil {
		var now cpuTimes
		if now, c.selfErr = readCPU(0); c.selfErr == nil {
			c.self = now.sub(m.self0)
		}
	}
	if m.server == 0 {
		return c
	}
	if c.serverErr == nil {
		var now cpuTimes
		if now, c.serverErr = readCPU(m.server); c.serverErr == nil {
			c.server = now.sub(m.server0)
		}
	}
	if rss, err := readRSS(m.server); err == nil {
		m.top = max(m.top, rss)
	}
	c.rssStart, c.rssPeak, c.rssErr = m.rss0, m.top, m.rssErr
	return c
}
