package main

// Browser end-to-end tests: the Display, the Barista board and the Order app
// in headless Chromium, against run on a free port with --dev. Each person
// gets a browser context of their own (their own cookies). Screenshots go to
// $PRESSO_ARTIFACTS, else <repo>/testdata-artifacts/browser. Without
// Chromium the tests skip, unless PRESSO_REQUIRE_ALL=1.
//
//	go test -race -count=1 -run Browser -v ./cmd/presso/

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"presso/validator"
)

// stepLimit is how soon after an action every page must show its effect.
const stepLimit = 2 * time.Second

// browser is one headless Chromium shared by the tabs of a test.
type browser struct {
	t     *testing.T
	ctx   context.Context // the first tab; it keeps the browser alive
	base  string          // the server's URL
	shots string          // where screenshots go
	axe   string          // the source of axe-core

	mu      sync.Mutex
	timings []timing
	a11y    []a11yResult
}

type timing struct {
	step, page, what string
	took             time.Duration
}

// newBrowser starts Chromium, or skips the test when there is none (fails
// under PRESSO_REQUIRE_ALL=1). Tabs load pages from base, set by the test
// once its server runs.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if requireAll() {
			t.Fatalf("PRESSO_REQUIRE_ALL=1 but no Chromium: %v (apt-get install -y chromium)", err)
		}
		t.Skip("no chromium on PATH (apt-get install -y chromium)")
	}
	axe, err := os.ReadFile(filepath.Join("testdata", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PRESSO_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join("..", "..", "testdata-artifacts", "browser")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // we run as root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser and binds it to ctx, so it must be
	// a context without a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, shots: shots, axe: string(axe)}
}

// tab is one page of one person.
type tab struct {
	b    *browser
	name string // "display", "barista", "customer", … for logs and file names
	ctx  context.Context

	mu         sync.Mutex
	exceptions []string // uncaught JavaScript errors
}

// person opens a tab in a new browser context (its own cookie jar) with a
// w×h viewport, as a phone when mobile.
func (b *browser) person(name string, w, h int64, mobile bool) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	return b.open(name, ctx, w, h, mobile)
}

// another opens a second tab of the same person (same cookies).
func (tb *tab) another(name string, w, h int64, mobile bool) *tab {
	tb.b.t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx)
	tb.b.t.Cleanup(cancel)
	return tb.b.open(name, ctx, w, h, mobile)
}

func (b *browser) open(name string, ctx context.Context, w, h int64, mobile bool) *tab {
	b.t.Helper()
	viewport := chromedp.EmulateViewport(w, h)
	if mobile {
		viewport = chromedp.EmulateViewport(w, h, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	// Not under a timeout: this first run opens the tab.
	if err := chromedp.Do(ctx, viewport); err != nil {
		b.t.Fatalf("opening the %s tab: %v", name, err)
	}
	tb := &tab{b: b, name: name, ctx: ctx}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			tb.mu.Lock()
			tb.exceptions = append(tb.exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber, msg))
			tb.mu.Unlock()
		}
	}()
	b.t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exceptions {
			b.t.Errorf("%s: uncaught JavaScript error: %s", name, e)
		}
	})
	return tb
}

// do runs actions on the tab, failing the test after 15 s.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.b.t.Fatalf("%s: %s: %v\npage text:\n%s", tb.name, what, err, tb.text())
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](tb *tab, what, js string) T {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.b.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
	return v
}

// text is the page's visible text, for failure messages.
func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return err.Error()
	}
	return s
}

