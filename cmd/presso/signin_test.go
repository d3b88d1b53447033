package main

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeSMTP accepts mail on loopback and sends each message body to C.
func fakeSMTP(t *testing.T) (addr string, msgs chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	msgs = make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				reply := func(s string) { c.Write([]byte(s + "\r\n")) }
				reply("220 fake ESMTP")
				var data strings.Builder
				inData := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if inData {
						if line == ".\r\n" {
							inData = false
							msgs <- data.String()
							reply("250 queued")
							continue
						}
						data.WriteString(line)
						continue
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						reply("250 fake")
					case cmd == "DATA":
						inData = true
						reply("354 go on")
					case cmd == "QUIT":
						reply("221 bye")
						return
					default:
						reply("250 ok")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), msgs
}

// TestEmailSignIn signs a customer in by emailed code against a bar in
// code mode, over a real SMTP conversation, and checks the limits.
func TestEmailSignIn(t *testing.T) {
	smtpAddr, mails := fakeSMTP(t)
	s := startServer(t, "", "--smtp-url", "smtp://"+smtpAddr+"?from=coffee@presso.test")
	admin := s.staff(t, "admin", "admin")
	admin.must(201, "POST", "/api/events", map[string]any{"id": "conf", "name": "Conference bar", "open": true}, nil)

	c := s.client(t)
	var sent struct {
		Sent    bool
		DevCode string
	}
	c.must(202, "POST", "/api/customer/code", map[string]string{"email": "Ann@Example.com"}, &sent)
	var mail string
	select {
	case mail = <-mails:
	case <-time.After(5 * time.Second):
		t.Fatal("no mail sent")
	}
	code := regexp.MustCompile(`code is (\d{6})`).FindStringSubmatch(mail)
	if code == nil || !strings.Contains(mail, "To: ann@example.com") {
		t.Fatalf("mail = %q, want a 6-digit code to ann@example.com", mail)
	}
	if !sent.Sent || sent.DevCode != code[1] {
		t.Fatalf("response = %+v, want sent with the dev code %s", sent, code[1])
	}

	var out struct{ Error struct{ Code, Field string } }
	if st := c.do("POST", "/api/customer/session", map[string]string{"email": "ann@example.com", "code": "000000x"}, &out); st != 400 || out.Error.Field != "code" {
		t.Fatalf("wrong code = %d %+v, want 400 naming code", st, out)
	}
	var me struct{ ID, Kind, Name, Role string }
	c.must(200, "POST", "/api/customer/session", map[string]string{"email": "ann@example.com", "code": code[1], "name": "Ann"}, &me)
	if me.Kind != "customer" || me.Name != "Ann" || me.Role != "customer" {
		t.Fatalf("me = %+v, want customer Ann (the first name given, never the address)", me)
	}
	// A code works once.
	if st := c.do("POST", "/api/customer/session", map[string]string{"email": "ann@example.com", "code": code[1]}, nil); st != 400 {
		t.Fatalf("reused code = %d, want 400", st)
	}
	// Signing in again later is the same customer.
	c2 := s.client(t)
	c2.must(202, "POST", "/api/customer/code", map[string]string{"email": "ann@example.com"}, &sent)
	<-mails
	var again struct{ ID string }
	c2.must(200, "POST", "/api/customer/session", map[string]string{"email": "ann@example.com", "code": sent.DevCode}, &again)
	if again.ID != me.ID {
		t.Fatalf("second sign-in id %s, want %s", again.ID, me.ID)
	}
	// The conference bar signs in by code, not by name.
	if st := c.do("POST", "/api/customer/session", map[string]string{"eventId": "conf", "name": "Bob"}, &out); st != 400 || out.Error.Field != "name" {
		t.Fatalf("name sign-in at a code bar = %d %+v, want 400 naming name", st, out)
	}
	// Codes per email are rate-limited: 3 a minute.
	c2.must(202, "POST", "/api/customer/code", map[string]string{"email": "ann@example.com"}, nil)
	<-mails
	if st := c2.do("POST", "/api/customer/code", map[string]string{"email": "ann@example.com"}, &out); st != 429 || out.Error.Code != "rate_limited" {
		t.Fatalf("4th code in a minute = %d %+v, want 429 rate_limited", st, out)
	}
	// Five wrong guesses spend a code.
	c3 := s.client(t)
	c3.must(202, "POST", "/api/customer/code", map[string]string{"email": "bob@example.com"}, &sent)
	<-mails
	for range 5 {
		c3.do("POST", "/api/customer/session", map[string]string{"email": "bob@example.com", "code": "999999x"}, nil)
	}
	if st := c3.do("POST", "/api/customer/session", map[string]string{"email": "bob@example.com", "code": sent.DevCode}, &out); st != 400 || out.Error.Code != "invalid_code" {
		t.Fatalf("right code after 5 wrong ones = %d %+v, want 400 invalid_code", st, out)
	}
	if strings.Contains(s.out.String(), sent.DevCode) {
		t.Errorf("a mailed sign-in code appeared in the log")
	}
}

// TestSignOut ends the session server-side.
func TestSignOut(t *testing.T) {
	s := startServer(t, "")
	c := s.customer(t, "Ann")
	c.must(200, "GET", "/api/me", nil, nil)
	c.must(204, "DELETE", "/api/session", nil, nil)
	if st := c.do("GET", "/api/me", nil, nil); st != 401 {
		t.Fatalf("after sign-out /api/me = %d, want 401", st)
	}
	var out struct{ Error struct{ Code string } }
	if st := s.client(t).do("POST", "/api/staff/session", map[string]string{"username": "admin", "password": "nope"}, &out); st != 401 || out.Error.Code != "bad_credentials" {
		t.Fatalf("bad password = %d %+v", st, out)
	}
}
