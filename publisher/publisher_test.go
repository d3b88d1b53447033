package publisher_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"presso"
	"presso/bus"
	"presso/publisher"
)

func TestChannelMatch(t *testing.T) {
	order := func(dt, event, user string) *presso.Envelope {
		return &presso.Envelope{DetailType: dt, EventID: event, Detail: map[string]any{"userId": user}}
	}
	board := publisher.Channel{Kind: publisher.Board, EventID: "demo"}
	store := publisher.Channel{Kind: publisher.Store, EventID: "demo"}
	ann := publisher.Channel{Kind: publisher.User, UserID: "cus_ann"}
	cases := []struct {
		name string
		ch   publisher.Channel
		env  *presso.Envelope
		want bool
	}{
		{"board sees its bar's orders", board, order(presso.OrderManagerMakeOrder, "demo", "cus_ann"), true},
		{"board sees redemptions", board, order(presso.ValidatorNewOrder, "demo", "cus_ann"), true},
		{"board does not see another bar", board, order(presso.OrderManagerMakeOrder, "other", "cus_ann"), false},
		{"store sees config", store, order(presso.ConfigServiceConfigChanged, "demo", ""), true},
		{"store does not see orders", store, order(presso.OrderManagerOrderCompleted, "demo", "cus_ann"), false},
		{"store does not see another bar's config", store, order(presso.ConfigServiceConfigChanged, "other", ""), false},
		{"user sees own orders anywhere", ann, order(presso.OrderManagerOrderCompleted, "other", "cus_ann"), true},
		{"user sees own timeouts", ann, order(presso.OrderProcessorOrderTimeOut, "demo", "cus_ann"), true},
		{"user does not see others", ann, order(presso.OrderManagerOrderCompleted, "demo", "cus_bob"), false},
		{"user does not see redemptions", ann, order(presso.ValidatorNewOrder, "demo", "cus_ann"), false},
		// Sign-outs are presso's own business: on no channel, even a bar named "_".
		{"a bar named _ does not see sign-outs", publisher.Channel{Kind: publisher.Board, EventID: "_"}, order(presso.AuthServiceSessionsEnded, "_", "cus_ann"), false},
		{"user does not see their sign-out", ann, order(presso.AuthServiceSessionsEnded, "_", "cus_ann"), false},
	}
	for _, c := range cases {
		if _, got := c.ch.Match(c.env); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
	subjects := map[publisher.Channel]string{board: "presso.demo.>", store: "presso.demo.ConfigService.>", ann: "presso.>"}
	for ch, want := range subjects {
		if got := ch.Subject(); got != want {
			t.Errorf("Subject(%+v) = %s, want %s", ch, got, want)
		}
	}
}

// event is the bus message of an event of detail type dt at seq.
func event(t *testing.T, seq uint64, dt, bar string, detail map[string]any) bus.Message {
	t.Helper()
	env := presso.NewEnvelope(dt, bar, time.Now(), detail)
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Seq: seq, Subject: env.Subject(), Data: data}
}

