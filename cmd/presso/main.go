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
}

func parseFlags(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("presso", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, `usage:
  presso [flags]                      run the server (embedded defaults: SQLite + NATS in --data)
  presso load [flags]                 robot customers and baristas against a server, measured (presso load -h)
  presso export --event ID [flags]    one bar as JSON (presso export -h)
  presso import [flags]               a bar exported elsewhere, into this deployment (presso import -h)

flags (each also from its PRESSO_* environment variable):
`)
		fs.PrintDefaults()
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.addr, "addr", env("PRESSO_ADDR", ":8080"), "listen address (PRESSO_ADDR)")
	fs.StringVar(&o.data, "data", env("PRESSO_DATA", "presso-data"), "data directory (PRESSO_DATA)")
	fs.StringVar(&o.db, "db", env("PRESSO_DB", ""), "database: empty for SQLite in the data directory, or a postgres:// URL (PRESSO_DB)")
	fs.StringVar(&o.nats, "nats", env("PRESSO_NATS", ""), "NATS URL; empty runs an embedded server (PRESSO_NATS)")
	fs.StringVar(&o.natsListen, "nats-listen", env("PRESSO_NATS_LISTEN", ""), "also serve the embedded NATS to clients on host:port (PRESSO_NATS_LISTEN)")
	fs.StringVar(&o.stream, "stream", env("PRESSO_STREAM", "PRESSO"), "JetStream stream name (PRESSO_STREAM)")
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(getenv(name)); err == nil {
			return n
		}
		return def
	}
	fs.IntVar(&o.streamReplicas, "stream-replicas", envInt("PRESSO_STREAM_REPLICAS", 1), "JetStream stream replicas on a cluster (PRESSO_STREAM_REPLICAS)")
	fs.StringVar(&o.publicURL, "public-url", env("PRESSO_PUBLIC_URL", ""), "base URL the QR codes point to, e.g. https://coffee.example.com (PRESSO_PUBLIC_URL)")
	fs.StringVar(&o.smtpURL, "smtp-url", env("PRESSO_SMTP_URL", ""), "smtp://user:pass@host:port?from=addr for sign-in codes; empty logs them (PRESSO_SMTP_URL)")
	fs.StringVar(&o.logLevel, "log-level", env("PRESSO_LOG_LEVEL", "info"), "debug, info, warn or error (PRESSO_LOG_LEVEL)")
	fs.BoolVar(&o.dev, "dev", env("PRESSO_DEV", "") == "1" || env("PRESSO_DEV", "") == "true", "demo mode: fixed demo accounts, sign-in codes in responses (PRESSO_DEV)")
	fs.IntVar(&o.signinRate, "signin-rate", envInt("PRESSO_SIGNIN_RATE", auth.DefaultAddressLimit), "sign-ins per client address per minute (PRESSO_SIGNIN_RATE)")
	fs.DurationVar(&o.sweepInterval, "sweep-interval", 500*time.Millisecond, "how often deadlines are checked")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see presso -h)", fs.Arg(0))
	}
	switch {
	case o.streamReplicas < 1 || o.streamReplicas > 5:
		return o, fmt.Errorf("--stream-replicas must be 1 to 5, not %d", o.streamReplicas)
	case o.signinRate < 1:
		return o, fmt.Errorf("--signin-rate must be at least 1, not %d", o.signinRate)
	case o.sweepInterval < 10*time.Millisecond:
		return o, fmt.Errorf("--sweep-interval must be at least 10ms, not %v", o.sweepInterval)
	case o.db != "" && !strings.HasPrefix(o.db, "postgres://") && !strings.HasPrefix(o.db, "postgresql://"):
		return o, fmt.Errorf("--db must be a postgres:// URL (leave it empty for SQLite in --data)")
	}
	return o, nil
}

// run starts presso and blocks until ctx is cancelled, then shuts down:
// HTTP drains, the relay flushes, then NATS and the database close.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "load":
			return load.Run(ctx, args[1:], getenv, stdout)
		case "export":
			return runExport(ctx, args[1:], getenv, stdout)
		case "import":
			return runImport(ctx, args[1:], getenv, stdout, os.Stdin)
		}
	}
	o, err := parseFlags(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}))
	now := time.Now

	dsn := o.db
	if dsn == "" {
		dsn = filepath.Join(o.data, "presso.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	b, err := bus.Open(ctx, bus.Config{URL: o.nats, Listen: o.natsListen, StoreDir: filepath.Join(o.data, "nats"), Stream: o.stream, Replicas: o.streamReplicas, Log: log})
	if err != nil {
		return fmt.Errorf("open event bus: %w", err)
	}
	defer b.Close()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := o.publicURL
	if base == "" {
		base = "http://" + displayHost(ln.Addr().String())
	}
	base = strings.TrimRight(base, "/")

	relay := bus.NewRelay(db, b, now, log)
	var mailer auth.Mailer
	if o.smtpURL != "" {
		if mailer, err = smtpMailer(o.smtpURL); err != nil {
			return err
		}
	}
	authSvc := auth.New(db, now, o.dev, mailer, log, o.signinRate)
	cfg := config.New(db, now, relay.Notify)
	proc := orders.New(db, now, relay.Notify, log)
	pub := publisher.New(b, log)

	if err := cfg.Seed(ctx, config.DemoBar()); err != nil {
		return fmt.Errorf("seed demo bar: %w", err)
	}
	adminPassword, err := authSvc.EnsureAccounts(ctx, "demo")
	if err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}

	bg, stopBG := context.WithCancel(context.Background())
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &web.Server{DB: db, Bus: b, Auth: authSvc, Config: cfg, Validator: validator.New(db, now, base), Orders: proc,
		Publisher: pub, Log: log, Now: now, Apps: ui.New(o.dev), SecureCookies: strings.HasPrefix(base, "https://"), Streams: streams}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	httpSrv.RegisterOnShutdown(endStreams)

	done := make(chan struct{}, 4)
	go func() { relay.Run(bg, 500*time.Millisecond); done <- struct{}{} }()
	go func() { proc.RunSweeper(bg, o.sweepInterval); done <- struct{}{} }()
	go func() { pub.Run(bg); done <- struct{}{} }()
	go func() { authSvc.RunCleanup(bg, 10*time.Minute); done <- struct{}{} }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	printWelcome(stdout, base, ln.Addr().String(), o, adminPassword)

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := httpSrv.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	stopBG()
	for range cap(done) {
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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

func printWelcome(w io.Writer, base, addr string, o options, adminPassword string) {
	fmt.Fprintf(w, "\npresso is running on %s (data in %s)\n\n", addr, o.data)
	fmt.Fprintf(w, "  Home      %s/\n", base)
	fmt.Fprintf(w, "  Display   %s/display/demo   (sign in as a display or admin)\n", base)
	fmt.Fprintf(w, "  Barista   %s/barista/demo   (sign in as a barista or admin)\n", base)
	fmt.Fprintf(w, "  Order     scan the QR code on the display; customers of the demo bar sign in with just a name\n")
	fmt.Fprintf(w, "  API       %s/api/  (see docs/api.md)\n\n", base)
	switch {
	case o.dev:
		fmt.Fprintf(w, "  Dev accounts: admin/admin, barista/barista, display/display\n\n")
	case adminPassword != "":
		fmt.Fprintf(w, "  Admin account created: username admin, password %s\n  (shown only this once)\n\n", adminPassword)
	default:
		fmt.Fprintf(w, "  Sign in with your staff accounts (add some as admin: POST /api/staff).\n\n")
	}
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