// visibleText is the text of the element sel, or "" when it is missing.
func (tb *tab) visibleText(sel string) string {
	tb.b.t.Helper()
	return eval[string](tb, "reading "+sel, fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ''`, sel))
}

// shows is the expectation that the element sel is visible and its text
// contains want.
type shows struct {
	tab       *tab
	sel, want string
}

// waitFor polls (every 25 ms, for up to limit) until s holds.
func (s shows) waitFor(limit time.Duration) error {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility() && e.textContent.includes(%q); })()`, s.sel, s.want)
	ctx, cancel := context.WithTimeout(s.tab.ctx, limit+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	return err
}

func (s shows) String() string { return fmt.Sprintf("%s shows %q in %s", s.tab.name, s.want, s.sel) }

// wait waits up to 10 s for each expectation.
func (b *browser) wait(exps ...shows) {
	b.t.Helper()
	for _, e := range exps {
		if err := e.waitFor(10 * time.Second); err != nil {
			b.t.Fatalf("waiting until %s: %v\npage text:\n%s", e, err, e.tab.text())
		}
	}
}

// step runs act and then waits for every expectation, one goroutine per
// tab, timing each from the start of act. Each must hold within stepLimit;
// the test waits longer (10 s) only to report how late it was.
func (b *browser) step(name string, act func(), exps ...shows) {
	b.t.Helper()
	start := time.Now()
	act()
	byTab := map[*tab][]shows{}
	var order []*tab
	for _, e := range exps {
		if _, ok := byTab[e.tab]; !ok {
			order = append(order, e.tab)
		}
		byTab[e.tab] = append(byTab[e.tab], e)
	}
	type result struct {
		exp  shows
		took time.Duration
		err  error
	}
	results := make([][]result, len(order))
	var wg sync.WaitGroup
	for i, tb := range order {
		wg.Go(func() {
			for _, e := range byTab[tb] {
				err := e.waitFor(10 * time.Second)
				results[i] = append(results[i], result{e, time.Since(start), err})
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, rs := range results {
		for _, r := range rs {
			if r.err != nil {
				b.t.Fatalf("step %q: waiting until %s: %v\npage text:\n%s", name, r.exp, r.err, r.exp.tab.text())
			}
			b.mu.Lock()
			b.timings = append(b.timings, timing{step: name, page: r.exp.tab.name, what: fmt.Sprintf("%s %q", r.exp.sel, r.exp.want), took: r.took})
			b.mu.Unlock()
			if r.took > stepLimit {
				b.t.Errorf("step %q: %s took %v, want at most %v", name, r.exp, r.took.Round(time.Millisecond), stepLimit)
			}
		}
	}
}

// report logs a table and saves it next to the screenshots as name.
func (b *browser) report(name, title, table string) {
	b.t.Helper()
	b.t.Logf("%s:\n%s", title, table)
	if err := os.WriteFile(filepath.Join(b.shots, name), []byte(title+"\n\n"+table), 0o644); err != nil {
		b.t.Error(err)
	}
}

// reportTimings reports the step timings as <prefix>-timings.txt.
func (b *browser) reportTimings(prefix string) {
	b.t.Helper()
	b.report(prefix+"-timings.txt", fmt.Sprintf("step timings (limit %v)", stepLimit), b.timingTable())
}

// reportAxe reports the axe-core violations as <prefix>-axe.txt.
func (b *browser) reportAxe(prefix string) {
	b.t.Helper()
	b.report(prefix+"-axe.txt", "axe-core violations by impact", b.a11yTable())
}

// timingTable formats the step timings.
func (b *browser) timingTable() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "step\tpage\tshows\ttook")
	for _, tm := range b.timings {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d ms\n", tm.step, tm.page, tm.what, tm.took.Milliseconds())
	}
	w.Flush()
	return sb.String()
}

// shot saves a screenshot of the tab's viewport as <prefix>-<tab>.png.
func (tb *tab) shot(prefix string) {
	tb.b.t.Helper()
	saveShot(tb, prefix+"-"+tb.name)
}

// saveShot saves the tab's viewport as <name>.png next to the others.
func saveShot(tb *tab, name string) {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.b.t.Fatalf("%s: screenshot %s: %v", tb.name, name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.b.shots, name+".png"), png, 0o644); err != nil {
		tb.b.t.Fatal(err)
	}
}

// goTo loads path on the tab.
func (tb *tab) goTo(path string) {
	tb.b.t.Helper()
	tb.do("loading "+path, chromedp.Navigate(tb.b.base+path))
}

// staffSignIn opens app (display or barista) of bar and signs in.
func (tb *tab) staffSignIn(app, bar, user, pass string) {
	tb.b.t.Helper()
	tb.goTo("/" + app + "/" + bar)
	tb.do(app+" sign-in",
		chromedp.WaitVisible(chromedp.CSS("#signin-user")),
		chromedp.SendKeys(chromedp.CSS("#signin-user"), user),
		chromedp.SendKeys(chromedp.CSS("#signin-pass"), pass),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
}

// nameSignIn signs a customer in on the Order app's name form.
func (tb *tab) nameSignIn(name string) {
	tb.b.t.Helper()
	tb.do("customer sign-in",
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
}

// enterShownCode enters the one-time code that --dev shows in the e-mail
// sign-in's notice ("… your code is 123456") and sends it.
func (tb *tab) enterShownCode() {
	tb.b.t.Helper()
	notice := tb.visibleText("#signin .notice")
	tb.do("entering the code",
		chromedp.SendKeys(chromedp.CSS("#code"), notice[strings.LastIndex(notice, " ")+1:]),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
}

// orderDrink picks drink on the Order app's menu and orders it.
func (tb *tab) orderDrink(what, drink string) {
	tb.b.t.Helper()
	tb.do(what,
		chromedp.Click(chromedp.CSS(`input[name="drink"][value="`+drink+`"]`)),
		chromedp.Click(chromedp.CSS(`#menu button[type="submit"]`)))
}

// ---- Accessibility --------------------------------------------------------

type a11yResult struct {
	page       string
	violations []axeViolation
}

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axe runs axe-core on the tab's page as it is now, records the result as
// page and fails the test on any serious or critical violation.
func (tb *tab) axe(page string) {
	tb.b.t.Helper()
	if !eval[bool](tb, "is axe loaded", `typeof window.axe === 'object'`) {
		tb.do("injecting axe-core", chromedp.Evaluate[chromedp.Void](tb.b.axe))
	}
	vs := eval[[]axeViolation](tb, "axe.run on "+page, `axe.run(document, {resultTypes: ['violations']}).then((r) =>
		r.violations.map((v) => ({id: v.id, impact: v.impact || '', help: v.help,
			targets: v.nodes.map((n) => JSON.stringify(n.target))})))`)
	tb.b.mu.Lock()
	tb.b.a11y = append(tb.b.a11y, a11yResult{page: page, violations: vs})
	tb.b.mu.Unlock()
	for _, v := range vs {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s; nodes %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Targets, " "))
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.b.t.Error(msg)
		} else {
			tb.b.t.Log(msg)
		}
	}
}

// a11yTable formats the axe results: violations by impact, per page.
func (b *browser) a11yTable() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "page\tcritical\tserious\tmoderate\tminor\trules")
	for _, r := range b.a11y {
		n := map[string]int{}
		var rules []string
		for _, v := range r.violations {
			n[v.Impact]++
			rules = append(rules, v.ID)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\n", r.page, n["critical"], n["serious"], n["moderate"], n["minor"], strings.Join(rules, " "))
	}
	w.Flush()
	return sb.String()
}

// ---- Helpers over the API -------------------------------------------------

// qrInfo is GET /api/events/{event}/qr.
type qrInfo struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	WindowEnd time.Time `json:"windowEnd"`
	Remaining int       `json:"remaining"`
}