func done(s *publisher.Subscription) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// TestSessionsEnded: a sign-out ends the subscriptions of its session, or
// of every session of its user, and no one else's; it is delivered to no
// one; and a subscription its session opens afterwards is done at once.
func TestSessionsEnded(t *testing.T) {
	p := publisher.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	board := publisher.Channel{Kind: publisher.Board, EventID: "_"}
	annPhone, _ := p.Subscribe(publisher.Channel{Kind: publisher.User, UserID: "cus_ann"}, publisher.Holder{SessionHash: "h1", UserID: "cus_ann"})
	annLaptop, _ := p.Subscribe(publisher.Channel{Kind: publisher.User, UserID: "cus_ann"}, publisher.Holder{SessionHash: "h2", UserID: "cus_ann"})
	barista, _ := p.Subscribe(board, publisher.Holder{SessionHash: "h3", UserID: "stf_b"})
	anon, _ := p.Subscribe(board, publisher.Holder{})

	p.Dispatch(event(t, 1, presso.AuthServiceSessionsEnded, "_", map[string]any{"sessionHash": "h1", "userId": ""}))
	if got := []bool{done(annPhone), done(annLaptop), done(barista), done(anon)}; got[0] != true || got[1] || got[2] || got[3] {
		t.Fatalf("after h1 signed out, done = phone %v, laptop %v, barista %v, anonymous %v; want only the phone", got[0], got[1], got[2], got[3])
	}
	p.Dispatch(event(t, 2, presso.AuthServiceSessionsEnded, "_", map[string]any{"sessionHash": "", "userId": "stf_b"}))
	if !done(barista) || done(annLaptop) || done(anon) {
		t.Fatalf("after stf_b's sessions ended, done = barista %v, laptop %v, anonymous %v; want only the barista", done(barista), done(annLaptop), done(anon))
	}
	for _, s := range []*publisher.Subscription{annPhone, annLaptop, barista, anon} {
		if n := s.Pending(); n != 0 {
			t.Fatalf("a subscription of bar _ or a user got %d sign-out messages, want none", n)
		}
	}
	late, _ := p.Subscribe(publisher.Channel{Kind: publisher.User, UserID: "cus_ann"}, publisher.Holder{SessionHash: "h1", UserID: "cus_ann"})
	if !done(late) {
		t.Fatal("a subscription of the signed-out session h1, opened after its sign-out, is not done")
	}
	p.Dispatch(event(t, 3, presso.OrderManagerOrderCompleted, "demo", map[string]any{"userId": "cus_ann"}))
	if annLaptop.Pending() != 1 || done(annLaptop) {
		t.Fatalf("Ann's laptop got %d messages (done %v), want her order event and still open", annLaptop.Pending(), done(annLaptop))
	}
}

// TestResumeLimit: a client gets its burst of resumes at once, then one
// per second it waits; clients are counted apart; the map of clients stays
// within its bound, dropping those that are full again first.
func TestResumeLimit(t *testing.T) {
	allow := publisher.NewLimiter(3, 1, 2)
	t0 := time.Unix(1_767_225_600, 0)
	steps := []struct {
		key       string
		at        time.Duration
		want      bool
		wantRetry time.Duration // after at, when refused
	}{
		{"a", 0, true, 0},
		{"a", 0, true, 0},
		{"a", 0, true, 0},
		{"a", 0, false, time.Second},
		{"a", 500 * time.Millisecond, false, 500 * time.Millisecond},
		{"a", time.Second, true, 0},
		{"b", time.Second, true, 0},
		{"c", time.Second, false, time.Second}, // two clients tracked, neither full again
		{"c", 5 * time.Second, true, 0},        // a and b are full again by now: they go
		{"a", 5 * time.Second, true, 0},
	}
	for i, s := range steps {
		retry, ok := allow(s.key, t0.Add(s.at))
		if ok != s.want {
			t.Fatalf("step %d: allow(%s) at %v = %v, want %v", i, s.key, s.at, ok, s.want)
		}
		if !ok && retry.Sub(t0.Add(s.at)) != s.wantRetry {
			t.Fatalf("step %d: allow(%s) at %v retries after %v, want %v", i, s.key, s.at, retry.Sub(t0.Add(s.at)), s.wantRetry)
		}
	}
}

// TestResumeLimitSignedIn: signed-in resumes count against the user (20 at
// once) and, loosely, the address (200 at once): fresh users from one
// address do not buy more; anonymous ones from that address are counted
// apart.
func TestResumeLimitSignedIn(t *testing.T) {
	p := publisher.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	allowed := func(addr, user string, n int) int {
		ok := 0
		for range n {
			if _, yes := p.AllowResume(addr, user); yes {
				ok++
			}
		}
		return ok
	}
	if got := allowed("10.0.0.1", "cus_ann", 25); got != 20 {
		t.Fatalf("Ann's 25 resumes at once: %d allowed, want 20", got)
	}
	total := 20
	for i := range 20 {
		total += allowed("10.0.0.1", "cus_"+string(rune('a'+i)), 20)
	}
	if total != 200 {
		t.Fatalf("21 users on one address, 20 resumes each at once: %d allowed, want 200", total)
	}
	if got := allowed("10.0.0.2", "cus_new", 1); got != 1 {
		t.Fatalf("a new user on another address: %d allowed, want 1", got)
	}
	if got := allowed("10.0.0.1", "", 25); got != 20 {
		t.Fatalf("anonymous on the busy address, 25 at once: %d allowed, want 20", got)
	}
}
