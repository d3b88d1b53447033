// Command presso runs the whole coffee bar system in one process: the
// order backend, the event bus (embedded NATS JetStream unless --nats is
// given), the real-time channels and the three web apps.
//
//	presso [flags]        run the server
//	presso load [flags]   robot customers and baristas against a server, measured
//	presso export --event ID [--data DIR | --db URL] [--file F]   one bar as JSON
//	presso import [--data DIR | --db URL] [--file F]              a bar into this deployment
//	presso -h             show the flags
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // bar time zones work on any machine, even a scratch container

	"presso/auth"
	"presso/bus"
	"presso/config"
	"presso/load"
	"presso/orders"
	"presso/publisher"
	"presso/store"
	"presso/ui"
	"presso/validator"
	"presso/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "presso:", err)
		os.Exit(1)
	}
}

// options are the server's settings, from flags with PRESSO_* fallbacks.
type options struct {
	addr, data, db, nats, natsListen, publicURL, smtpURL, stream, logLevel string
	streamReplicas, signinRate                                             int
	dev                                                                    bool
	sweepInterval                                                          time.Duration
	sec                                                                    security // HTTP hardening and HTTPS (security.go)

	// What the server says about itself (issue 10): metrics on their own
	// listener (empty: off), and the log's format.
	metricsAddr, logFormat string

	// The bus: the embedded listener's passwords, the stream's and the
	// embedded store's sizes (issue 8).
	natsPassword, natsReaderPassword string
	streamMaxMiB, natsMaxStoreMiB    int64
}

// parseFlags reads the server's options from args, each flag falling back
// on its PRESSO_* variable from getenv.
func parseFlags(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("presso", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, `usage:
  presso [flags]                      run the server (embedded defaults: SQLite + NATS in --data)
  presso load [flags]                 robot customers and baristas against a server, measured (presso load -h)
  presso load-streams [flags]         what open SSE streams cost a server (presso load-streams -h)
  presso export --event ID [flags]    one bar as JSON (presso export -h)
  presso import [flags]               a bar exported elsewhere, into this deployment (presso import -h)

flags (each also from its PRESSO_* environment variable):
`)
		fs.PrintDefaults()
	}
	e := env(getenv)
	o.serverFlags(fs, e)
	o.busFlags(fs, e)
	o.logFlags(fs, e)
	o.sec.flags(fs, e.str, e.int)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see presso -h)", fs.Arg(0))
	}
	if err := o.sec.check(); err != nil {
		return o, err
	}
	return o, o.check()
}

// env is the environment the flags fall back on: a variable that is unset,
// empty or, for a number, not one leaves the flag's own default.
type env func(string) string

func (e env) str(name, def string) string {
	if v := e(name); v != "" {
		return v
	}
	return def
}

func (e env) int(name string, def int) int {
	if n, err := strconv.Atoi(e(name)); err == nil {
		return n
	}
	return def
}

func (e env) int64(name string, def int64) int64 {
	if n, err := strconv.ParseInt(e(name), 10, 64); err == nil {
		return n
	}
	return def
}

// serverFlags registers the flags of the server itself: where it listens
// and keeps its data, its public URL, mail, demo mode and pace.
func (o *options) serverFlags(fs *flag.FlagSet, e env) {
	fs.StringVar(&o.addr, "addr", e.str("PRESSO_ADDR", ":8080"), "listen address (PRESSO_ADDR)")
	fs.StringVar(&o.data, "data", e.str("PRESSO_DATA", "presso-data"), "data directory (PRESSO_DATA)")
	fs.StringVar(&o.db, "db", e.str("PRESSO_DB", ""), "database: empty for SQLite in the data directory, or a postgres:// URL (PRESSO_DB)")
	fs.StringVar(&o.publicURL, "public-url", e.str("PRESSO_PUBLIC_URL", ""), "base URL the QR codes point to, e.g. https://coffee.example.com (PRESSO_PUBLIC_URL)")
	fs.StringVar(&o.smtpURL, "smtp-url", e.str("PRESSO_SMTP_URL", ""), "smtp://user:pass@host:port?from=addr for sign-in codes; empty logs them (PRESSO_SMTP_URL)")
	fs.BoolVar(&o.dev, "dev", e.str("PRESSO_DEV", "") == "1" || e.str("PRESSO_DEV", "") == "true", "demo mode: fixed demo accounts, sign-in codes in responses (PRESSO_DEV)")
	fs.IntVar(&o.signinRate, "signin-rate", e.int("PRESSO_SIGNIN_RATE", auth.DefaultAddressLimit), "sign-ins per client address per minute (PRESSO_SIGNIN_RATE)")
	fs.DurationVar(&o.sweepInterval, "sweep-interval", 500*time.Millisecond, "how often deadlines are checked")
}

