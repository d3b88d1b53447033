// Package load is presso's load generator: robot customers and robot
// baristas driving a server over its real HTTP API and SSE, like the
// original's OrderRobot and BaristaRobot, but measured.
//
// A run signs in as an admin, optionally raises the bars' limits
// (--setup), opens one board stream per bar, starts --baristas robot
// baristas per bar that share it and make, complete or cancel queued
// orders, and sends --customers robot customers at --rate per second for
// at most --duration. Each customer signs in, scans the code on the bar's
// display, chooses a drink (unless it is one of the --never-choose
// fraction) and waits to hear its order end: up to --watch-rate customers a
// second on their own SSE stream, as a phone does, which times complete →
// customer sees ready; the rest from the shared board stream, so the
// generator's cost per order stays low enough to offer a thousand orders a
// second from one core. After the arrivals it waits for the orders in
// flight (at most --drain), prints a summary with latency percentiles,
// errors and the window's CPU time per finished order (its own, and the
// server's with --server-pid), and, given the server's database (--db or
// --data), checks the invariants every run must leave behind (see Check).
//
// It only ever targets this machine: a non-loopback --url is refused.
package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// options are the command's settings.
type options struct {
	url           string   // the first of urls: set-up and the admin go here
	urls          []string // robots are spread over these, one replica each
	bars          []string
	customers     int
	rate          float64
	duration      time.Duration
	think         time.Duration // a robot barista's time per order, ±50%
	baristas      int
	cancelRatio   float64
	neverChoose   float64
	chooseDelay   time.Duration // a customer's time to pick a drink, ±50% (demo only)
	admin         string
	adminPassword string
	db            string // DSN for the invariant check; "" for none
	drain         time.Duration
	demo, setup   bool
	watchRate     float64 // customers a second, at most, who watch their own stream
	screens       int     // board streams per bar that only read, beside the shared one
	serverPID     int     // the server's process, to measure; 0 for none
	cpuProfile    string  // file for the load generator's own CPU profile
}

// forever stands in for "until interrupted" in --demo.
const forever = 100 * 365 * 24 * time.Hour

func parseFlags(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	var bars, data string
	fs := flag.NewFlagSet("presso load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: presso load [flags]\n\nRobot customers and baristas against a presso server on this machine, measured.\n\nFlags:")
		fs.PrintDefaults()
	}
	password := getenv("PRESSO_LOAD_ADMIN_PASSWORD")
	if password == "" {
		password = "admin"
	}
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of the server, or comma-separated URLs of replicas to spread the robots over; loopback only (127.0.0.0/8, ::1, localhost)")
	fs.StringVar(&bars, "bars", "demo", "comma-separated bar ids")
	fs.IntVar(&o.customers, "customers", 100, "robot customers in all")
	fs.Float64Var(&o.rate, "rate", 10, "customer arrivals per second")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long customers keep arriving")
	fs.DurationVar(&o.think, "barista-think", 500*time.Millisecond, "a robot barista's time per order (±50%)")
	fs.IntVar(&o.baristas, "baristas", 10, "robot baristas per bar")
	fs.Float64Var(&o.cancelRatio, "cancel-ratio", 0.1, "fraction of orders the barista cancels instead of completing")
	fs.Float64Var(&o.neverChoose, "never-choose", 0, "fraction of customers who never choose a drink (their orders time out)")
	fs.StringVar(&o.admin, "admin", "admin", "staff account to read QR codes, set bars up and create robot baristas")
	fs.StringVar(&o.adminPassword, "admin-password", password, "its password (PRESSO_LOAD_ADMIN_PASSWORD; admin on --dev servers)")
	fs.StringVar(&o.db, "db", "", "the server's database for the invariant check: SQLite file or postgres:// URL")
	fs.StringVar(&data, "data", "", "the server's data directory: check the invariants of DIR/presso.db")
	fs.DurationVar(&o.drain, "drain", 0, "longest wait for orders in flight after the arrivals (0: the bars' longest timeout)")
	fs.BoolVar(&o.demo, "demo", false, "human speed: a customer every ~5 s, baristas take 10-30 s, until interrupted")
	fs.BoolVar(&o.setup, "setup", false, "first raise the bars' limits (per code, queue, per customer; a shorter QR window where the rate would use a code up) so they do not throttle the load, and create the bars in --bars that do not exist as copies of the one before")
	fs.Float64Var(&o.watchRate, "watch-rate", 100, "customers a second, at most, who watch their own SSE stream as the order app does: the sample complete → customer sees ready is timed on; the others hear of their order's end from the bar's board stream, which the robot baristas share (0: none)")
	fs.IntVar(&o.screens, "screens", 0, "more board streams per bar that read every event and decode none, as a bar's other screens would (the load generator once had one per robot barista)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "the server's process id on this machine: report its CPU time per finished order and its memory over the run, from /proc (Linux)")
	fs.StringVar(&o.cpuProfile, "cpu-profile", "", "write the load generator's own CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see presso load -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.demo {
		// The original robots: 5 s between scan and drink, baristas 10-30 s.
		if !set["rate"] {
			o.rate = 0.2
		}
		if !set["barista-think"] {
			o.think = 20 * time.Second
		}
		if !set["customers"] {
			o.customers = math.MaxInt32
		}
		if !set["duration"] {
			o.duration = forever
		}
		o.chooseDelay = 5 * time.Second
	}
	for _, u := range strings.Split(o.url, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.urls = append(o.urls, strings.TrimRight(u, "/"))
		}
	}
	if len(o.urls) > 0 {
		o.url = o.urls[0]
	}
	for _, b := range strings.Split(bars, ",") {
		if b = strings.TrimSpace(b); b != "" {
			o.bars = append(o.bars, b)
		}
	}
	if data != "" {
		if o.db != "" {
			return o, errors.New("give --db or --data, not both")
		}
		o.db = filepath.Join(data, "presso.db")
	}
	return o, o.validate()
}

