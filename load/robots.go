package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"presso"
	"presso/client"
)

// robotPassword is the robot baristas' password; the load command creates
// their accounts with it when they do not exist.
const robotPassword = "robot-barista-load"

// drainSlack is added to the bars' longest timeout for the default
// --drain: time for the sweeper to fire and the event to arrive.
const drainSlack = 10 * time.Second

// runner is one load run.
type runner struct {
	next    atomic.Int64 // which replica the next robot uses
	o       options
	out     io.Writer
	tr      *http.Transport
	admin   *client.Client
	stats   *stats
	bars    map[string]*presso.Bar
	runID   string
	started time.Time
}

func newRunner(o options, out io.Writer) *runner {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     30 * time.Second,
	}
	return &runner{o: o, out: out, tr: tr, stats: newStats(), bars: map[string]*presso.Bar{},
		runID: presso.RandomString(6, "abcdefghijkmnopqrstuvwxyz23456789")}
}

// client returns a new robot's client, on the next replica in turn.
func (r *runner) client() *client.Client {
	return client.New(r.o.urls[int(r.next.Add(1)-1)%len(r.o.urls)], r.tr)
}

// follow opens an SSE path and, once connected, follows it in the
// background until ctx ends, resuming with Last-Event-ID whenever the
// server closes it, as a browser would. The first connection's error is
// returned.
func (r *runner) follow(ctx context.Context, c *client.Client, path string, handle func(client.Message)) error {
	s, err := c.Open(ctx, path, "")
	if err != nil {
		return err
	}
	go s.Follow(ctx, handle, func() { r.stats.add(func(c *counts) { c.reconnects++ }) })
	return nil
}

// run is the whole run: set up, baristas, arrivals, drain, summary, check.
func (r *runner) run(ctx context.Context) error {
	defer r.tr.CloseIdleConnections()
	if err := r.prepare(ctx); err != nil {
		return err
	}

	bctx, stopBaristas := context.WithCancel(ctx)
	defer stopBaristas()
	var baristas sync.WaitGroup
	for _, id := range r.o.bars {
		for n := 1; n <= r.o.baristas; n++ {
			b, err := r.newBarista(bctx, id, n)
			if err != nil {
				return err
			}
			baristas.Go(func() { b.run(bctx) })
		}
	}

	fmt.Fprintf(r.out, "presso load: %s against %s, bars %s, %d robot baristas per bar\n",
		r.plan(), strings.Join(r.o.urls, ", "), strings.Join(r.o.bars, ","), r.o.baristas)
	pctx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	r.started = time.Now()
	go func() { r.progress(pctx); close(progressDone) }()

	cctx, stopCustomers := context.WithCancel(ctx)
	defer stopCustomers()
	var customers sync.WaitGroup
	r.arrive(ctx, cctx, &customers)
	arrivals := time.Since(r.started)
	drain := r.drainLimit()
	c, _ := r.stats.snapshot()
	if ctx.Err() == nil {
		fmt.Fprintf(r.out, "arrivals done: waiting up to %s for %d orders in flight\n", drain.Round(time.Second), c.inFlight())
	}
	timer := time.AfterFunc(drain, stopCustomers)
	customers.Wait()
	timer.Stop()
	stopBaristas()
	baristas.Wait()
	stopProgress()
	<-progressDone

	r.stats.writeSummary(r.out, arrivals, time.Since(r.started))
	if r.o.db == "" {
		return nil
	}
	cctx2, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	rep, err := Check(cctx2, r.o.db)
	if err != nil {
		return fmt.Errorf("invariant check: %w", err)
	}
	rep.write(r.out)
	if len(rep.Violations) > 0 {
		return fmt.Errorf("invariant check: %d violations", len(rep.Violations))
	}
	return nil
}

func (r *runner) plan() string {
	if r.o.demo {
		return fmt.Sprintf("demo: a customer every ~%.0fs, baristas %s ±50%% per order, until interrupted", 1/r.o.rate, r.o.think)
	}
	return fmt.Sprintf("%d customers at %.1f/s for at most %s", r.o.customers, r.o.rate, r.o.duration)
}