// busFlags registers the flags of the event bus: NATS, its listener's
// users and the stream.
func (o *options) busFlags(fs *flag.FlagSet, e env) {
	fs.StringVar(&o.nats, "nats", e.str("PRESSO_NATS", ""), "NATS URL; empty runs an embedded server (PRESSO_NATS)")
	fs.StringVar(&o.natsListen, "nats-listen", e.str("PRESSO_NATS_LISTEN", ""), "also serve the embedded NATS to clients on host:port (PRESSO_NATS_LISTEN)")
	fs.StringVar(&o.stream, "stream", e.str("PRESSO_STREAM", "PRESSO"), "JetStream stream name (PRESSO_STREAM)")
	fs.StringVar(&o.natsPassword, "nats-password", e.str("PRESSO_NATS_PASSWORD", ""), "with --nats-listen: password of the listener's full user presso (other replicas); empty: made on the first start and kept in DATA/nats-users.json (PRESSO_NATS_PASSWORD)")
	fs.StringVar(&o.natsReaderPassword, "nats-reader-password", e.str("PRESSO_NATS_READER_PASSWORD", ""), "with --nats-password: password of the listener's read-only user reader (tools) (PRESSO_NATS_READER_PASSWORD)")
	fs.Int64Var(&o.streamMaxMiB, "stream-max-mib", e.int64("PRESSO_STREAM_MAX_MIB", 512), "MiB the stream keeps at most; past it the oldest events go (PRESSO_STREAM_MAX_MIB)")
	fs.Int64Var(&o.natsMaxStoreMiB, "nats-max-store-mib", e.int64("PRESSO_NATS_MAX_STORE_MIB", 1024), "MiB of disk the embedded JetStream may use, at least --stream-max-mib (PRESSO_NATS_MAX_STORE_MIB)")
	fs.IntVar(&o.streamReplicas, "stream-replicas", e.int("PRESSO_STREAM_REPLICAS", 1), "JetStream stream replicas on a cluster (PRESSO_STREAM_REPLICAS)")
}

// logFlags registers the flags of what the server says about itself: its
// log and its metrics.
func (o *options) logFlags(fs *flag.FlagSet, e env) {
	fs.StringVar(&o.logLevel, "log-level", e.str("PRESSO_LOG_LEVEL", "info"), "debug, info, warn or error (PRESSO_LOG_LEVEL)")
	fs.StringVar(&o.logFormat, "log-format", e.str("PRESSO_LOG_FORMAT", "text"), "text (for people) or json (for machines) (PRESSO_LOG_FORMAT)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", e.str("PRESSO_METRICS_ADDR", ""), "serve Prometheus metrics at http://host:port/metrics, apart from the apps; empty: no metrics (PRESSO_METRICS_ADDR)")
}

// check refuses the combinations of settings that cannot work.
func (o *options) check() error {
	switch {
	case o.streamReplicas < 1 || o.streamReplicas > 5:
		return fmt.Errorf("--stream-replicas must be 1 to 5, not %d", o.streamReplicas)
	case o.signinRate < 1:
		return fmt.Errorf("--signin-rate must be at least 1, not %d", o.signinRate)
	case o.sweepInterval < 10*time.Millisecond:
		return fmt.Errorf("--sweep-interval must be at least 10ms, not %v", o.sweepInterval)
	case o.streamMaxMiB < 1:
		return fmt.Errorf("--stream-max-mib must be at least 1, not %d", o.streamMaxMiB)
	case o.nats == "" && o.natsMaxStoreMiB < o.streamMaxMiB:
		return fmt.Errorf("--nats-max-store-mib (%d) must be at least --stream-max-mib (%d)", o.natsMaxStoreMiB, o.streamMaxMiB)
	case (o.natsPassword == "") != (o.natsReaderPassword == ""):
		return fmt.Errorf("--nats-password and --nats-reader-password go together: give both or neither")
	case o.natsPassword != "" && (len(o.natsPassword) < 16 || len(o.natsReaderPassword) < 16 || o.natsPassword == o.natsReaderPassword):
		return fmt.Errorf("--nats-password and --nats-reader-password must differ and have at least 16 characters each")
	case o.db != "" && !strings.HasPrefix(o.db, "postgres://") && !strings.HasPrefix(o.db, "postgresql://"):
		return fmt.Errorf("--db must be a postgres:// URL (leave it empty for SQLite in --data)")
	}
	return nil
}

