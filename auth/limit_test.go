package auth_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"presso/auth"
)

// TestLimiterBounded: 2,000 keys of 250 KB each are kept as hashes, so the
// limiter holds well under 1 MB for them; before, each key was kept whole
// (500 MB). Finished windows go within a minute even below the cap, and
// past the cap the oldest windows make room.
func TestLimiterBounded(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	l := auth.NewLimiterSize(func() time.Time { return now }, 1000)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	for i := range 2000 {
		key := fmt.Sprintf("staff-user:%d%s", i, strings.Repeat("a", 250<<10))
		l.Allow(key, 10, time.Minute)
	}
	if grown := int64(heap()) - int64(before); grown > 1<<20 {
		t.Fatalf("2,000 oversized keys grew the heap by %d bytes, want under 1 MiB", grown)
	}
	if n := l.Len(); n > 1000 {
		t.Fatalf("limiter holds %d keys, want at most its cap of 1000", n)
	}
	// A hashed key still counts: the same long key is limited.
	long := strings.Repeat("b", 300)
	for i := range 3 {
		if !l.Allow(long, 3, time.Minute) {
			t.Fatalf("attempt %d of a long key refused", i+1)
		}
	}
	if l.Allow(long, 3, time.Minute) {
		t.Fatal("4th attempt of a long key allowed")
	}
	// A minute on, a new attempt drops every finished window.
	now = now.Add(time.Minute)
	l.Allow("k", 1, time.Hour)
	if n := l.Len(); n != 1 {
		t.Fatalf("after a minute the limiter holds %d keys, want 1", n)
	}
}

func TestAddressKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := auth.AddressKey(c.in); got != c.want {
			t.Errorf("AddressKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