// prepare signs the admin in and loads (and with --setup, opens up) each bar.
func (r *runner) prepare(ctx context.Context) error {
	r.admin = r.client()
	var me presso.Identity
	if err := r.admin.Call(ctx, "POST", "/api/staff/session", map[string]string{"username": r.o.admin, "password": r.o.adminPassword}, &me); err != nil {
		if client.StatusOf(err) == 0 {
			return fmt.Errorf("cannot reach %s: %w", r.o.url, err)
		}
		return fmt.Errorf("sign in as %q (--admin, --admin-password): %w", r.o.admin, err)
	}
	if r.o.setup && me.Role != presso.RoleAdmin {
		return fmt.Errorf("--setup needs an admin account; %q is a %s", r.o.admin, me.Role)
	}
	for _, id := range r.o.bars {
		var b presso.Bar
		if err := r.admin.Call(ctx, "GET", "/api/events/"+id, nil, &b); err != nil {
			return fmt.Errorf("bar %q: %w", id, err)
		}
		if r.o.setup {
			limits := b.Limits
			limits.DrinksPerCode, limits.MaxQueue, limits.MaxPerCustomer = 10000, 100000, 1000
			if err := r.admin.Call(ctx, "PATCH", "/api/events/"+id, map[string]any{"limits": limits}, &b); err != nil {
				return fmt.Errorf("--setup bar %q: %w", id, err)
			}
		}
		if !b.Open {
			fmt.Fprintf(r.out, "note: bar %s is closed; its customers will get 423\n", id)
		}
		r.bars[id] = &b
	}
	return nil
}

// drainLimit is how long to wait for orders in flight after the arrivals.
func (r *runner) drainLimit() time.Duration {
	if r.o.drain > 0 {
		return r.o.drain
	}
	longest := time.Duration(0)
	for _, b := range r.bars {
		longest = max(longest, b.CustomerTimeout(), b.BaristaTimeout())
	}
	if r.o.chooseDelay > 0 {
		longest += 2 * r.o.chooseDelay
	}
	return longest + drainSlack
}

// arrive sends the customers: one every 1/rate seconds (jittered ±50% in
// --demo) until --customers have come or --duration is over.
func (r *runner) arrive(ctx, cctx context.Context, wg *sync.WaitGroup) {
	gap := time.Duration(float64(time.Second) / r.o.rate)
	next := r.started
	for n := 1; n <= r.o.customers; n++ {
		if next.Sub(r.started) >= r.o.duration {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		bar := r.bars[r.o.bars[(n-1)%len(r.o.bars)]]
		never := rand.Float64() < r.o.neverChoose
		r.stats.add(func(c *counts) { c.customers++ })
		wg.Go(func() { r.customer(cctx, n, bar, never) })
		if r.o.demo {
			next = next.Add(jitter(gap))
		} else {
			next = next.Add(gap)
		}
	}
}

// progress prints one line a second until ctx ends.
func (r *runner) progress(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastAt := 0, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c, errs := r.stats.snapshot()
			rate := float64(c.finished()-last) / now.Sub(lastAt).Seconds()
			last, lastAt = c.finished(), now
			fmt.Fprintln(r.out, progressLine(now.Sub(r.started), c, errs, rate))
		}
	}
}

// jitter is d ±50%, uniformly.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// sleep waits d or until ctx ends, reporting whether the whole d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ---- robot customers ----

// Routes as errors are counted.
const (
	routeSignIn = "POST /api/customer/session"
	routeCode   = "POST /api/customer/code"
	routeQR     = "GET /api/events/{bar}/qr"
	routeScan   = "POST /api/events/{bar}/orders"
	routeMenu   = "GET /api/events/{bar}"
	routeDrink  = "PUT /api/orders/{id}/drink"
	routeMe     = "GET /api/me/stream"
	routeOrder  = "GET /api/orders/{id}"
	routeBoard  = "GET /api/events/{bar}/stream"
	routeMake   = "POST /api/orders/{id}/make"
	routeFinish = "POST /api/orders/{id}/"
)

