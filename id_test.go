package presso

import (
	"regexp"
	"testing"
	"time"
)

// TestNewID: an id is its prefix and 26 characters; ids made later sort
// after earlier ones, and ids made in the same millisecond differ.
func TestNewID(t *testing.T) {
	shape := regexp.MustCompile(`^o_[2-7a-z]{26}$`)
	first := NewID("o")
	time.Sleep(2 * time.Millisecond)
	seen := map[string]bool{}
	prev := first
	for range 10000 {
		id := NewID("o")
		if !shape.MatchString(id) {
			t.Fatalf("NewID = %q, want o_ and 26 characters of 2-7a-z", id)
		}
		if seen[id] {
			t.Fatalf("NewID made %q twice", id)
		}
		seen[id] = true
		prev = id
	}
	if first >= prev {
		t.Errorf("the first id %q does not sort before the last %q, made 2 ms or more later", first, prev)
	}
	b, err := idEncoding.DecodeString(prev[2:])
	if err != nil {
		t.Fatal(err)
	}
	ms := int64(b[0])<<40 | int64(b[1])<<32 | int64(b[2])<<24 | int64(b[3])<<16 | int64(b[4])<<8 | int64(b[5])
	if d := time.Since(time.UnixMilli(ms)); d < 0 || d > time.Minute {
		t.Errorf("the last id's time is %v ago, want within a minute", d)
	}
}