// run is the whole command: a subcommand, or the server, which runs until
// ctx is cancelled and then shuts down (see serve).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "load":
			return load.Run(ctx, args[1:], getenv, stdout)
		case "load-streams":
			return load.Streams(ctx, args[1:], getenv, stdout)
		case "export":
			return runExport(ctx, args[1:], getenv, stdout)
		case "import":
			return runImport(ctx, args[1:], getenv, stdout, os.Stdin)
		case "reset-password":
			return runResetPassword(ctx, args[1:], getenv, stdout)
		}
	}
	o, err := parseFlags(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := start(ctx, o, stdout)
	if err != nil {
		return err
	}
	return a.serve(ctx)
}

// app is a started presso: what start wired, for serve to run and stop.
type app struct {
	log        *slog.Logger
	db         *store.DB
	bus        *bus.Bus
	ln         net.Listener
	http       *http.Server
	endStreams context.CancelFunc // ends every SSE stream
	acmeSrv    *http.Server       // --acme-domain: HTTP-01 challenges and the redirect to HTTPS
	acmeLn     net.Listener

	// The background work, which serve runs while HTTP serves.
	relay   *bus.Relay
	orders  *orders.Processor
	pub     *publisher.Publisher
	auth    *auth.Service
	sweep   time.Duration
	welcome string // printed once serving, to stdout
	stdout  io.Writer
	obs     observer // metrics (observe.go)
}

// start opens the database, the event bus and the listener, and wires the
// services and the HTTP server on them; nothing runs yet. On an error it
// closes what it had opened.
func start(ctx context.Context, o options, stdout io.Writer) (_ *app, err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	log, err := newLogger(o.logFormat, stdout, level)
	if err != nil {
		return nil, err
	}
	a := &app{log: log, sweep: o.sweepInterval, stdout: stdout}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.db, err = store.Open(ctx, cmp.Or(o.db, filepath.Join(o.data, "presso.db"))); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := a.startMetrics(o.metricsAddr); err != nil {
		return nil, err
	}
	var natsNote string
	if a.bus, natsNote, err = openBus(ctx, o, a.db, a.log); err != nil {
		return nil, err
	}
	l, base, streamCap, err := a.listen(o)
	if err != nil {
		return nil, err
	}
	cfg, adminPassword, err := a.services(ctx, o)
	if err != nil {
		return nil, err
	}
	now := time.Now
	streams, endStreams := context.WithCancel(context.Background())
	a.endStreams = endStreams
	srv := &web.Server{DB: a.db, Bus: a.bus, Auth: a.auth, Config: cfg, Validator: validator.New(a.db, now, base), Orders: a.orders,
		Publisher: a.pub, Log: a.log, Now: now, Apps: ui.New(o.dev), SecureCookies: strings.HasPrefix(base, "https://"), Streams: streams, Dev: o.dev}
	srv.Metrics = a.obs.metrics
	o.sec.configure(srv, streamCap)
	a.http = httpServer(srv.Handler(), &o.sec, a.log, l.tlsConfig)
	a.http.RegisterOnShutdown(endStreams)

	var w strings.Builder
	printWelcome(&w, base, a.ln.Addr().String(), o, adminPassword, lanHosts(net.Interfaces, (*net.Interface).Addrs))
	a.welcome = w.String() + natsNote
	return a, nil
}