// customer is one robot customer, from sign-in to seeing its order end.
func (r *runner) customer(ctx context.Context, n int, bar *presso.Bar, never bool) {
	c := r.client()
	if err := r.signIn(ctx, c, bar, n); err != nil {
		r.stats.add(func(c *counts) { c.signInFailed++ })
		return
	}
	o, menu, err := r.scan(ctx, c, bar)
	if err != nil {
		r.stats.add(func(c *counts) { c.refused++ })
		return
	}
	r.stats.add(func(c *counts) { c.started++ })

	// Watch our own channel before choosing, as the order app does.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	events := make(chan client.Message, 64)
	err = r.follow(sctx, c, "/api/me/stream", func(m client.Message) {
		select {
		case events <- m:
		case <-sctx.Done():
		}
	})
	if err != nil && ctx.Err() == nil {
		r.stats.fail(routeMe, err)
	}

	if !never && sleep(ctx, jitter(r.o.chooseDelay)) {
		r.choose(ctx, c, o.ID, menu)
	}

	for {
		select {
		case m := <-events:
			if state, ok := ending(m, o.ID); ok {
				r.stats.ended(o.ID, state, time.Now(), true)
				if at, ok := finishedAt(m); ok && state == presso.StateCompleted {
					r.stats.ready(o.ID, at)
				}
				return
			}
		case <-ctx.Done():
			r.lastLook(ctx, c, o.ID)
			return
		}
	}
}

// signIn signs a customer in: by name, or by email code for a bar in code
// mode (which needs a --dev server, whose answers carry the code).
func (r *runner) signIn(ctx context.Context, c *client.Client, bar *presso.Bar, n int) error {
	if bar.SignInMode == "name" {
		err := c.Call(ctx, "POST", "/api/customer/session", map[string]string{"eventId": bar.ID, "name": fmt.Sprintf("Robot %d", n)}, nil)
		if err != nil && ctx.Err() == nil {
			r.stats.fail(routeSignIn, err)
		}
		return err
	}
	email := fmt.Sprintf("robot-%s-%d@example.com", r.runID, n)
	var sent struct {
		DevCode string `json:"devCode"`
	}
	if err := c.Call(ctx, "POST", "/api/customer/code", map[string]string{"email": email}, &sent); err != nil {
		r.stats.fail(routeCode, err)
		return err
	}
	if sent.DevCode == "" {
		err := errors.New("bar signs in by email code and the server sent no devCode (not a --dev server)")
		r.stats.fail(routeCode, err)
		return err
	}
	err := c.Call(ctx, "POST", "/api/customer/session", map[string]string{"email": email, "code": sent.DevCode}, nil)
	if err != nil {
		r.stats.fail(routeSignIn, err)
	}
	return err
}

// scan reads the bar's current code (as staff: the display), redeems it and
// loads the menu. A sold-out code is tried again when the next window
// opens, if that is within the run; an expired one at once.
func (r *runner) scan(ctx context.Context, c *client.Client, bar *presso.Bar) (*presso.Order, *presso.Bar, error) {
	for attempt := 1; ; attempt++ {
		var qr struct{ Code string }
		if err := r.admin.Call(ctx, "GET", "/api/events/"+bar.ID+"/qr", nil, &qr); err != nil {
			r.stats.fail(routeQR, err)
			return nil, nil, err
		}
		start := time.Now()
		var o presso.Order
		err := c.Call(ctx, "POST", "/api/events/"+bar.ID+"/orders", map[string]string{"code": qr.Code}, &o)
		if err == nil {
			menu := bar
			var b presso.Bar
			if err := c.Call(ctx, "GET", "/api/events/"+bar.ID, nil, &b); err != nil {
				r.stats.fail(routeMenu, err)
			} else {
				menu = &b
				r.stats.sample(&r.stats.scanMenu, time.Since(start))
			}
			return &o, menu, nil
		}
		if ctx.Err() != nil {
			return nil, nil, err
		}
		r.stats.fail(routeScan, err)
		var e *client.Error
		if !errors.As(err, &e) || attempt >= 3 {
			return nil, nil, err
		}
		switch {
		case e.Status == http.StatusConflict && e.Code == presso.CodeSoldOut && !e.RetryAt.IsZero() &&
			e.RetryAt.Before(r.started.Add(r.o.duration)):
			if !sleep(ctx, time.Until(e.RetryAt)+10*time.Millisecond) {
				return nil, nil, err
			}
		case e.Status == http.StatusGone:
		default:
			return nil, nil, err
		}
	}
}

