package load

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"presso"
)

// stub is a stand-in for presso that answers every call the load
// generator makes at once, from memory, and sends the events presso would
// (the same types and shapes, each order event with the whole order): the
// generator against it costs what the generator costs, whatever the server
// can do. It counts the calls by route.
type stub struct {
	mu     sync.Mutex
	orders map[string]*presso.Order
	subs   map[*stubSub]bool
	calls  map[string]int
	seq    uint64
	n      int
}

// stubSub is one open stream: a bar's board, or a customer's own.
type stubSub struct {
	bar, user string
	ch        chan []byte
}

func newStub() *stub {
	return &stub{orders: map[string]*presso.Order{}, subs: map[*stubSub]bool{}, calls: map[string]int{}}
}

func (s *stub) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h func(w http.ResponseWriter, r *http.Request, who string)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.calls[pattern]++
			s.mu.Unlock()
			who := ""
			if c, err := r.Cookie("presso_session"); err == nil {
				who = c.Value
			}
			h(w, r, who)
		})
	}
	signIn := func(w http.ResponseWriter, r *http.Request, _ string) {
		var in struct{ Username, Name, Email string }
		json.NewDecoder(r.Body).Decode(&in)
		who := cmp.Or(in.Username, "cus_"+in.Name+in.Email)
		http.SetCookie(w, &http.Cookie{Name: "presso_session", Value: strings.ReplaceAll(who, " ", "_"), Path: "/"})
		json.NewEncoder(w).Encode(presso.Identity{ID: who, Kind: "staff", Role: presso.RoleAdmin})
	}
	route("POST /api/staff/session", signIn)
	route("POST /api/customer/session", signIn)
	route("POST /api/staff", func(w http.ResponseWriter, r *http.Request, _ string) { w.WriteHeader(http.StatusCreated) })
	route("GET /api/events/{bar}", s.bar)
	route("PATCH /api/events/{bar}", s.bar)
	route("GET /api/events/{bar}/qr", func(w http.ResponseWriter, r *http.Request, _ string) {
		json.NewEncoder(w).Encode(map[string]any{"code": "C0DE", "windowEnd": time.Now().Add(time.Hour)})
	})
	route("GET /api/events/{bar}/stream", func(w http.ResponseWriter, r *http.Request, _ string) {
		s.stream(w, r, &stubSub{bar: r.PathValue("bar")})
	})
	route("GET /api/me/stream", func(w http.ResponseWriter, r *http.Request, who string) { s.stream(w, r, &stubSub{user: who}) })
	route("POST /api/events/{bar}/orders", s.start)
	route("PUT /api/orders/{id}/drink", func(w http.ResponseWriter, r *http.Request, _ string) {
		s.step(w, r.PathValue("id"), presso.StateWaiting, presso.StateQueued, presso.OrderProcessorWaitingCompletion, presso.OrderManagerWaitingCompletion)
	})
	route("POST /api/orders/{id}/{action}", func(w http.ResponseWriter, r *http.Request, _ string) {
		switch r.PathValue("action") {
		case "make":
			s.step(w, r.PathValue("id"), presso.StateQueued, presso.StateMaking, presso.OrderManagerMakeOrder)
		case "complete":
			s.step(w, r.PathValue("id"), presso.StateMaking, presso.StateCompleted, presso.OrderManagerOrderCompleted, presso.OrderProcessorOrderFinished)
		case "cancel":
			s.step(w, r.PathValue("id"), presso.StateMaking, presso.StateCancelled, presso.OrderManagerOrderCancelled, presso.OrderProcessorOrderFinished)
		}
	})
	route("GET /api/orders/{id}", func(w http.ResponseWriter, r *http.Request, _ string) {
		s.mu.Lock()
		b, _ := json.Marshal(s.orders[r.PathValue("id")])
		s.mu.Unlock()
		w.Write(b)
	})
	return mux
}

func (s *stub) bar(w http.ResponseWriter, r *http.Request, _ string) {
	milk := []presso.ModifierGroup{{ID: "milk", Name: "Milk", Default: "regular", Options: []presso.Option{{ID: "regular", Name: "Regular"}, {ID: "oat", Name: "Oat"}}}}
	json.NewEncoder(w).Encode(presso.Bar{ID: r.PathValue("bar"), Name: "Stub", Open: true, SignInMode: "name", Timezone: "UTC",
		Menu:     []presso.MenuItem{{ID: "americano", Name: "Americano", Available: true, Modifiers: milk}, {ID: "espresso", Name: "Espresso", Available: true}},
		Limits:   presso.Limits{DrinksPerCode: 10000, WindowSeconds: 3600, MaxQueue: 100000, MaxPerCustomer: 1000},
		Timeouts: presso.Timeouts{CustomerSeconds: 300, BaristaSeconds: 900}})
}

func (s *stub) start(w http.ResponseWriter, r *http.Request, who string) {
	s.mu.Lock()
	s.n++
	o := &presso.Order{ID: fmt.Sprintf("o_%d", s.n), EventID: r.PathValue("bar"), UserID: who, UserName: who, State: presso.StateWaiting, CreatedAt: time.Now()}
	s.orders[o.ID] = o
	s.publish(o, presso.ValidatorNewOrder, presso.OrderProcessorWorkflowStarted)
	b, _ := json.Marshal(o)
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	w.Write(b)
}

