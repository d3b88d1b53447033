package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"presso/web"
)

// security is the HTTP server's hardening and HTTPS settings (issue 8):
// who may forward client addresses, how long a request may take to
// arrive, the caps on connections and streams, name-mode order starts
// per address, and the certificates.
type security struct {
	trustedProxies                          string
	proxies                                 []netip.Prefix // parsed from trustedProxies
	readTimeout                             time.Duration
	maxConns, maxConnsPerAddr               int
	maxStreams, maxStreamsPerAddr           int
	nameOrdersPerAddr                       int
	tlsCert, tlsKey, acmeDomain, acmeListen string
}

// Defaults of the caps; 0 for maxConns and maxStreams means "from the
// open-file limit" (see caps).
const (
	defaultConnsPerAddr   = 256
	defaultStreamsPerAddr = 64
	maxHeaderBytes        = 16 << 10
)

// flags registers the settings' flags on fs, with env and envInt giving
// the PRESSO_* fallbacks.
func (s *security) flags(fs *flag.FlagSet, env func(name, def string) string, envInt func(name string, def int) int) {
	fs.StringVar(&s.trustedProxies, "trusted-proxies", env("PRESSO_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of proxies whose X-Forwarded-For is believed, e.g. 10.0.0.0/8 (PRESSO_TRUSTED_PROXIES)")
	envDur := func(name string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(env(name, "")); err == nil {
			return d
		}
		return def
	}
	fs.DurationVar(&s.readTimeout, "read-timeout", envDur("PRESSO_READ_TIMEOUT", 30*time.Second),
		"longest a request's headers and body may take to arrive; SSE streams are exempt (PRESSO_READ_TIMEOUT)")
	fs.IntVar(&s.maxConns, "max-conns", envInt("PRESSO_MAX_CONNS", 0),
		"connections held at most; 0: three quarters of the open-file limit (PRESSO_MAX_CONNS)")
	fs.IntVar(&s.maxConnsPerAddr, "max-conns-per-addr", envInt("PRESSO_MAX_CONNS_PER_ADDR", defaultConnsPerAddr),
		"connections held at most from one client address; trusted proxies are exempt (PRESSO_MAX_CONNS_PER_ADDR)")
	fs.IntVar(&s.maxStreams, "max-streams", envInt("PRESSO_MAX_STREAMS", 0),
		"live SSE streams at most; 0: half of --max-conns (PRESSO_MAX_STREAMS)")
	fs.IntVar(&s.maxStreamsPerAddr, "max-streams-per-addr", envInt("PRESSO_MAX_STREAMS_PER_ADDR", defaultStreamsPerAddr),
		"live SSE streams at most from one client address (PRESSO_MAX_STREAMS_PER_ADDR)")
	fs.IntVar(&s.nameOrdersPerAddr, "name-orders-per-addr", envInt("PRESSO_NAME_ORDERS_PER_ADDR", 0),
		"at a bar in name mode, orders one client address may start with one QR code; 0: half the code's uses (PRESSO_NAME_ORDERS_PER_ADDR)")
	fs.StringVar(&s.tlsCert, "tls-cert", env("PRESSO_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain) file, with --tls-key (PRESSO_TLS_CERT)")
	fs.StringVar(&s.tlsKey, "tls-key", env("PRESSO_TLS_KEY", ""), "the PEM private key of --tls-cert (PRESSO_TLS_KEY)")
	fs.StringVar(&s.acmeDomain, "acme-domain", env("PRESSO_ACME_DOMAIN", ""),
		"serve HTTPS for this domain (comma-separated for several) with certificates from Let's Encrypt; the machine must be reachable from the internet on port 443, and on --acme-http (PRESSO_ACME_DOMAIN)")
	fs.StringVar(&s.acmeListen, "acme-http", env("PRESSO_ACME_HTTP", ":80"),
		"with --acme-domain: where to answer ACME HTTP-01 challenges and redirect to HTTPS; empty: TLS-ALPN-01 on the HTTPS port only (PRESSO_ACME_HTTP)")
}

// check validates the settings and parses the proxies.
func (s *security) check() error {
	for _, c := range strings.Split(s.trustedProxies, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxies: %q is not a CIDR such as 10.0.0.0/8 or an address", c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		s.proxies = append(s.proxies, p.Masked())
	}
	switch {
	case s.readTimeout < time.Second:
		return fmt.Errorf("--read-timeout must be at least 1s, not %v", s.readTimeout)
	case s.maxConns < 0 || s.maxConnsPerAddr < 0 || s.maxStreams < 0 || s.maxStreamsPerAddr < 0 || s.nameOrdersPerAddr < 0:
		return errors.New("--max-conns, --max-conns-per-addr, --max-streams, --max-streams-per-addr and --name-orders-per-addr cannot be negative")
	case (s.tlsCert == "") != (s.tlsKey == ""):
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	case s.tlsCert != "" && s.acmeDomain != "":
		return errors.New("--acme-domain gets its own certificates: leave out --tls-cert and --tls-key")
	}
	return nil
}

// https reports whether presso serves HTTPS itself.
func (s *security) https() bool { return s.tlsCert != "" || s.acmeDomain != "" }

// caps are the connection and stream caps, the automatic ones worked out
// from the open-file limit: a quarter of the descriptors stays free for
// the database, NATS and the files presso opens.
func (s *security) caps(fileLimit uint64) (conns, streams int) {
	conns = s.maxConns
	if conns == 0 && fileLimit > 0 {
		conns = int(min(fileLimit, 1<<30) * 3 / 4)
	}
	streams = s.maxStreams
	if streams == 0 {
		streams = conns / 2
	}
	return conns, streams
}

// configure sets the web server's side of the settings.
func (s *security) configure(srv *web.Server, streams int) {
	srv.TrustedProxies = s.proxies
	srv.ReadTimeout = s.readTimeout
	srv.MaxStreams, srv.MaxStreamsPerAddr = streams, s.maxStreamsPerAddr
	srv.NameOrdersPerAddr = s.nameOrdersPerAddr
	if s.https() {
		srv.HSTS, srv.SecureCookies = true, true
	}
}

// httpServer is the server for handler: header and idle timeouts, headers
// capped well below net/http's 1 MB, and handshake noise kept out of the
// log.
func httpServer(handler http.Handler, s *security, log *slog.Logger, tlsConfig *tls.Config) *http.Server {
	return &http.Server{Handler: handler, ReadHeaderTimeout: min(10*time.Second, s.readTimeout), IdleTimeout: 120 * time.Second,
		MaxHeaderBytes: maxHeaderBytes, TLSConfig: tlsConfig, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
}

// listener is what start listens on: addr with the connection caps, and
// TLS on top when presso serves HTTPS. acme is the ACME manager when
// certificates come from --acme-domain.
type listener struct {
	ln        net.Listener
	capped    *web.Listener
	tlsConfig *tls.Config
	acme      *autocert.Manager
}

// listen opens addr with the caps, and TLS when configured.
func (s *security) listen(addr, dataDir string, conns int, log *slog.Logger) (_ *listener, err error) {
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	l := &listener{capped: web.LimitListener(tcp, conns, s.maxConnsPerAddr, s.proxies, log)}
	l.ln = l.capped
	switch {
	case s.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(s.tlsCert, s.tlsKey)
		if err != nil {
			tcp.Close()
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		l.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	case s.acmeDomain != "":
		l.acme = acmeManager(s.acmeDomain, dataDir)
		l.tlsConfig = l.acme.TLSConfig() // answers TLS-ALPN-01 challenges on this port too
		l.tlsConfig.MinVersion = tls.VersionTLS12
	}
	if l.tlsConfig != nil {
		l.ln = tls.NewListener(l.capped, l.tlsConfig)
	}
	return l, nil
}

// acmeManager gets and renews certificates for the comma-separated
// domains from Let's Encrypt, caching them (and the account key) in
// DATA/acme so a restart does not ask again.
func acmeManager(domains, dataDir string) *autocert.Manager {
	var hosts []string
	for _, d := range strings.Split(domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			hosts = append(hosts, d)
		}
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(dataDir, "acme")),
		HostPolicy: autocert.HostWhitelist(hosts...),
	}
}

// acmeFirstDomain is the domain the QR codes point to when --public-url
// is not given.
func acmeFirstDomain(domains string) string {
	first, _, _ := strings.Cut(domains, ",")
	return strings.TrimSpace(first)
}

// acmeHTTP is the plain-HTTP side of --acme-domain: HTTP-01 challenges,
// and a redirect to HTTPS for everything else. Port 80 usually needs
// privileges; without it certificates still come through TLS-ALPN-01 on
// the HTTPS port, so a failure to listen is logged, not fatal.
func acmeHTTP(m *autocert.Manager, addr string, log *slog.Logger) (*http.Server, net.Listener) {
	if m == nil || addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("ACME HTTP-01 listener not started; certificates come by TLS-ALPN-01 on the HTTPS port", "addr", addr, "err", err)
		return nil, nil
	}
	return &http.Server{Handler: m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second,
		MaxHeaderBytes: maxHeaderBytes}, ln
}