func qrOf(t *testing.T, admin *client, bar string) qrInfo {
	t.Helper()
	var q qrInfo
	admin.must(200, "GET", "/api/events/"+bar+"/qr", nil, &q)
	return q
}

// onlyQueued is the one order queued at bar; the test fails unless there
// is exactly one.
func onlyQueued(t *testing.T, admin *client, bar string) apiOrder {
	t.Helper()
	var list struct{ Orders []apiOrder }
	admin.must(200, "GET", "/api/events/"+bar+"/orders?state=queued", nil, &list)
	if len(list.Orders) != 1 {
		t.Fatalf("queued orders at %s: %+v, want one", bar, list.Orders)
	}
	return list.Orders[0]
}

// newBar creates a bar with name sign-in, open, with the given limits over
// the defaults. Windows are a day long unless set, so no code rotates (or
// enters the Display's blackout) during a test.
func newBar(t *testing.T, admin *client, id string, open bool, limits map[string]int) {
	t.Helper()
	l := map[string]int{"drinksPerCode": 10, "windowSeconds": 86400, "maxQueue": 20, "maxPerCustomer": 1}
	for k, v := range limits {
		l[k] = v
	}
	admin.must(201, "POST", "/api/events", map[string]any{"id": id, "name": "Bar " + id, "open": open, "signInMode": "name", "limits": l}, nil)
}

// longWindows gives the demo bar day-long code windows (see newBar).
func longWindows(t *testing.T, admin *client) {
	t.Helper()
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{
		"drinksPerCode": 10, "windowSeconds": 86400, "maxQueue": 20, "maxPerCustomer": 1}}, nil)
}

// browse starts a browser and a server (--dev, with the demo bar) for it.
func browse(t *testing.T) (*browser, *server) {
	t.Helper()
	b := newBrowser(t)
	s := startServer(t, "")
	b.base = s.URL
	return b, s
}

// browseAdmin is browse and the admin's API client.
func browseAdmin(t *testing.T) (*browser, *server, *client) {
	t.Helper()
	b, s := browse(t)
	return b, s, s.staff(t, "admin", "admin")
}

// browseDemo is browseAdmin with the demo bar's code windows day-long.
func browseDemo(t *testing.T) (*browser, *server, *client) {
	t.Helper()
	b, s, admin := browseAdmin(t)
	longWindows(t, admin)
	return b, s, admin
}

