package main

import (
	"errors"
	"net"
	"strings"
	"testing"
)

// TestWelcome is the start-up text, exactly: the apps, the admin console,
// the API page and how a TV signs in; when the QR codes would name this
// machine only, why phones cannot reach them and the --public-url to use
// for each LAN address.
func TestWelcome(t *testing.T) {
	cases := []struct {
		name, base, addr string
		o                options
		password         string
		lan              []string
		want             string
	}{
		{
			name: "dev on localhost", base: "http://localhost:8080", addr: "[::]:8080",
			o: options{data: "presso-data", dev: true}, lan: []string{"192.168.1.20", "10.0.0.5", "2001:db8::5"},
			want: `
presso is running on [::]:8080 (data in presso-data)

  Home      http://localhost:8080/   (the bars for customers; staff sign in there for their links)
  Admin     http://localhost:8080/admin   (bars, menus, staff and screens)
  Display   http://localhost:8080/display/demo   (the TV: sign in as display, or pair it: http://localhost:8080/pair and a code from Admin)
  Barista   http://localhost:8080/barista/demo   (sign in as a barista or admin)
  Order     scan the QR code on the display; customers of the demo bar sign in with just a name
  API       http://localhost:8080/api/   (the API reference)

  Phones cannot reach http://localhost:8080: it names this machine only, so the QR codes
  would not open on them. Start presso with an address they can reach:
      --public-url http://192.168.1.20:8080
      --public-url http://10.0.0.5:8080
      --public-url http://[2001:db8::5]:8080

  Dev accounts: admin/admin, barista/barista, display/display
  No phone at hand? Home has "Try it without a phone": it opens the order app with the current code.

`,
		},
		{
			name: "loopback listener, no network", base: "http://127.0.0.1:9000", addr: "127.0.0.1:9000",
			o: options{data: "/var/lib/presso"}, password: "s3cret",
			want: `
presso is running on 127.0.0.1:9000 (data in /var/lib/presso)

  Home      http://127.0.0.1:9000/   (the bars for customers; staff sign in there for their links)
  Admin     http://127.0.0.1:9000/admin   (bars, menus, staff and screens)
  Display   http://127.0.0.1:9000/display/demo   (the TV: open http://127.0.0.1:9000/pair and type the code from Admin, the bar's Screens)
  Barista   http://127.0.0.1:9000/barista/demo   (sign in as a barista or admin)
  Order     scan the QR code on the display; customers of the demo bar sign in with just a name
  API       http://127.0.0.1:9000/api/   (the API reference)

  Phones cannot reach http://127.0.0.1:9000: it names this machine only, so the QR codes
  would not open on them. Start presso with an address they can reach:
      --public-url http://<this machine's address>:9000
  (this machine has no network address now: join the venue's network first)
  and let it listen beyond this machine: --addr :9000

  Admin account created: username admin, password s3cret
  (shown only this once)

`,
		},
		{
			name: "public URL", base: "https://coffee.example.com", addr: "[::]:8080",
			o: options{data: "presso-data"}, lan: []string{"192.168.1.20"},
			want: `
presso is running on [::]:8080 (data in presso-data)

  Home      https://coffee.example.com/   (the bars for customers; staff sign in there for their links)
  Admin     https://coffee.example.com/admin   (bars, menus, staff and screens)
  Display   https://coffee.example.com/display/demo   (the TV: open https://coffee.example.com/pair and type the code from Admin, the bar's Screens)
  Barista   https://coffee.example.com/barista/demo   (sign in as a barista or admin)
  Order     scan the QR code on the display; customers of the demo bar sign in with just a name
  API       https://coffee.example.com/api/   (the API reference)

  Sign in with your staff accounts (an admin adds more in Admin, Staff).

`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			printWelcome(&b, c.base, c.addr, c.o, c.password, c.lan)
			if got := b.String(); got != c.want {
				t.Errorf("printWelcome =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestReachable: a base URL naming this machine only is not reachable
// from a phone; a LAN address or a name is.
func TestReachable(t *testing.T) {
	for base, want := range map[string]bool{
		"http://localhost:8080":      false,
		"http://app.localhost:8080":  false,
		"http://127.0.0.1:8080":      false,
		"http://127.1.2.3":           false,
		"http://[::1]:8080":          false,
		"http://0.0.0.0:8080":        false,
		"http://[::]:8080":           false,
		"http://192.168.1.20:8080":   true,
		"http://[2001:db8::5]:8080":  true,
		"https://coffee.example.com": true,
		"http://bar.local:8080":      true,
		"::not a url":                false,
	} {
		if got := reachable(base); got != want {
			t.Errorf("reachable(%q) = %v, want %v", base, got, want)
		}
	}
}

// TestLANHosts: the addresses of interfaces that are up, without loopback
// and link-local ones, IPv4 first.
func TestLANHosts(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	ifaces := []net.Interface{
		{Index: 1, Name: "lo", Flags: net.FlagUp | net.FlagLoopback},
		{Index: 2, Name: "eth0", Flags: net.FlagUp | net.FlagBroadcast},
		{Index: 3, Name: "wlan0", Flags: net.FlagBroadcast}, // down
		{Index: 4, Name: "docker0", Flags: net.FlagUp},
		{Index: 5, Name: "broken", Flags: net.FlagUp},
	}
	addrs := map[string][]net.Addr{
		"lo":      {cidr("127.0.0.1/8"), cidr("::1/128")},
		"eth0":    {cidr("fe80::1c2d:3e4f:5a6b:7c8d/64"), cidr("2001:db8::5/64"), cidr("192.168.1.20/24")},
		"wlan0":   {cidr("10.0.0.7/24")},
		"docker0": {cidr("169.254.10.1/16"), cidr("172.17.0.1/16"), &net.IPAddr{IP: net.ParseIP("10.9.9.9")}},
	}
	list := func() ([]net.Interface, error) { return ifaces, nil }
	of := func(i *net.Interface) ([]net.Addr, error) {
		if i.Name == "broken" {
			return nil, errors.New("no such device")
		}
		return addrs[i.Name], nil
	}
	got := lanHosts(list, of)
	want := []string{"192.168.1.20", "172.17.0.1", "2001:db8::5"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lanHosts = %q, want %q", got, want)
	}
	failing := func() ([]net.Interface, error) { return nil, errors.New("no permission") }
	if got := lanHosts(failing, of); got != nil {
		t.Errorf("lanHosts when the interfaces cannot be listed = %q, want none", got)
	}
}