// listen opens the HTTP(S) listener, within connection caps drawn from the
// open-file limit, and says the base URL the apps and QR codes are served
// at and how many SSE streams may be live.
func (a *app) listen(o options) (_ *listener, base string, streamCap int, err error) {
	fileLimit, ferr := raiseFileLimit()
	if ferr != nil {
		a.log.Warn("open-file limit not raised", "limit", fileLimit, "err", ferr)
	}
	conns, streamCap := o.sec.caps(fileLimit)
	a.log.Info("connection caps", "openFiles", fileLimit, "conns", conns, "connsPerAddr", o.sec.maxConnsPerAddr, "streams", streamCap, "streamsPerAddr", o.sec.maxStreamsPerAddr)
	l, err := o.sec.listen(o.addr, o.data, conns, a.log)
	if err != nil {
		return nil, "", 0, err
	}
	a.ln = l.ln
	scheme := "http://"
	if l.tlsConfig != nil {
		scheme = "https://"
	}
	host := displayHost(a.ln.Addr().String())
	if l.acme != nil {
		host = acmeFirstDomain(o.sec.acmeDomain)
	}
	base = strings.TrimRight(cmp.Or(o.publicURL, scheme+host), "/")
	a.acmeSrv, a.acmeLn = acmeHTTP(l.acme, o.sec.acmeListen, a.log)
	return l, base, streamCap, nil
}

// services wires the relay, sign-in, orders, the publisher and the bar
// settings on the database and the bus, seeds the demo bar and makes the
// accounts (returning the admin's password when it was just made).
func (a *app) services(ctx context.Context, o options) (_ *config.Service, adminPassword string, err error) {
	var mailer auth.Mailer
	if o.smtpURL != "" {
		if mailer, err = smtpMailer(o.smtpURL); err != nil {
			return nil, "", err
		}
	}
	now := time.Now
	a.relay = bus.NewRelay(a.db, a.bus, now, a.log)
	a.auth = auth.New(a.db, now, o.dev, mailer, a.log, o.signinRate)
	a.auth.SetRelay(a.relay.Notify)
	a.orders = orders.New(a.db, now, a.relay.Notify, a.log)
	a.orders.Instrument(a.obs.metrics)
	a.relay.Instrument(a.obs.metrics)
	a.pub = publisher.New(a.bus, a.log)
	cfg := config.New(a.db, now, a.relay.Notify)
	// Every replica hears every event: the caches forget what changed.
	a.pub.OnSessionsEnded(a.auth.ForgetSessions)
	a.pub.OnConfigChanged(cfg.Forget)
	if err := cfg.Seed(ctx, config.DemoBar()); err != nil {
		return nil, "", fmt.Errorf("seed demo bar: %w", err)
	}
	adminPassword, err = a.auth.EnsureAccounts(ctx, "demo")
	if err != nil {
		return nil, "", fmt.Errorf("create accounts: %w", err)
	}
	return cfg, adminPassword, nil
}

