package validator_test

import (
	"strings"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/validator"
)

func TestWindow(t *testing.T) {
	bar := config.DemoBar()
	checkWindows(t, bar, []window{
		{"2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z"},
		{"2026-11-25T10:04:59.999Z", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z"},
		{"2026-11-25T10:05:00Z", "2026-11-25T10:05:00Z", "2026-11-25T10:10:00Z"},
	})
}

// window is a time and the code window it falls in, all RFC 3339.
type window struct{ at, start, end string }

// checkWindows checks the bar's code window at each time.
func checkWindows(t *testing.T, bar *presso.Bar, cases []window) {
	t.Helper()
	for _, c := range cases {
		at, _ := time.Parse(time.RFC3339Nano, c.at)
		start, end := validator.Window(bar, at)
		if got := start.UTC().Format(time.RFC3339); got != c.start {
			t.Errorf("Window(%s) start = %s, want %s", c.at, got, c.start)
		}
		if got := end.UTC().Format(time.RFC3339); got != c.end {
			t.Errorf("Window(%s) end = %s, want %s", c.at, got, c.end)
		}
	}
}

func TestSVG(t *testing.T) {
	svg, err := validator.SVG("http://localhost:8080/order/demo?code=ABCDEFGHIJKLMNOP")
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `) || !strings.HasSuffix(s, `"/></svg>`) ||
		!strings.Contains(s, `aria-label="QR code to order a drink"`) || strings.Count(s, "h1v1h-1z") < 200 {
		t.Fatalf("SVG = %.200s…", s)
	}
}

func TestOrderURL(t *testing.T) {
	v := validator.New(nil, time.Now, "https://coffee.example.com")
	if got, want := v.OrderURL("demo", "a+b/c"), "https://coffee.example.com/order/demo?code=a%2Bb%2Fc"; got != want {
		t.Fatalf("OrderURL = %s, want %s", got, want)
	}
}

// TestWindowAfterRotation: after a rotation windows are aligned to its
// time, also for a replica whose clock is a little behind it.
func TestWindowAfterRotation(t *testing.T) {
	bar := config.DemoBar()
	bar.QREpoch = time.Date(2026, 11, 25, 10, 2, 30, 0, time.UTC)
	checkWindows(t, bar, []window{
		{"2026-11-25T10:02:30Z", "2026-11-25T10:02:30Z", "2026-11-25T10:07:30Z"},
		{"2026-11-25T10:07:29.999Z", "2026-11-25T10:02:30Z", "2026-11-25T10:07:30Z"},
		{"2026-11-25T10:07:30Z", "2026-11-25T10:07:30Z", "2026-11-25T10:12:30Z"},
		{"2026-11-25T12:00:00Z", "2026-11-25T11:57:30Z", "2026-11-25T12:02:30Z"},
		{"2026-11-25T10:02:29Z", "2026-11-25T09:57:30Z", "2026-11-25T10:02:30Z"}, // a clock 1 s behind
	})
}

// TestLive: an ended bar is refused with 410 bar_ended.
func TestLive(t *testing.T) {
	bar := config.DemoBar()
	if err := validator.Live(bar); err != nil {
		t.Fatalf("Live(open bar) = %v", err)
	}
	bar.Ended = true
	err := validator.Live(bar)
	if pe, ok := err.(*presso.Error); !ok || pe.Kind != presso.KindExpired || pe.Code != presso.CodeBarEnded {
		t.Fatalf("Live(ended bar) = %v, want 410 bar_ended", err)
	}
}
