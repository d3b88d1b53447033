package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
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
	bars    map[string]*bar
	runID   string
	started time.Time
}

// bar is one bar of the run: its settings, its shared board, and the QR
// code its display shows now.
type bar struct {
	*presso.Bar
	board *board
	menu  *menuView // as read at the start, for customers who do not load it

	mu      sync.Mutex // held while the code is read, so it is read once
	code    string
	codeEnd time.Time // when its window ends
}

func newRunner(o options, out io.Writer) *runner {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true, // presso does not compress; no Accept-Encoding to add
	}
	return &runner{o: o, out: out, tr: tr, stats: newStats(), bars: map[string]*bar{},
		runID: presso.RandomString(6, "abcdefghijkmnopqrstuvwxyz23456789")}
}

// client returns a new robot's client, on the next replica in turn.
func (r *runner) client() *client.Client {
	return client.New(r.o.urls[int(r.next.Add(1)-1)%len(r.o.urls)], r.tr)
}

// run is the whole run: set up, baristas, arrivals, drain, summary, check.
func (r *runner) run(ctx context.Context) error {
	defer r.tr.CloseIdleConnections()
	// The generator's heap is small and churns fast: collect it less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	if r.o.cpuProfile != "" {
		f, err := os.Create(r.o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := r.prepare(ctx); err != nil {
		return err
	}

	bctx, stopBaristas := context.WithCancel(ctx)
	defer stopBaristas()
	var baristas sync.WaitGroup
	if err := r.startBars(bctx, &baristas); err != nil {
		return err
	}

	fmt.Fprintf(r.out, "presso load: %s against %s, bars %s, %d robot baristas per bar\n",
		r.plan(), strings.Join(r.o.urls, ", "), strings.Join(r.o.bars, ","), r.o.baristas)
	pctx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	r.started = time.Now()
	m := startMeter(r.o.serverPID)
	go func() { r.progress(pctx); close(progressDone) }()

	cctx, stopCustomers := context.WithCancel(ctx)
	defer stopCustomers()
	var customers sync.WaitGroup
	r.arrive(ctx, cctx, &customers)
	arrivals := time.Since(r.started)
	c, _ := r.stats.snapshot()
	r.stats.add(func(n *counts) { n.finishedInArrivals = c.finished() })
	drain := r.drainLimit()
	if ctx.Err() == nil {
		fmt.Fprintf(r.out, "arrivals done: waiting up to %s for %d orders in flight\n", drain.Round(time.Second), c.inFlight())
	}
	timer := time.AfterFunc(drain, stopCustomers)
	customers.Wait()
	timer.Stop()
	stopBaristas()
	baristas.Wait()
	cost := m.end()
	stopProgress()
	<-progressDone

	r.stats.writeSummary(r.out, arrivals, time.Since(r.started))
	r.stats.writeCosts(r.out, cost)
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

// startBars opens each bar's board stream and its other screens, and
// starts its robot baristas, until ctx ends.
func (r *runner) startBars(ctx context.Context, wg *sync.WaitGroup) error {
	for _, id := range r.o.bars {
		b := r.bars[id]
		b.board = newBoard(id)
		if err := b.board.open(ctx, r, r.admin); err != nil {
			return fmt.Errorf("bar %s: board stream: %w", id, err)
		}
		for range r.o.screens {
			wg.Go(func() { screen(ctx, r.admin, id) })
		}
		for n := 1; n <= r.o.baristas; n++ {
			robot, err := r.newBarista(ctx, b, n)
			if err != nil {
				return err
			}
			wg.Go(func() { robot.run(ctx) })
		}
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
	var template json.RawMessage // the last bar read, for --setup to copy
	for _, id := range r.o.bars {
		var raw json.RawMessage
		err := r.admin.Call(ctx, "GET", "/api/events/"+id, nil, &raw)
		if client.StatusOf(err) == http.StatusNotFound && r.o.setup && template != nil {
			raw, err = r.createBar(ctx, id, template)
		}
		if err != nil {
			return fmt.Errorf("bar %q: %w", id, err)
		}
		template = raw
		var b presso.Bar
		var menu menuView
		if err := errors.Join(json.Unmarshal(raw, &b), json.Unmarshal(raw, &menu)); err != nil {
			return fmt.Errorf("bar %q: %w", id, err)
		}
		if r.o.setup {
			if err := r.openUp(ctx, &b); err != nil {
				return err
			}
		}
		if !b.Open {
			fmt.Fprintf(r.out, "note: bar %s is closed; its customers will get 423\n", id)
		}
		r.bars[id] = &bar{Bar: &b, menu: &menu}
	}
	return nil
}

// createBar creates a bar for --setup as a copy of another's settings, as
// the server gave them (so each server version gets back the fields it
// knows).
func (r *runner) createBar(ctx context.Context, id string, template json.RawMessage) (json.RawMessage, error) {
	var fields map[string]any
	if err := json.Unmarshal(template, &fields); err != nil {
		return nil, err
	}
	fields["id"], fields["name"] = id, "Load "+id
	var raw json.RawMessage
	if err := r.admin.Call(ctx, "POST", "/api/events", fields, &raw); err != nil {
		return nil, fmt.Errorf("--setup: create it: %w", err)
	}
	fmt.Fprintf(r.out, "note: created bar %s as a copy of the one before it\n", id)
	return raw, nil
}

// maxCodeUses is the most uses a QR code may have (config's limit).
const maxCodeUses = 10000

// openUp raises a bar's limits so they do not throttle the load: a code's
// uses, the queue, orders per customer, and, where the rate would use a
// code up before its window ends, a shorter window.
func (r *runner) openUp(ctx context.Context, b *presso.Bar) error {
	limits := b.Limits
	limits.DrinksPerCode, limits.MaxQueue, limits.MaxPerCustomer = maxCodeUses, 100000, 1000
	if perBar := r.o.rate / float64(len(r.o.bars)); perBar*float64(limits.WindowSeconds) > 0.9*maxCodeUses {
		limits.WindowSeconds = max(10, int(math.Floor(0.9*maxCodeUses/perBar)))
		fmt.Fprintf(r.out, "note: bar %s: QR window %ds, so one code's %d uses last it at %.0f/s\n", b.ID, limits.WindowSeconds, maxCodeUses, perBar)
	}
	if err := r.admin.Call(ctx, "PATCH", "/api/events/"+b.ID, map[string]any{"limits": limits}, b); err != nil {
		return fmt.Errorf("--setup bar %q: %w", b.ID, err)
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
	share := r.watchShare()
	next := r.started
	t := time.NewTimer(0)
	defer t.Stop()
	for n := 1; n <= r.o.customers; n++ {
		if next.Sub(r.started) >= r.o.duration {
			return
		}
		if wait := time.Until(next); wait > 0 {
			t.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		b := r.bars[r.o.bars[(n-1)%len(r.o.bars)]]
		never := rand.Float64() < r.o.neverChoose
		watch := watches(n, share)
		r.stats.add(func(c *counts) {
			c.customers++
			if watch {
				c.watchers++
			}
		})
		wg.Go(func() { r.customer(cctx, n, b, never, watch) })
		if r.o.demo {
			next = next.Add(jitter(gap))
		} else {
			next = next.Add(gap)
		}
	}
}

// watchShare is the share of customers who watch their own stream: all
// of them up to --watch-rate arrivals a second, that many a second above.
func (r *runner) watchShare() float64 {
	return min(1, r.o.watchRate/r.o.rate)
}

// watches reports whether customer n (from 1) is one of the share who
// watch their own stream: spread evenly, exactly share·n of the first n.
func watches(n int, share float64) bool {
	return math.Floor(float64(n)*share+1e-9) > math.Floor(float64(n-1)*share+1e-9)
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
	if d <= 0 {
		return ctx.Err() == nil
	}
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

// customer is one robot customer, from sign-in to hearing its order end:
// on its own stream, as the order app does, if it watches (see
// --watch-rate); otherwise from the bar's board stream.
func (r *runner) customer(ctx context.Context, n int, b *bar, never, watch bool) {
	// Its own context, so its calls' timeouts are children of this one
	// rather than all of the run's, whose lock every customer would share.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	c := r.client()
	if err := r.signIn(ctx, c, b, n); err != nil {
		r.stats.add(func(c *counts) { c.signInFailed++ })
		return
	}
	orderID, menu, err := r.scan(ctx, c, b, watch)
	if err != nil {
		r.stats.add(func(c *counts) { c.refused++ })
		return
	}
	r.stats.add(func(c *counts) { c.started++ })

	// Listen before choosing, as the order app does.
	var heard <-chan end
	how := heardOnPhone
	if watch {
		heard = r.watch(ctx, c, orderID)
	} else {
		var cancel func()
		heard, cancel = b.board.wait(orderID)
		defer cancel()
		how = heardOnBoard
	}

	if !never && sleep(ctx, jitter(r.o.chooseDelay)) {
		r.choose(ctx, c, orderID, menu)
	}

	select {
	case e := <-heard:
		r.stats.ended(orderID, e.state, e.at, how)
		if e.state == presso.StateCompleted && e.finishedAt != nil {
			r.stats.ready(orderID, *e.finishedAt)
		}
	case <-ctx.Done():
		r.lastLook(ctx, c, orderID)
	}
}

// watch opens the customer's own stream and follows it until ctx ends;
// the channel tells the order's end. If the stream cannot open, nothing
// ever comes, and the customer asks at the end of the run.
func (r *runner) watch(ctx context.Context, c *client.Client, orderID string) <-chan end {
	heard := make(chan end, 1)
	s, err := c.Open(ctx, "/api/me/stream", "")
	if err != nil {
		if ctx.Err() == nil {
			r.stats.fail(routeMe, err)
		}
		return heard
	}
	told := false
	go s.FollowData(ctx, func(data []byte) {
		if told || !holdsAny(data, endTypes) {
			return
		}
		var e event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		if how, ok := ending(&e, orderID); ok {
			how.at, told = time.Now(), true
			heard <- how
		}
	}, func() { r.stats.add(func(c *counts) { c.reconnects++ }) })
	return heard
}

// endTypes are the quoted types of the messages that can tell an order's
// end: the terminal events and a snapshot.
var endTypes = [][]byte{
	[]byte(`"` + presso.OrderManagerOrderCompleted + `"`),
	[]byte(`"` + presso.OrderManagerOrderCancelled + `"`),
	[]byte(`"` + presso.OrderProcessorOrderTimeOut + `"`),
	[]byte(`"snapshot"`),
}

// holdsAny reports whether a message's data holds one of the types: a
// stream carries every step of every order, and most steps need no
// decoding. A message that merely mentions a type is decoded for nothing.
func holdsAny(data []byte, types [][]byte) bool {
	for _, t := range types {
		if bytes.Contains(data, t) {
			return true
		}
	}
	return false
}

// signIn signs a customer in: by name, or by email code for a bar in code
// mode (which needs a --dev server, whose answers carry the code).
func (r *runner) signIn(ctx context.Context, c *client.Client, b *bar, n int) error {
	if b.SignInMode == "name" {
		err := c.Call(ctx, "POST", "/api/customer/session", map[string]string{"eventId": b.ID, "name": fmt.Sprintf("Robot %d", n)}, nil)
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

// qrCode is the code the bar's display shows now, as staff read it: read
// again only once its window is over or a scan found it stale (used up or
// expired), so customers scan the one code on the screen.
func (r *runner) qrCode(ctx context.Context, b *bar, stale string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.code != "" && b.code != stale && time.Now().Before(b.codeEnd) {
		return b.code, nil
	}
	var qr struct {
		Code      string
		WindowEnd time.Time
	}
	if err := r.admin.Call(ctx, "GET", "/api/events/"+b.ID+"/qr", nil, &qr); err != nil {
		return "", err
	}
	b.code, b.codeEnd = qr.Code, qr.WindowEnd
	return b.code, nil
}

// menuView is the part of a bar's menu a customer reads to choose.
type menuView struct {
	Menu []struct {
		ID        string `json:"id"`
		Available bool   `json:"available"`
		Modifiers []struct {
			ID      string `json:"id"`
			Options []struct {
				ID string `json:"id"`
			} `json:"options"`
		} `json:"modifiers"`
	} `json:"menu"`
}

// scan redeems the bar's current code and, for a customer who watches its
// own stream as a phone does, loads the menu; the others choose from the
// menu read at the start. A sold-out code is tried again when the next
// window opens, if that is within the run; an expired one at once.
func (r *runner) scan(ctx context.Context, c *client.Client, b *bar, phone bool) (string, *menuView, error) {
	stale := ""
	for attempt := 1; ; attempt++ {
		code, err := r.qrCode(ctx, b, stale)
		if err != nil {
			r.stats.fail(routeQR, err)
			return "", nil, err
		}
		start := time.Now()
		var o struct{ ID string }
		err = c.Call(ctx, "POST", "/api/events/"+b.ID+"/orders", map[string]string{"code": code}, &o)
		if err == nil && !phone {
			return o.ID, b.menu, nil
		}
		if err == nil {
			var menu menuView
			if err := c.Call(ctx, "GET", "/api/events/"+b.ID, nil, &menu); err != nil {
				r.stats.fail(routeMenu, err)
				return o.ID, b.menu, nil
			}
			r.stats.sample(&r.stats.scanMenu, time.Since(start))
			return o.ID, &menu, nil
		}
		if ctx.Err() != nil {
			return "", nil, err
		}
		r.stats.fail(routeScan, err)
		var e *client.Error
		if !errors.As(err, &e) || attempt >= 3 {
			return "", nil, err
		}
		switch {
		case e.Status == http.StatusConflict && e.Code == presso.CodeSoldOut && !e.RetryAt.IsZero() &&
			e.RetryAt.Before(r.started.Add(r.o.duration)):
			if !sleep(ctx, time.Until(e.RetryAt)+10*time.Millisecond) {
				return "", nil, err
			}
		case e.Status == http.StatusGone:
		default:
			return "", nil, err
		}
		stale = code
	}
}

// choose picks a random available drink and random options, and submits
// them; the answer carries the order's number.
func (r *runner) choose(ctx context.Context, c *client.Client, orderID string, menu *menuView) {
	var items []int
	for i, m := range menu.Menu {
		if m.Available {
			items = append(items, i)
		}
	}
	if len(items) == 0 {
		r.stats.fail(routeDrink, errors.New("no drink available on the menu"))
		return
	}
	item := &menu.Menu[items[rand.IntN(len(items))]]
	mods := map[string]string{}
	for _, g := range item.Modifiers {
		if len(g.Options) > 0 {
			mods[g.ID] = g.Options[rand.IntN(len(g.Options))].ID
		}
	}
	start := time.Now()
	var o struct { // the part of the order the robots read
		Number           int64
		State            presso.State
		SubmittedAt      *time.Time
		EstimatedReadyAt *time.Time
	}
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
		r.stats.queued(&presso.Order{ID: orderID, SubmittedAt: o.SubmittedAt, EstimatedReadyAt: o.EstimatedReadyAt})
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
	r.stats.ended(orderID, o.State, time.Now(), heardByAsking)
	if o.State == presso.StateCompleted && o.FinishedAt != nil {
		r.stats.ready(orderID, *o.FinishedAt)
	}
}

// ---- robot baristas ----

// barista is one robot barista: a staff client working the bar's queue
// as the shared board shows it.
type barista struct {
	r     *runner
	c     *client.Client
	board *board
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
// through the admin if it does not exist.
func (r *runner) newBarista(ctx context.Context, b *bar, n int) (*barista, error) {
	name := robotName(b.ID, n)
	robot := &barista{r: r, c: r.client(), board: b.board}
	creds := map[string]string{"username": name, "password": robotPassword}
	var me presso.Identity
	err := robot.c.Call(ctx, "POST", "/api/staff/session", creds, &me)
	if client.StatusOf(err) == http.StatusUnauthorized {
		err = r.admin.Call(ctx, "POST", "/api/staff", map[string]string{"username": name, "password": robotPassword, "role": presso.RoleBarista, "eventId": b.ID}, nil)
		if err != nil && client.StatusOf(err) != http.StatusConflict {
			return nil, fmt.Errorf("create robot barista %s (needs an admin): %w", name, err)
		}
		// A conflict may be another load run creating the same robot at the
		// same moment; only a failed sign-in after it is a real clash.
		err = robot.c.Call(ctx, "POST", "/api/staff/session", creds, &me)
		if client.StatusOf(err) == http.StatusUnauthorized {
			return nil, fmt.Errorf("robot barista %s exists with another password: remove it or use another server", name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sign in robot barista %s: %w", name, err)
	}
	if !me.BaristaOf(b.ID) {
		return nil, fmt.Errorf("robot barista %s is not a barista of %s (role %s, bar %q)", name, b.ID, me.Role, me.EventID)
	}
	return robot, nil
}

func (b *barista) run(ctx context.Context) {
	for {
		id, ok := b.board.take(ctx)
		if !ok {
			return
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
		r.stats.add(func(c *counts) { c.makeLost++ }) // someone else got it, or it ended
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