func (o options) validate() error {
	if len(o.urls) == 0 {
		return errors.New("--url: give the server's URL")
	}
	for _, u := range o.urls {
		if err := checkLoopback(u); err != nil {
			return err
		}
	}
	if len(o.bars) == 0 {
		return errors.New("--bars: give at least one bar id")
	}
	barID := regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	for _, b := range o.bars {
		if !barID.MatchString(b) {
			return fmt.Errorf("--bars: %q is not a bar id (lower-case letters, digits, '-' and '_', up to 32)", b)
		}
	}
	switch {
	case o.customers < 1:
		return fmt.Errorf("--customers must be at least 1, not %d", o.customers)
	case !(o.rate > 0) || math.IsInf(o.rate, 0):
		return fmt.Errorf("--rate must be a positive number of arrivals per second, not %v", o.rate)
	case o.duration <= 0:
		return fmt.Errorf("--duration must be positive, not %v", o.duration)
	case o.think < 0:
		return fmt.Errorf("--barista-think must not be negative, not %v", o.think)
	case o.baristas < 0 || o.baristas > 1000:
		return fmt.Errorf("--baristas must be 0-1000 per bar, not %d", o.baristas)
	case !(o.cancelRatio >= 0 && o.cancelRatio <= 1):
		return fmt.Errorf("--cancel-ratio must be between 0 and 1, not %v", o.cancelRatio)
	case !(o.neverChoose >= 0 && o.neverChoose <= 1):
		return fmt.Errorf("--never-choose must be between 0 and 1, not %v", o.neverChoose)
	case o.drain < 0:
		return fmt.Errorf("--drain must not be negative, not %v", o.drain)
	case !(o.watchRate >= 0) || math.IsInf(o.watchRate, 0):
		return fmt.Errorf("--watch-rate must be a number of customers per second, 0 or more, not %v", o.watchRate)
	case o.screens < 0 || o.screens > 1000:
		return fmt.Errorf("--screens must be 0-1000 per bar, not %d", o.screens)
	case o.serverPID < 0:
		return fmt.Errorf("--server-pid must be a process id, not %d", o.serverPID)
	case o.admin == "":
		return errors.New("--admin: give a staff username")
	}
	return nil
}

// checkLoopback refuses any target but this machine, so a load run can
// never be pointed at somebody else's server.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: give a base URL such as http://127.0.0.1:8080", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("--url %q: give only scheme, host and port", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--url %q: refusing host %q: presso load only targets this machine (127.0.0.0/8, ::1 or localhost)", raw, host)
}

// Run runs "presso load" with its command-line arguments. It returns an
// error if the run could not start, or if the invariant check found
// violations.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	o, err := parseFlags(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return newRunner(o, stdout).run(ctx)
}
