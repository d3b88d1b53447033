package auth_test

import (
	"strings"
	"testing"
	"time"

	"presso/auth"
)

func TestPasswords(t *testing.T) {
	h := auth.HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %s, want argon2id PHC string", h)
	}
	if h2 := auth.HashPassword("correct horse"); h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	cases := []struct {
		password, hash string
		want           bool
	}{
		{"correct horse", h, true},
		{"correct horsE", h, false},
		{"", h, false},
		{"correct horse", "$2a$10$notargon", false},
		{"correct horse", "", false},
	}
	for _, c := range cases {
		if got := auth.CheckPassword(c.password, c.hash); got != c.want {
			t.Errorf("CheckPassword(%q, %.20s) = %v, want %v", c.password, c.hash, got, c.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	l := auth.NewLimiter(func() time.Time { return now })
	for i := range 3 {
		if !l.Allow("k", 3, time.Minute) {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if l.Allow("k", 3, time.Minute) {
		t.Fatal("4th attempt in the window allowed")
	}
	if !l.Allow("other", 3, time.Minute) {
		t.Fatal("another key was limited")
	}
	now = now.Add(time.Minute)
	if !l.Allow("k", 3, time.Minute) {
		t.Fatal("attempt in the next window refused")
	}
}

func TestNormalizeEmail(t *testing.T) {
	cases := []struct{ in, want string }{
		{" Ann@Example.COM ", "ann@example.com"},
		{"ann", ""},
		{"Ann <ann@example.com>", ""},
		{"", ""},
	}
	for _, c := range cases {
		got, err := auth.NormalizeEmail(c.in)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