// choose picks a random available drink and random options, and submits
// them; the answer carries the order's number.
func (r *runner) choose(ctx context.Context, c *client.Client, orderID string, menu *presso.Bar) {
	var items []presso.MenuItem
	for _, m := range menu.Menu {
		if m.Available {
			items = append(items, m)
		}
	}
	if len(items) == 0 {
		r.stats.fail(routeDrink, errors.New("no drink available on the menu"))
		return
	}
	item := items[rand.IntN(len(items))]
	mods := map[string]string{}
	for _, g := range item.Modifiers {
		if len(g.Options) > 0 {
			mods[g.ID] = g.Options[rand.IntN(len(g.Options))].ID
		}
	}
	start := time.Now()
	var o presso.Order
	err := c.Call(ctx, "PUT", "/api/orders/"+orderID+"/drink", map[string]any{"drink": item.ID, "modifiers": mods}, &o)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			r.stats.fail(routeDrink, err)
		}
	case o.Number <= 0:
		r.stats.fail(routeDrink, fmt.Errorf("200 without a number (state %s)", o.State))
	default:
		r.stats.sample(&r.stats.submitNumber, time.Since(start))
		r.stats.queued(&o)
	}
}

// lastLook asks for the order once the run stops waiting: if it ended, the
// customer never heard of it over SSE; if not, it is unfinished.
func (r *runner) lastLook(ctx context.Context, c *client.Client, orderID string) {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var o presso.Order
	if err := c.Call(gctx, "GET", "/api/orders/"+orderID, nil, &o); err != nil {
		r.stats.fail(routeOrder, err)
		r.stats.add(func(c *counts) { c.unfinished++ })
		return
	}
	if !o.State.Terminal() {
		r.stats.add(func(c *counts) { c.unfinished++ })
		return
	}
	r.stats.ended(orderID, o.State, time.Now(), false)
	if o.State == presso.StateCompleted && o.FinishedAt != nil {
		r.stats.ready(orderID, *o.FinishedAt)
	}
}

// ending reports whether a message on the customer's channel tells that
// its order ended, and how: one of the three terminal events, or a
// snapshot (after a reconnection that could not resume) showing it ended.
func ending(m client.Message, orderID string) (presso.State, bool) {
	var state presso.State
	switch m.Type {
	case presso.OrderManagerOrderCompleted:
		state = presso.StateCompleted
	case presso.OrderManagerOrderCancelled:
		state = presso.StateCancelled
	case presso.OrderProcessorOrderTimeOut:
		state = presso.StateTimedOut
	case "snapshot":
		var snap struct{ Orders []presso.Order }
		json.Unmarshal(m.Detail, &snap)
		for _, o := range snap.Orders {
			if o.ID == orderID && o.State.Terminal() {
				return o.State, true
			}
		}
		return "", false
	default:
		return "", false
	}
	var d struct {
		OrderID string `json:"orderId"`
	}
	json.Unmarshal(m.Detail, &d)
	if d.OrderID != orderID {
		return "", false
	}
	return state, true
}

// ---- robot baristas ----

// barista is one robot barista: a staff client watching the bar's board
// and working its queue.
type barista struct {
	r     *runner
	c     *client.Client
	bar   string
	peers int // robot baristas at the bar

	mu     sync.Mutex
	queued map[string]int64 // order id → number, as the board shows it
	wake   chan struct{}
}

// robotName is robot barista n's username at a bar, within the 32
// characters a username may have.
func robotName(bar string, n int) string {
	name := fmt.Sprintf("robot-barista-%d-%s", n, bar)
	if len(name) > 32 {
		sum := sha256.Sum256([]byte(bar))
		name = fmt.Sprintf("robot-barista-%d-%s", n, hex.EncodeToString(sum[:4]))
	}
	return name
}

