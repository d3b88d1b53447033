package web

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestForwardedFor: behind trusted proxies the client is the rightmost
// hop that is not one of them; from anyone else X-Forwarded-For is
// ignored.
func TestForwardedFor(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "192.0.2.1:5000", []string{"198.51.100.9"}, "192.0.2.1"},
		{"one proxy", "10.0.0.5:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed hops left of the client", "10.0.0.5:5000", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"},
		{"two proxies", "10.0.0.5:5000", []string{"198.51.100.9, 10.1.1.1"}, "198.51.100.9"},
		{"several headers", "10.0.0.5:5000", []string{"1.2.3.4", "198.51.100.9, 10.1.1.1"}, "198.51.100.9"},
		{"only proxies", "10.0.0.5:5000", []string{"10.9.9.9"}, "10.9.9.9"},
		{"no header", "10.0.0.5:5000", nil, "10.0.0.5"},
		{"garbage hop", "10.0.0.5:5000", []string{"198.51.100.9, not-an-ip"}, "10.0.0.5"},
		{"hop with a port", "10.0.0.5:5000", []string{"198.51.100.9:4444"}, "198.51.100.9"},
		{"IPv6 proxy and client", "[2001:db8::1]:5000", []string{"[2001:db9::7]"}, "2001:db9::7"},
		{"mapped IPv4 peer", "[::ffff:10.0.0.5]:5000", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.forwardedFor(r); got != c.want {
			t.Errorf("%s: forwardedFor(peer %s, %q) = %q, want %q", c.name, c.peer, c.xff, got, c.want)
		}
	}
}

// TestStreamSlots: caps in all and per address; a release is given back
// once however often it is called.
func TestStreamSlots(t *testing.T) {
	sl := newSlots(3, 2)
	var got []string
	var releases []func()
	for _, ip := range []string{"a", "a", "a", "b", "c"} {
		r, err := sl.take(ip)
		if err != nil {
			got = append(got, "refused")
			continue
		}
		got = append(got, "ok")
		releases = append(releases, r)
	}
	if strings.Join(got, " ") != "ok ok refused ok refused" {
		t.Fatalf("takes = %v, want ok ok refused ok refused", got)
	}
	releases[0]()
	releases[0]()
	if _, err := sl.take("c"); err != nil {
		t.Fatalf("a take after one release = %v", err)
	}
	if _, err := sl.take("d"); err == nil {
		t.Fatal("a fourth stream in all was allowed after one double release")
	}
}

// TestLimitListener: connections over a cap are closed at once; a trusted
// proxy is held to the total cap only; a closed connection frees its place.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(inner, 5, 2, []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}, nil)
	defer l.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func(ip string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		c, err := d.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	closedAtOnce := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		ne, ok := err.(net.Error)
		return err != nil && !(ok && ne.Timeout())
	}
	var got []bool
	for _, ip := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.9", "127.0.0.9", "127.0.0.9", "127.0.0.3"} {
		got = append(got, closedAtOnce(dial(ip)))
	}
	// 2 of .2 (the third closed), then the proxy .9 past the per-address
	// cap up to the total of 5, then nothing more.
	want := []bool{false, false, true, false, false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("closed at once = %v, want %v", got, want)
		}
	}
	if l.Open() != 5 || l.Refused() != 2 {
		t.Fatalf("open %d, refused %d; want 5 and 2", l.Open(), l.Refused())
	}
	(<-accepted).Close()
	if closedAtOnce(dial("127.0.0.3")) {
		t.Fatal("a connection after one closed was refused")
	}
}

func TestKeysAt(t *testing.T) {
	body := `{"drink":"x","modifiers":{"milk":1},"menu":[{"id":"a","m":{"k":[true]}}]}`
	for _, c := range []struct {
		after string
		want  string
	}{
		{`"drink":"x"`, "drink"},
		{`"milk":1`, "modifiers.milk"},
		{`"id":"a"`, "menu.id"},
		{`"k":[`, "menu.m.k"},
	} {
		off := int64(strings.Index(body, c.after) + len(c.after))
		if got := strings.Join(keysAt([]byte(body), off), "."); got != c.want {
			t.Errorf("keysAt(after %s) = %q, want %q", c.after, got, c.want)
		}
	}
}