// crew opens the demo bar's three screens: the Display and the Barista
// board, each signed in as its staff account, and a customer's phone.
func (b *browser) crew() (display, barista, customer *tab) {
	b.t.Helper()
	display = b.person("display", 1920, 1080, false)
	barista = b.person("barista", 1280, 800, false)
	customer = b.person("customer", 390, 844, true)
	display.staffSignIn("display", "demo", "display", "display")
	barista.staffSignIn("barista", "demo", "barista", "barista")
	return display, barista, customer
}

// ---- The tests ------------------------------------------------------------

// TestBrowserEndToEnd: a customer scans the Display's QR code, signs in,
// orders a Flat White with Oat; the barista makes and completes it; the
// Display shows it Ready and the customer sees "ready". Every step shows
// on every page within 2 s.
func TestBrowserEndToEnd(t *testing.T) {
	b, s, admin := browseDemo(t)

	display, barista, customer := b.crew()
	b.wait(shows{display, "#qr-left", "10 drinks left"}, shows{barista, "#store-state", "OPEN"})
	shotAll := func(n int, step string) {
		for _, tb := range []*tab{display, barista, customer} {
			tb.shot(fmt.Sprintf("e2e-%02d-%s", n, step))
		}
	}

	// The QR code on the Display is the one the API names: the SVG the
	// page shows is exactly the QR of that URL.
	var qr struct {
		Src, SVG string
		Q        qrInfo
	}
	raw := eval[string](display, "reading the QR code", `(async () => {
		const img = document.getElementById('qr-img');
		const q = await (await fetch('/api/events/demo/qr')).json();
		const svg = await (await fetch(img.src)).text();
		return JSON.stringify({src: img.getAttribute('src'), svg, q});
	})()`)
	if err := json.Unmarshal([]byte(raw), &qr); err != nil {
		t.Fatal(err)
	}
	want, err := validator.SVG(qr.Q.URL)
	if err != nil {
		t.Fatal(err)
	}
	if qr.SVG != string(want) {
		t.Fatalf("the Display's QR image is not the QR code of %s", qr.Q.URL)
	}
	if !strings.HasSuffix(qr.Src, "v="+url.QueryEscape(qr.Q.Code)) || !strings.HasPrefix(qr.Q.URL, s.URL+"/order/demo?code=") {
		t.Fatalf("QR src %q, url %q: want the code %q for %s/order/demo", qr.Src, qr.Q.URL, qr.Q.Code, s.URL)
	}
	shotAll(0, "start")

	b.step("scan", func() { customer.do("opening the QR URL", chromedp.Navigate(qr.Q.URL)) },
		shows{customer, "#signin h1", "Sign in to order"})
	shotAll(1, "scan")

	b.step("sign in", func() { customer.nameSignIn("Ann") },
		shows{customer, "#menu h1", "Choose your drink"},
		shows{customer, "#menu .countdown-text", "Time left to choose"})
	// A new drink resets the modifiers to their defaults.
	customer.do("choosing a drink resets modifiers",
		chromedp.Click(chromedp.CSS(`input[name="drink"][value="flat-white"]`)),
		chromedp.Click(chromedp.CSS(`input[name="mod:milk"][value="oat"]`)),
		chromedp.Click(chromedp.CSS(`input[name="drink"][value="cappuccino"]`)))
	if got := eval[string](customer, "milk", `document.querySelector('input[name="mod:milk"]:checked').value`); got != "regular" {
		t.Errorf("after switching drinks, milk = %q, want the default regular", got)
	}
	customer.do("choosing a Flat White with Oat",
		chromedp.Click(chromedp.CSS(`input[name="drink"][value="flat-white"]`)),
		chromedp.Click(chromedp.CSS(`input[name="mod:milk"][value="oat"]`)))
	shotAll(2, "sign-in")
	customer.axe("order: menu")

	b.step("order", func() { customer.do("ordering", chromedp.Click(chromedp.CSS(`#menu button[type="submit"]`))) },
		shows{customer, "#status .status-big", "In the queue"},
		shows{customer, "#status .receipt", "Flat White · Oat"},
		shows{customer, "#status .position", "You’re next!"},
		shows{barista, "#new .card-order", "#1"},
		shows{barista, "#new .card-order .mods", "Oat"},
		shows{barista, "#new .card-order .who", "for Ann"},
		shows{display, "#made .order", "Flat White"},
		shows{display, "#made .order .tag", "in queue"},
		shows{display, "#qr-left", "9 drinks left"})
	shotAll(3, "order")
	customer.axe("order: queued")
	display.axe("display: queued order")
	barista.axe("barista: new order")

	b.step("make", func() { barista.do("make", chromedp.Click(chromedp.CSS(`#new button[data-key$=":make"]`))) },
		shows{barista, "#making .card-order", "#1"},
		shows{barista, "#making .who", "yours"},
		shows{customer, "#status .status-big", "being made"},
		shows{display, "#made .order .tag", "making"})
	shotAll(4, "make")
	barista.axe("barista: making")

	b.step("complete", func() { barista.do("complete", chromedp.Click(chromedp.CSS(`#making button[data-key$=":complete"]`))) },
		shows{barista, "#ready .card-order", "#1"},
		shows{display, "#ready .order .num", "1"},
		shows{display, "#made-empty", "No orders in the queue"},
		shows{customer, "#status .status-big", "Ready for pickup"})
	// "ready" is also spoken to screen readers.
	b.wait(shows{customer, "#live", "Order 1 is ready for pickup."})
	shotAll(5, "ready")
	customer.axe("order: ready")
	display.axe("display: ready")
	barista.axe("barista: ready")

	// Picked up: the barista marks it collected and it leaves the screens.
	b.step("collect", func() { barista.do("collect", chromedp.Click(chromedp.CSS(`#ready button[data-key$=":collect"]`))) },
		shows{barista, "#ready .empty", "Nothing completed"},
		shows{display, "#ready-empty", "Nothing waiting for pickup"},
		shows{customer, "#status .status-big", "Enjoy your drink"})
	shotAll(5, "collected")

	// The customer is done: thanks, then the history.
	customer.do("done", chromedp.Click(chromedp.CSS(`#status button[data-key="done"]`)))
	b.wait(shows{customer, "#thanks h1", "Enjoy your coffee"})
	customer.axe("order: thanks")
	customer.do("history", chromedp.Click(chromedp.CSS(`#thanks button`)))
	b.wait(shows{customer, "#history .past", "Flat White · Oat"}, shows{customer, "#history .past-state", "completed"})
	customer.axe("order: history")
	customer.shot("e2e-06-history")

	// A second customer is looking at the menu when a drink runs out: the
	// bar's channel greys it out at once. A page that missed the change (a
	// stale tab) still sends it: the server's 400 shows next to the drinks,
	// which are reloaded with it disabled.
	second := b.person("second", 390, 844, true)
	second.goTo("/order/demo?code=" + url.QueryEscape(qr.Q.Code))
	second.nameSignIn("Bob")
	b.wait(shows{second, "#menu h1", "Choose your drink"})
	var bar struct {
		Menu []map[string]any `json:"menu"`
	}
	admin.must(200, "GET", "/api/events/demo", nil, &bar)
	for _, item := range bar.Menu {
		if item["id"] == "americano" {
			item["available"] = false
		}
	}
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"menu": bar.Menu}, nil)
	b.wait(shows{second, "#menu .choice.is-disabled", "unavailable"})
	second.do("the open menu greys it out", chromedp.WaitVisible(chromedp.CSS(`input[name="drink"][value="americano"]:disabled`)))
	// One task picks and sends it, so no redraw of the menu comes between.
	eval[bool](second, "ordering a drink that ran out from a stale menu", `(() => {
		const drink = document.querySelector('input[name="drink"][value="americano"]');
		drink.disabled = false;
		drink.click();
		document.querySelector('#menu button[type="submit"]').click();
		return true;
	})()`)
	b.wait(shows{second, "#err-drink", "not available"}, shows{second, "#menu .choice.is-disabled", "unavailable"})
	second.do("the menu reloads with it disabled", chromedp.WaitVisible(chromedp.CSS(`input[name="drink"][value="americano"]:disabled`)))
	second.shot("e2e-07-unavailable")
	second.axe("order: menu with an error")
	second.orderDrink("ordering another drink", "cappuccino")
	b.wait(shows{second, "#status .status-big", "In the queue"}, shows{second, "#status .position", "next"},
		shows{barista, "#new", "Cappuccino"})

	// The barista cancels it through the dialog; the customer is told who.
	barista.do("cancel asks first",
		chromedp.Click(chromedp.CSS(`#new button[data-key$=":cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	barista.shot("e2e-08-cancel-dialog")
	barista.axe("barista: cancel dialog")
	barista.do("confirm cancel", chromedp.Click(chromedp.CSS(`dialog[open] button[value="yes"]`)))
	b.wait(shows{second, "#status .status-big", "The barista cancelled this order"},
		shows{barista, "#new .empty", "No new orders"})

	// Closing the bar shows on the Display at once.
	barista.do("close the bar",
		chromedp.Click(chromedp.CSS("#store-toggle")),
		chromedp.WaitVisible(chromedp.CSS("dialog[open]")),
		chromedp.Click(chromedp.CSS(`dialog[open] button[value="yes"]`)))
	b.wait(shows{barista, "#store-state", "CLOSED"}, shows{display, "#qr-closed", "The bar is closed"}, shows{display, "#bar-state", "CLOSED"})
	display.shot("e2e-09-closed")
	display.axe("display: closed")

	b.reportTimings("e2e")
	b.reportAxe("e2e")
}

// TestBrowserOrderErrors reaches each of the Order app's refusal screens:
// closed, busy, sold out, limit reached, expired, invalid and missing code,
// each set up through the admin API, and the Display's sold-out and closed
// panels.
func TestBrowserOrderErrors(t *testing.T) {
	b, s, admin := browseAdmin(t)
	newBar(t, admin, "closed", false, nil)
	newBar(t, admin, "busy", true, map[string]int{"maxQueue": 1})
	newBar(t, admin, "soldout", true, map[string]int{"drinksPerCode": 1})
	newBar(t, admin, "limit", true, map[string]int{"maxPerCustomer": 1})
	// The shortest window there is: its code expires while the other
	// screens are checked.
	newBar(t, admin, "expiry", true, map[string]int{"windowSeconds": 10})
	expiring := qrOf(t, admin, "expiry")

	cy := b.person("customer", 390, 844, true)
	screen := func(name, path, title, text string, retry bool) {
		t.Helper()
		cy.goTo(path)
		exps := []shows{{cy, "#problem h1", title}, {cy, "#problem .lead", text}}
		if retry {
			exps = append(exps, shows{cy, "#problem button.btn-primary", "Try again"})
		}
		b.wait(exps...)
		cy.shot("errors-" + name)
		cy.axe("order: " + name)
	}

	// Closed: the scan says so at once, before anyone is asked to sign in
	// (the code is checked first). A scan with no code asks for sign-in.
	screen("closed", "/order/closed?code="+qrOf(t, admin, "closed").Code, "The bar is closed", "not taking orders", true)
	if got := eval[int](cy, "sign-in form", `document.querySelectorAll('#signin input').length`); got != 0 {
		t.Errorf("the closed bar's scan built the sign-in form (%d inputs)", got)
	}
	cy.goTo("/order/limit")
	b.wait(shows{cy, "#signin h1", "Sign in to order"})
	cy.axe("order: name sign-in")
	cy.nameSignIn("Cy")

	screen("invalid", "/order/limit?code=nonsense", "This code isn’t valid", "Scan the QR code on the big screen again", false)
	screen("no-code", "/order/limit", "Scan the QR code on the big screen to order", "Point your phone camera", false)

	// Busy: someone else's order fills the queue of one.
	hal := s.client(t)
	hal.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "busy", "name": "Hal"}, nil)
	hal.must(201, "POST", "/api/events/busy/orders", map[string]string{"code": qrOf(t, admin, "busy").Code}, nil)
	screen("busy", "/order/busy?code="+qrOf(t, admin, "busy").Code, "We’re very busy", "The queue is full", true)

	// Sold out: the code's one drink is taken. The Display, signed in first
	// with an account of another bar (refused), swaps the QR code for the
	// time to the next one.
	sold := qrOf(t, admin, "soldout")
	display := b.person("display", 1920, 1080, false)
	display.staffSignIn("display", "soldout", "display", "display")
	b.wait(shows{display, "#signin-error", "can’t open this bar’s display"})
	display.axe("display: sign-in refused")
	display.do("sign in as admin",
		chromedp.SetValue(chromedp.CSS("#signin-user"), "admin"),
		chromedp.SetValue(chromedp.CSS("#signin-pass"), "admin"),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	b.wait(shows{display, "#qr-left", "1 drink left in this code"})
	hal.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "soldout", "name": "Hal"}, nil) // a name sign-in orders at its own bar only
	hal.must(201, "POST", "/api/events/soldout/orders", map[string]string{"code": sold.Code}, nil)
	b.wait(shows{display, "#wait-next", "Next code in"}, shows{display, "#wait-hint", "All drinks for this code are taken"})
	display.shot("errors-sold-out")
	display.axe("display: sold out")
	screen("sold-out", "/order/soldout?code="+sold.Code, "All drinks for this code are taken", "A new code appears on the big screen in", false)

	// Limit: one drink a day. A drink cancelled while choosing does not
	// count; a completed one does.
	lim := qrOf(t, admin, "limit").Code
	cy.goTo("/order/limit?code=" + lim)
	b.wait(shows{cy, "#menu h1", "Choose your drink"})
	cy.do("cancelling", chromedp.Click(chromedp.CSS(`#menu button.btn-danger-outline`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	cy.shot("errors-cancel-dialog")
	cy.axe("order: cancel dialog")
	cy.do("confirm cancel", chromedp.Click(chromedp.CSS(`dialog[open] button[value="yes"]`)))
	b.wait(shows{cy, "#status h1", "You cancelled this order"}, shows{cy, "#live", "Your order has been cancelled."})
	cy.axe("order: cancelled")
	cy.goTo("/order/limit?code=" + lim)
	b.wait(shows{cy, "#menu h1", "Choose your drink"})
	cy.orderDrink("ordering", "single-espresso")
	b.wait(shows{cy, "#status .status-big", "In the queue"})
	cys := onlyQueued(t, admin, "limit").ID
	admin.must(200, "POST", "/api/orders/"+cys+"/make", nil, nil)
	admin.must(200, "POST", "/api/orders/"+cys+"/complete", nil, nil)
	b.wait(shows{cy, "#status .status-big", "Ready for pickup"})
	screen("limit", "/order/limit?code="+lim, "You’ve had your drinks for today", "Your next drink can be ordered", false)

	// Expired: the ten-second window has passed by now, or soon.
	time.Sleep(time.Until(expiring.WindowEnd.Add(100 * time.Millisecond)))
	screen("expired", "/order/expiry?code="+expiring.Code, "This code has expired", "The code changes every few minutes", false)

	// Closing the bar shows on the Display.
	admin.must(200, "PATCH", "/api/events/soldout", map[string]bool{"open": false}, nil)
	b.wait(shows{display, "#qr-closed h2", "The bar is closed"}, shows{display, "#bar-state", "CLOSED"})
	display.shot("errors-display-closed")

	b.reportAxe("errors")
}

// TestBrowserAccessibility runs axe-core on the pages the other tests do
// not reach: home, the poster (anonymous and as staff), the staff sign-in
// forms and the email sign-in of the Order app.
func TestBrowserAccessibility(t *testing.T) {
	b, _, admin := browseAdmin(t)
	admin.must(201, "POST", "/api/events", map[string]any{"id": "mail", "name": "Mail bar", "open": true, "signInMode": "code"}, nil)

	anon := b.person("anonymous", 1280, 800, false)
	anon.goTo("/")
	b.wait(shows{anon, "#bars", "Demo bar"}, shows{anon, "#bars", "Mail bar"})
	anon.shot("a11y-home")
	anon.axe("home")
	anon.goTo("/poster/demo")
	b.wait(shows{anon, "#steps", "Scan"})
	anon.axe("poster")
	anon.goTo("/display/demo")
	b.wait(shows{anon, "#signin h1", "Display sign-in"})
	anon.axe("display: sign-in")
	anon.goTo("/barista/demo")
	b.wait(shows{anon, "#signin h1", "Barista sign-in"})
	anon.shot("a11y-barista-sign-in")
	anon.axe("barista: sign-in")

	staff := b.person("staff", 1280, 800, false)
	staff.staffSignIn("barista", "demo", "admin", "admin")
	b.wait(shows{staff, "#new .empty", "No new orders"})
	staff.axe("barista: empty board")
	staff.goTo("/poster/demo")
	b.wait(shows{staff, "#live-meta", "left"})
	staff.shot("a11y-poster-staff")
	staff.axe("poster: staff, with the live code")

	// Email sign-in: under --dev the code comes back and is shown.
	dee := b.person("customer", 390, 844, true)
	dee.goTo("/order/mail?code=" + qrOf(t, admin, "mail").Code)
	b.wait(shows{dee, "#signin label", "Email address"})
	dee.axe("order: email sign-in")
	dee.do("email", chromedp.SendKeys(chromedp.CSS("#email"), "dee@example.com"), chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	b.wait(shows{dee, "#signin .notice", "your code is"})
	if got := eval[string](dee, "code field", `[document.querySelector('#code').autocomplete, document.querySelector('#code').inputMode].join(' ')`); got != "one-time-code numeric" {
		t.Errorf("code field autocomplete/inputmode = %q, want %q", got, "one-time-code numeric")
	}
	dee.shot("a11y-order-code")
	dee.axe("order: one-time code")
	dee.enterShownCode()
	// No first name was given: the header names no one (never the address).
	b.wait(shows{dee, "#menu h1", "Choose your drink"}, shows{dee, "#who", "Signed in"})

	b.reportAxe("a11y")
}

// TestBrowserReconnect drops the pages' event streams while orders move
// on, once by taking the pages offline and once by restarting the server
// on the same data and port. Each reconnected page must then show what a
// freshly loaded one shows.
func TestBrowserReconnect(t *testing.T) {
	b, s, admin := browseDemo(t)

	display, barista, customer := b.crew()
	customer.goTo("/order/demo?code=" + s.code(t, admin, "demo"))
	customer.nameSignIn("Ann")
	b.wait(shows{customer, "#menu h1", "Choose your drink"})
	customer.orderDrink("ordering", "americano")
	b.wait(shows{customer, "#status .status-big", "In the queue"}, shows{barista, "#new", "#1"}, shows{display, "#made", "Americano"})
	ann := onlyQueued(t, admin, "demo")
	pages := []*tab{display, barista, customer}

	offline := func(tb *tab, off bool) {
		tb.do("network offline="+fmt.Sprint(off), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
			return err
		}))
	}
	// Offline pages keep the streams they have but cannot open new ones;
	// the restart drops those. So the orders below move on while no page
	// can hear of it.
	for _, tb := range pages {
		offline(tb, true)
	}
	s.Stop(t)
	b.wait(shows{display, "#conn", "Reconnecting"}, shows{barista, "#conn", "Reconnecting"}, shows{customer, "#conn", "Reconnecting"})
	s = startServer(t, s.Data, "--addr", strings.TrimPrefix(s.URL, "http://"))
	if s.URL != b.base {
		t.Fatalf("restarted on %s, want %s", s.URL, b.base)
	}
	admin = s.staff(t, "admin", "admin")
	admin.must(200, "POST", "/api/orders/"+ann.ID+"/make", nil, nil)
	order := func(name, drink string) string {
		c := s.client(t)
		c.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": name}, nil)
		var o apiOrder
		c.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
		c.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": drink, "modifiers": map[string]string{"milk": "oat"}}, nil)
		return o.ID
	}
	order("Zed", "flat-white")
	yan := order("Yan", "cappuccino")
	admin.must(200, "POST", "/api/orders/"+yan+"/make", nil, nil)
	admin.must(200, "POST", "/api/orders/"+yan+"/complete", nil, nil)
	for _, tb := range pages {
		tb.shot("reconnect-1-away")
	}

	back := time.Now()
	for _, tb := range pages {
		offline(tb, false)
	}
	// What each app shows, as text, without the clocks that tick: the
	// barista's "ready 12s ago", the Display's "changes in 311:09".
	ago := regexp.MustCompile(`ready \d+s ago|changes in \d+:\d\d`)
	state := func(tb *tab, sels ...string) string {
		t.Helper()
		list, _ := json.Marshal(sels)
		js := fmt.Sprintf(`%s.map((sel) => { const e = document.querySelector(sel);
			return sel + ': ' + (e && e.checkVisibility() ? e.innerText.trim() : '(hidden)'); }).join('\n')`, list)
		return ago.ReplaceAllString(eval[string](tb, "reading the page", js), "(clock)")
	}
	apps := []struct {
		tab  *tab
		path string
		sels []string
		want []shows
	}{
		{display, "/display/demo", []string{"#conn", "#bar-state", "#qr-active", "#qr-left", "#made", "#made-empty", "#ready", "#ready-empty"},
			[]shows{{display, "#made", "Americano"}, {display, "#made", "Flat White"}, {display, "#ready .num", "3"}, {display, "#qr-left", "7 drinks left"}}},
		{barista, "/barista/demo", []string{"#conn", "#store-state", "#new", "#making", "#ready"},
			[]shows{{barista, "#new", "#2"}, {barista, "#making", "#1"}, {barista, "#ready", "#3"}}},
		{customer, "/order/demo", []string{"#conn", "#screens"},
			[]shows{{customer, "#status .status-big", "being made"}}},
	}
	for _, app := range apps {
		b.wait(app.want...)
		t.Logf("%s: caught up %v after going online", app.tab.name, time.Since(back).Round(time.Millisecond))
	}
	for _, app := range apps {
		app.tab.shot("reconnect-2-back")
		fresh := app.tab.another(app.tab.name+"-fresh", 1280, 800, app.tab.name == "customer")
		fresh.goTo(app.path)
		for _, w := range app.want {
			w.tab = fresh
			b.wait(w)
		}
		var got, want string
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, want = state(app.tab, app.sels...), state(fresh, app.sels...)
			if got == want || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got != want {
			t.Errorf("%s after reconnecting:\n%s\n\nfresh load:\n%s", app.tab.name, got, want)
		} else {
			t.Logf("%s after reconnecting = fresh load:\n%s", app.tab.name, got)
		}
		fresh.shot("reconnect-3-fresh")
	}
}