// newBarista signs robot barista n of a bar in, creating its account
// through the admin if it does not exist, and opens its board stream.
func (r *runner) newBarista(ctx context.Context, bar string, n int) (*barista, error) {
	name := robotName(bar, n)
	b := &barista{r: r, c: r.client(), bar: bar, peers: r.o.baristas, queued: map[string]int64{}, wake: make(chan struct{}, 1)}
	creds := map[string]string{"username": name, "password": robotPassword}
	var me presso.Identity
	err := b.c.Call(ctx, "POST", "/api/staff/session", creds, &me)
	if client.StatusOf(err) == http.StatusUnauthorized {
		err = r.admin.Call(ctx, "POST", "/api/staff", map[string]string{"username": name, "password": robotPassword, "role": presso.RoleBarista, "eventId": bar}, nil)
		if err != nil && client.StatusOf(err) != http.StatusConflict {
			return nil, fmt.Errorf("create robot barista %s (needs an admin): %w", name, err)
		}
		// A conflict may be another load run creating the same robot at the
		// same moment; only a failed sign-in after it is a real clash.
		err = b.c.Call(ctx, "POST", "/api/staff/session", creds, &me)
		if client.StatusOf(err) == http.StatusUnauthorized {
			return nil, fmt.Errorf("robot barista %s exists with another password: remove it or use another server", name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sign in robot barista %s: %w", name, err)
	}
	if !me.BaristaOf(bar) {
		return nil, fmt.Errorf("robot barista %s is not a barista of %s (role %s, bar %q)", name, bar, me.Role, me.EventID)
	}
	err = r.follow(ctx, b.c, "/api/events/"+bar+"/stream", b.see)
	if err != nil {
		return nil, fmt.Errorf("robot barista %s: board stream: %w", name, err)
	}
	return b, nil
}

// see keeps the barista's view of the queue from the board's messages.
// Every order event carries the whole order, so each one upserts it.
func (b *barista) see(m client.Message) {
	b.mu.Lock()
	if m.Type == "snapshot" {
		var snap struct{ Orders []presso.Order }
		json.Unmarshal(m.Detail, &snap)
		clear(b.queued)
		for _, o := range snap.Orders {
			if o.State == presso.StateQueued {
				b.queued[o.ID] = o.Number
			}
		}
	} else {
		var d struct{ Order *presso.Order }
		json.Unmarshal(m.Detail, &d)
		if o := d.Order; o != nil && o.EventID == b.bar {
			if o.State == presso.StateQueued {
				b.queued[o.ID] = o.Number
			} else {
				delete(b.queued, o.ID)
			}
		}
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// pick takes one of the lowest-numbered queued orders off the barista's
// view: at random among as many as there are robots, so they do not all
// reach for the same one.
func (b *barista) pick() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queued) == 0 {
		return "", false
	}
	ids := make([]string, 0, len(b.queued))
	for id := range b.queued {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y string) int { return int(b.queued[x] - b.queued[y]) })
	id := ids[rand.IntN(min(len(ids), max(b.peers, 1)))]
	delete(b.queued, id)
	return id, true
}

func (b *barista) run(ctx context.Context) {
	for {
		id, ok := b.pick()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
			}
			continue
		}
		b.work(ctx, id)
	}
}

// work makes one order, thinks, then completes or cancels it.
func (b *barista) work(ctx context.Context, id string) {
	r := b.r
	err := b.c.Call(ctx, "POST", "/api/orders/"+id+"/make", nil, nil)
	switch {
	case client.StatusOf(err) == http.StatusConflict:
		r.stats.add(func(c *counts) { c.makeLost++ }) // another robot got it, or it ended
		return
	case err != nil:
		if ctx.Err() == nil {
			r.stats.fail(routeMake, err)
		}
		return
	}
	if !sleep(ctx, jitter(r.o.think)) {
		return
	}
	action, start := "complete", time.Now()
	if rand.Float64() < r.o.cancelRatio {
		action = "cancel"
	} else {
		r.stats.sentComplete(id, start)
	}
	err = b.c.Call(ctx, "POST", "/api/orders/"+id+"/"+action, nil, nil)
	switch {
	case err != nil && ctx.Err() == nil:
		r.stats.fail(routeFinish+action, err)
	case err == nil && action == "complete":
		r.stats.sample(&r.stats.completeCall, time.Since(start))
	}
}
