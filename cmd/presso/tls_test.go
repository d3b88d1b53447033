package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	api "presso/client"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "presso test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestHTTPS (item 11): --tls-cert and --tls-key serve HTTPS (HTTP/2) with
// HSTS on every answer and Secure session cookies, and the QR codes point
// to https://. Plain HTTP on the port gets no app.
func TestHTTPS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	s := startServer(t, "", "--tls-cert", certFile, "--tls-key", keyFile)
	base := "https://" + strings.TrimPrefix(s.URL, "http://")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	resp, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /healthz over TLS = %d %s, HSTS %q, nosniff %q; want 200 over HTTP/2 with HSTS max-age=31536000 and nosniff",
			resp.StatusCode, resp.Proto, resp.Header.Get("Strict-Transport-Security"), resp.Header.Get("X-Content-Type-Options"))
	}

	resp, err = hc.Post(base+"/api/staff/session", "application/json", strings.NewReader(`{"username":"admin","password":"admin"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "presso_session" {
			session = c
		}
	}
	if resp.StatusCode != 200 || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("sign-in over TLS = %d, cookie %+v; want 200 with a Secure, HttpOnly presso_session", resp.StatusCode, session)
	}

	admin := &client{t: t, api: api.New(base, tr)}
	admin.must(200, "POST", "/api/staff/session", map[string]string{"username": "admin", "password": "admin"}, nil)
	var q struct{ URL string }
	admin.must(200, "GET", "/api/events/demo/qr", nil, &q)
	if !strings.HasPrefix(q.URL, base+"/order/demo") {
		t.Fatalf("QR URL = %q, want it under %s/order/demo", q.URL, base)
	}

	resp, err = http.Get(s.URL + "/healthz")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "HTTPS") {
			t.Fatalf("plain HTTP to the TLS port = %d %q, want 400 about HTTPS", resp.StatusCode, body)
		}
	}
}

// TestACMEWiring (item 11): --acme-domain cannot be tested offline, so
// this checks what it builds: a manager that accepts the TOS, caches in
// DATA/acme and asks only for the given domains; a TLS listener that
// answers TLS-ALPN-01 and speaks HTTP/2; the port-80 side that redirects
// to HTTPS; and QR codes that point to https://<first domain>.
func TestACMEWiring(t *testing.T) {
	dir := t.TempDir()
	m := acmeManager("coffee.example.com, www.coffee.example.com", dir)
	if m.Prompt == nil || m.Prompt("https://tos") != true {
		t.Fatal("the manager does not accept the CA's terms")
	}
	if c, ok := m.Cache.(autocert.DirCache); !ok || string(c) != filepath.Join(dir, "acme") {
		t.Fatalf("cache = %#v, want DirCache %s", m.Cache, filepath.Join(dir, "acme"))
	}
	ctx := context.Background()
	for host, ok := range map[string]bool{"coffee.example.com": true, "www.coffee.example.com": true, "evil.example": false, "example.com": false} {
		if err := m.HostPolicy(ctx, host); (err == nil) != ok {
			t.Errorf("HostPolicy(%q) = %v, want allowed %v", host, err, ok)
		}
	}

	sec := security{acmeDomain: "coffee.example.com", acmeListen: "127.0.0.1:0", readTimeout: 30 * time.Second}
	if err := sec.check(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := sec.listen("127.0.0.1:0", dir, 10, log)
	if err != nil {
		t.Fatal(err)
	}
	defer l.ln.Close()
	if l.acme == nil || l.tlsConfig.GetCertificate == nil || !slices.Contains(l.tlsConfig.NextProtos, "acme-tls/1") ||
		!slices.Contains(l.tlsConfig.NextProtos, "h2") || l.tlsConfig.MinVersion != tls.VersionTLS12 {
		t.Fatalf("TLS config = %+v, want certificates from the manager, acme-tls/1 and h2, TLS 1.2 at least", l.tlsConfig)
	}

	srv, ln := acmeHTTP(l.acme, "127.0.0.1:0", log)
	if srv == nil {
		t.Fatal("no HTTP-01 listener")
	}
	go srv.Serve(ln)
	defer srv.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/order/demo?code=x", nil)
	req.Host = "coffee.example.com"
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://coffee.example.com/order/demo?code=x" {
		t.Fatalf("plain HTTP on the ACME port = %d to %q, want 302 to https://coffee.example.com/order/demo?code=x", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The whole server starts (asking for no certificate until a browser
	// comes) and points phones to the domain over https. A request here
	// would make it ask Let's Encrypt, so none is made.
	s := startServer(t, "", "--acme-domain", "coffee.example.com", "--acme-http", "127.0.0.1:0")
	if out := s.out.String(); !strings.Contains(out, "Home      https://coffee.example.com/") {
		t.Fatalf("start-up text does not send phones to https://coffee.example.com/:\n%s", out)
	}
}

// TestSecurityFlags: the flags of issue 8 and 11, their defaults, their
// environment variables and what is refused.
func TestSecurityFlags(t *testing.T) {
	// sec checks the parsed proxies and caps, as fmt prints them.
	sec := func(want string) func(o options) bool {
		return func(o options) bool {
			s := o.sec
			return fmt.Sprint(s.proxies, " ", s.readTimeout, " ", s.maxConns, " ", s.maxConnsPerAddr, " ", s.maxStreams, " ", s.maxStreamsPerAddr, " ", s.nameOrdersPerAddr) == want
		}
	}
	testFlags(t, []flagCase{
		{"defaults", nil, nil, sec("[] 30s 0 256 0 64 0"), ""},
		{"proxies and caps", []string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7,2001:db8::/32", "--max-conns", "5000",
			"--max-streams-per-addr", "8", "--name-orders-per-addr", "3", "--read-timeout", "5s"}, nil,
			sec("[10.0.0.0/8 192.0.2.7/32 2001:db8::/32] 5s 5000 256 0 8 3"), ""},
		{"from the environment", nil, map[string]string{"PRESSO_TRUSTED_PROXIES": "172.16.0.1/12", "PRESSO_MAX_CONNS_PER_ADDR": "1000",
			"PRESSO_READ_TIMEOUT": "1m"}, sec("[172.16.0.0/12] 1m0s 0 1000 0 64 0"), ""},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/33"}, nil, nil, `--trusted-proxies: "10.0.0.0/33" is not a CIDR`},
		{"short read timeout", []string{"--read-timeout", "10ms"}, nil, nil, "--read-timeout must be at least 1s"},
		{"negative cap", []string{"--max-streams", "-1"}, nil, nil, "cannot be negative"},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, nil, "--tls-cert and --tls-key go together"},
		{"cert and acme", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--acme-domain", "x.example"}, nil, nil, "--acme-domain gets its own certificates"},
	})
	// The automatic caps come from the open-file limit.
	var s security
	for _, c := range []struct {
		limit          uint64
		conns, streams int
	}{{1024, 768, 384}, {524288, 393216, 196608}, {0, 0, 0}} {
		if conns, streams := s.caps(c.limit); conns != c.conns || streams != c.streams {
			t.Errorf("caps(%d) = %d, %d; want %d, %d", c.limit, conns, streams, c.conns, c.streams)
		}
	}
}