// step moves an order from one state to the next and sends its events; an
// order in any other state is a 409, as a lost race for it would be.
func (s *stub) step(w http.ResponseWriter, id string, from, to presso.State, types ...string) {
	s.mu.Lock()
	o := s.orders[id]
	if o == nil || o.State != from {
		s.mu.Unlock()
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"error":{"code":"conflict","message":"not now"}}`)
		return
	}
	now := time.Now()
	o.State = to
	switch to {
	case presso.StateQueued:
		o.Number, o.SubmittedAt, o.Drink = int64(s.n), &now, &presso.Drink{ID: "americano", Name: "Americano", Icon: "americano", Modifiers: []presso.Modifier{{Group: "milk", GroupName: "Milk", Option: "oat", OptionName: "Oat"}}}
	case presso.StateMaking:
		o.MadeAt, o.BaristaID, o.BaristaName = &now, "stf_robot", "robot"
	default:
		o.FinishedAt = &now
	}
	s.publish(o, types...)
	b, _ := json.Marshal(o)
	s.mu.Unlock()
	w.Write(b)
}

// publish sends an order's events to its bar's boards and its customer's
// streams, with presso's detail; s.mu is held.
func (s *stub) publish(o *presso.Order, types ...string) {
	for _, typ := range types {
		detail := map[string]any{"Message": "stub", "eventId": o.EventID, "orderId": o.ID, "userId": o.UserID}
		if typ != presso.ValidatorNewOrder {
			detail["orderNumber"], detail["state"], detail["order"] = o.Number, o.State, o
		}
		s.seq++
		data, _ := json.Marshal(map[string]any{"type": typ, "detail": detail})
		msg := fmt.Appendf(nil, "id: %d\ndata: %s\n\n", s.seq, data)
		for sub := range s.subs {
			if sub.bar == o.EventID || (sub.user != "" && sub.user == o.UserID && typ != presso.ValidatorNewOrder) {
				select {
				case sub.ch <- msg:
				default: // a stream that fell behind misses it, as presso would drop it
				}
			}
		}
	}
}

func (s *stub) stream(w http.ResponseWriter, r *http.Request, sub *stubSub) {
	sub.ch = make(chan []byte, 4096)
	s.mu.Lock()
	s.subs[sub] = true
	var orders []*presso.Order
	for _, o := range s.orders {
		if o.EventID == sub.bar || o.UserID == sub.user {
			orders = append(orders, o)
		}
	}
	snap, _ := json.Marshal(map[string]any{"type": "snapshot", "detail": map[string]any{"orders": orders}})
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.subs, sub); s.mu.Unlock() }()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "retry: 2000\n\ndata: %s\n\n", snap)
	rc := http.NewResponseController(w)
	rc.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case m := <-sub.ch:
			w.Write(m)
			rc.Flush()
		}
	}
}

// TestLoadStub runs the load generator against the stub and counts what
// it asked: one board stream per bar for all its robot baristas (plus the
// --screens), customers' own streams and menus only for the watching
// share, the QR code read once, and no order made twice.
//
// With PRESSO_LOAD_STUB_ADDR set it serves the stub there until killed
// instead, for scripts/load-gen-cost.sh to measure the generator alone.
func TestLoadStub(t *testing.T) {
	if addr := os.Getenv("PRESSO_LOAD_STUB_ADDR"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("stub serving on %s", ln.Addr())
		t.Fatal(http.Serve(ln, newStub().handler()))
	}
	s := newStub()
	srv := httptest.NewServer(s.handler())
	defer srv.Close()
	var out bytes.Buffer
	err := Run(t.Context(), []string{"--url", srv.URL, "--setup", "--customers", "40", "--rate", "200", "--watch-rate", "50",
		"--baristas", "3", "--barista-think", "1ms", "--cancel-ratio", "0", "--screens", "2", "--server-pid", fmt.Sprint(os.Getpid())},
		func(string) string { return "" }, &out)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	text := out.String()
	containsAll(t, "output", text,
		"orders: started=40 completed=40 cancelled=0 timed_out=0 unfinished=0 refused=0 sign_in_failed=0 customers=40\n",
		"robot baristas: 0 makes lost to another robot (409, expected); SSE: 0 reconnects, 0 ends learnt only by asking\n",
		"sampled: complete → customer sees ready is timed on the 10 of 40 customers who watched their own stream; 30 heard of their order's end from the board stream\n",
		"errors: none\n",
	)
	for _, re := range []string{
		`(?m)^  complete → customer sees ready +10 `,
		`(?m)^  scan → menu +10 `,
		`(?m)^  submit → number +40 `,
		`(?m)^cpu: load_ms_per_order=[0-9.]+ .* finished=40 window=`,
		`(?m)^server: pid=\d+ cpu_ms_per_order=[0-9.]+ .* rss_start_mb=[0-9.]+ rss_peak_mb=[0-9.]+$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("output does not match %s:\n%s", re, text)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]int{
		"POST /api/staff/session":        1 + 3, // the admin and each robot barista
		"POST /api/customer/session":     40,
		"GET /api/events/{bar}":          1 + 10, // the set-up, then each watching customer's menu
		"PATCH /api/events/{bar}":        1,
		"GET /api/events/{bar}/qr":       1,
		"GET /api/events/{bar}/stream":   1 + 2, // the shared board and the two screens
		"GET /api/me/stream":             10,
		"POST /api/events/{bar}/orders":  40,
		"PUT /api/orders/{id}/drink":     40,
		"POST /api/orders/{id}/{action}": 80, // one make and one complete each
	}
	for route, n := range want {
		if s.calls[route] != n {
			t.Errorf("%s: %d calls, want %d", route, s.calls[route], n)
		}
	}
	if len(s.calls) != len(want) {
		t.Errorf("calls %v, want only %v", s.calls, want)
	}
}
