package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"presso/metrics"
)

// What the server says about itself: its log, and its metrics on a
// listener of their own.

// newLogger is the server's log: text for people unless format is "json".
func newLogger(format string, out io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

// observer is the metrics side of a server: the registry and, when
// --metrics-addr asks for it, the listener and server that serve it. Its
// zero value is metrics off.
type observer struct {
	metrics *metrics.Metrics
	ln      net.Listener
	http    *http.Server
}

// startMetrics builds the registry and opens its listener when addr is
// set; with addr empty there are no metrics at all.
func (a *app) startMetrics(addr string) error {
	if addr == "" {
		return nil
	}
	a.obs.metrics = metrics.New(a.db)
	a.db.ObserveTx(a.obs.metrics.Tx)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.obs.metrics.Handler())
	// The profiles answer "why is it slow" on the server that is slow;
	// they are here, and not on the apps' listener, because this one is
	// the operator's own.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	a.obs.ln, a.obs.http = ln, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// metricsNote is the welcome's line about the metrics, if they are on.
func (a *app) metricsNote() string {
	if a.obs.ln == nil {
		return ""
	}
	return fmt.Sprintf("  Metrics   http://%s/metrics   (Prometheus; keep this address private)\n\n", displayHost(a.obs.ln.Addr().String()))
}

// serveMetrics serves the metrics until the returned function stops it.
func (a *app) serveMetrics() (stop func()) {
	if a.obs.http == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.obs.http.Serve(a.obs.ln); err != nil && err != http.ErrServerClosed {
			a.log.Error("metrics listener", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.obs.http.Shutdown(ctx)
		<-done
	}
}

// closeMetrics closes the metrics listener if serve never took it over.
func (a *app) closeMetrics() {
	if a.obs.ln != nil {
		a.obs.ln.Close()
	}
}