// serve runs the background work and HTTP until ctx is cancelled or
// serving fails, then shuts down in order: HTTP drains and the SSE streams
// end, the background work stops (the relay flushing what is committed),
// then NATS and the database close.
func (a *app) serve(ctx context.Context) error {
	defer a.close()
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	var wg sync.WaitGroup
	wg.Go(func() { a.relay.Run(bg, 500*time.Millisecond) })
	wg.Go(func() { a.orders.RunSweeper(bg, a.sweep) })
	wg.Go(func() { a.pub.Run(bg) })
	wg.Go(func() { a.auth.RunCleanup(bg, 10*time.Minute) })
	wg.Go(func() { a.orders.RunSummary(bg, time.Minute) })
	stopMetrics := a.serveMetrics()
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.http.Serve(a.ln) }()
	if a.acmeSrv != nil {
		go a.acmeSrv.Serve(a.acmeLn)
		defer a.acmeSrv.Close()
	}
	io.WriteString(a.stdout, a.welcome+a.metricsNote())

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := a.http.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	stopMetrics()
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// close releases what start opened, last opened first. The listener is
// closed already once serve has shut HTTP down; closing it again is
// harmless.
func (a *app) close() {
	if a.endStreams != nil {
		a.endStreams()
	}
	if a.ln != nil {
		a.ln.Close()
	}
	if a.acmeLn != nil {
		a.acmeLn.Close()
	}
	a.closeMetrics()
	if a.bus != nil {
		a.bus.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
}

// displayHost turns a listen address into one a browser can open.
func displayHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// printWelcome is the start-up text: where each app is, how to sign in,
// and, when the QR codes would point where phones cannot go, what to
// start presso with instead. lan is the machine's network addresses.
func printWelcome(w io.Writer, base, addr string, o options, adminPassword string, lan []string) {
	fmt.Fprintf(w, "\npresso is running on %s (data in %s)\n\n", addr, o.data)
	fmt.Fprintf(w, "  Home      %s/   (the bars for customers; staff sign in there for their links)\n", base)
	fmt.Fprintf(w, "  Admin     %s/admin   (bars, menus, staff and screens)\n", base)
	if o.dev {
		fmt.Fprintf(w, "  Display   %s/display/demo   (the TV: sign in as display, or pair it: %s/pair and a code from Admin)\n", base, base)
	} else {
		fmt.Fprintf(w, "  Display   %s/display/demo   (the TV: open %s/pair and type the code from Admin, the bar's Screens)\n", base, base)
	}
	fmt.Fprintf(w, "  Barista   %s/barista/demo   (sign in as a barista or admin)\n", base)
	fmt.Fprintf(w, "  Order     scan the QR code on the display; customers of the demo bar sign in with just a name\n")
	fmt.Fprintf(w, "  API       %s/api/   (the API reference)\n\n", base)
	if !reachable(base) {
		printUnreachable(w, base, addr, lan)
	}
	switch {
	case o.dev:
		fmt.Fprintf(w, "  Dev accounts: admin/admin, barista/barista, display/display\n")
		fmt.Fprintf(w, "  No phone at hand? Home has \"Try it without a phone\": it opens the order app with the current code.\n\n")
	case adminPassword != "":
		fmt.Fprintf(w, "  Admin account created: username admin, password %s\n  (shown only this once)\n\n", adminPassword)
	default:
		fmt.Fprintf(w, "  Sign in with your staff accounts (an admin adds more in Admin, Staff).\n\n")
	}
}

// reachable reports whether phones could open base: not when it names
// this machine only (localhost, a loopback or unspecified address).
func reachable(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !(ip.IsLoopback() || ip.IsUnspecified())
}

// printUnreachable says why phones cannot open the QR codes' base and
// which --public-url would work, one line per LAN address.
func printUnreachable(w io.Writer, base, addr string, lan []string) {
	fmt.Fprintf(w, "  Phones cannot reach %s: it names this machine only, so the QR codes\n", base)
	fmt.Fprintf(w, "  would not open on them. Start presso with an address they can reach:\n")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		port = "8080"
	}
	for _, host := range lan {
		fmt.Fprintf(w, "      --public-url http://%s\n", net.JoinHostPort(host, port))
	}
	if len(lan) == 0 {
		fmt.Fprintf(w, "      --public-url http://<this machine's address>:%s\n", port)
		fmt.Fprintf(w, "  (this machine has no network address now: join the venue's network first)\n")
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		fmt.Fprintf(w, "  and let it listen beyond this machine: --addr :%s\n", port)
	}
	fmt.Fprintln(w)
}

// lanHosts lists the machine's addresses on its networks, from the
// interfaces that are up: no loopback, no link-local, IPv4 first, so a
// phone on the same network can reach one of them. list and addrs are
// net.Interfaces and (*net.Interface).Addrs, or fakes in tests.
func lanHosts(list func() ([]net.Interface, error), addrs func(*net.Interface) ([]net.Addr, error)) []string {
	ifaces, err := list()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for i := range ifaces {
		if ifaces[i].Flags&net.FlagUp == 0 || ifaces[i].Flags&net.FlagLoopback != 0 {
			continue
		}
		as, err := addrs(&ifaces[i])
		if err != nil {
			continue
		}
		for _, a := range as {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || !n.IP.IsGlobalUnicast() {
				continue
			}
			if ip4 := n.IP.To4(); ip4 != nil {
				v4 = append(v4, ip4.String())
			} else {
				v6 = append(v6, n.IP.String())
			}
		}
	}
	return append(v4, v6...)
}

// smtpMailer sends sign-in codes through the SMTP server in u.
func smtpMailer(raw string) (auth.Mailer, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, errors.New("--smtp-url must look like smtp://user:pass@host:port?from=addr")
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, errors.New("--smtp-url needs ?from=address")
	}
	var a smtp.Auth
	if u.User != nil {
		pass, _ := u.User.Password()
		a = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	return func(ctx context.Context, to, code string) error {
		msg := "From: " + from + "\r\nTo: " + to + "\r\nSubject: Your presso sign-in code\r\n\r\nYour sign-in code is " + code + ". It is good for 10 minutes.\r\n"
		return smtp.SendMail(u.Host, a, from, []string{to}, []byte(msg))
	}, nil
}
