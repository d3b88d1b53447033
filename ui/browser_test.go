package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser drives the three apps through one order in headless Chromium,
// against a presso server that is already running in dev mode:
//
//	go run ./cmd/presso --dev --addr 127.0.0.1:18080 --data /tmp/ui-data &
//	PRESSO_UI_URL=http://127.0.0.1:18080 go test -run Browser ./ui/
//
// It needs no import of package main. PRESSO_UI_SHOTS=dir also saves
// screenshots. Skipped unless PRESSO_UI_URL is set and Chromium is found.
func TestBrowser(t *testing.T) {
	base := strings.TrimRight(os.Getenv("PRESSO_UI_URL"), "/")
	if base == "" {
		t.Skip("PRESSO_UI_URL not set")
	}
	chrome := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		t.Skip("no Chromium")
	}
	shots := os.Getenv("PRESSO_UI_SHOTS")

	// A fresh bar per run keeps runs independent of each other and of demo.
	admin := newClient(t, base)
	admin.do(t, "POST", "/api/staff/session", map[string]any{"username": "admin", "password": "admin"}, nil)
	bar := fmt.Sprintf("ui%d", time.Now().UnixNano()%1e9)
	admin.do(t, "POST", "/api/events", map[string]any{"id": bar, "name": "UI test bar", "open": true, "signInMode": "name"}, nil)
	var qr struct {
		Code      string `json:"code"`
		Remaining int    `json:"remaining"`
	}
	admin.do(t, "GET", "/api/events/"+bar+"/qr", nil, &qr)

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))...)
	defer cancel()
	root, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	// Each person gets their own browser context, so their own cookies.
	person := func() context.Context {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The first run opens the tab and ties it to its context, so it
		// must not be one of the per-step contexts with a timeout.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("opening a tab: %v", err)
		}
		return ctx
	}
	run := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatalf("%s: %v\npage text:\n%s", what, err, pageText(ctx))
		}
	}
	value := func(ctx context.Context, what string, a chromedp.Action[string]) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return strings.TrimSpace(v)
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		return value(ctx, "reading "+sel, chromedp.Text(css(sel)))
	}
	waitText := func(ctx context.Context, sel, want string) {
		t.Helper()
		js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null && e.textContent.includes(%q); })()`, sel, want)
		run(ctx, fmt.Sprintf("waiting for %s to say %q", sel, want), chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond)))
	}
	shot := func(ctx context.Context, name string, w, h int64) {
		t.Helper()
		if shots == "" {
			return
		}
		run(ctx, "viewport for "+name, chromedp.EmulateViewport(w, h), chromedp.Sleep(300*time.Millisecond))
		ctx2, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx2, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The dev display and barista accounts belong to the demo bar, so on
	// the fresh bar the app must refuse them; an admin then signs in.
	staffSignIn := func(ctx context.Context, app, user string) {
		t.Helper()
		run(ctx, app+" sign-in",
			chromedp.Navigate(base+"/"+app+"/"+bar),
			chromedp.WaitVisible(css("#signin-user")),
			chromedp.SendKeys(css("#signin-user"), user),
			chromedp.SendKeys(css("#signin-pass"), user),
			chromedp.Click(css(`#signin button[type="submit"]`)))
		waitText(ctx, "#signin-error", "can’t")
		run(ctx, app+" sign-in as admin",
			chromedp.SetValue(css("#signin-user"), "admin"),
			chromedp.SetValue(css("#signin-pass"), "admin"),
			chromedp.Click(css(`#signin button[type="submit"]`)),
			chromedp.WaitVisible(css("#screen")))
	}

	display := person()
	staffSignIn(display, "display", "display")
	waitText(display, "#qr-left", fmt.Sprintf("%d drinks left", qr.Remaining))
	ctx, cancel := context.WithTimeout(display, 15*time.Second)
	src, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#qr-img"), "src"))
	cancel()
	if err != nil {
		t.Fatalf("QR src: %v", err)
	}
	if want := "/api/events/" + bar + "/qr.svg?v=" + qr.Code; src.Value != want {
		t.Errorf("QR image src = %q, want %q", src.Value, want)
	}
	shot(display, "display-empty", 1920, 1080)

	barista := person()
	staffSignIn(barista, "barista", "barista")
	waitText(barista, "#store-state", "OPEN")

	// The customer scans, signs in with a name and orders.
	customer := person()
	run(customer, "customer sign-in",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/order/"+bar+"?code="+qr.Code),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "Ann"),
		chromedp.Click(css(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(css(`input[name="drink"][value="flat-white"]`)))
	shot(customer, "order-menu", 390, 844)
	run(customer, "choosing a drink resets modifiers",
		chromedp.Click(css(`input[name="drink"][value="flat-white"]`)),
		chromedp.Click(css(`input[name="mod:milk"][value="oat"]`)),
		chromedp.Click(css(`input[name="drink"][value="cappuccino"]`)))
	mod := value(customer, "milk", chromedp.Value(css(`input[name="mod:milk"]:checked`)))
	if mod != "regular" {
		t.Errorf("after switching drinks, milk = %q, want the default %q", mod, "regular")
	}
	run(customer, "ordering",
		chromedp.Click(css(`input[name="drink"][value="flat-white"]`)),
		chromedp.Click(css(`input[name="mod:milk"][value="oat"]`)),
		chromedp.Click(css(`#menu button[type="submit"]`)))
	waitText(customer, "#status .status-big", "In the queue")
	number := strings.TrimPrefix(text(customer, "#status h1"), "Order #")
	shot(customer, "order-queued", 390, 844)

	waitText(display, "#qr-left", fmt.Sprintf("%d drinks left", qr.Remaining-1))
	waitText(display, "#made", "Flat White")
	waitText(barista, "#new", "#"+number)
	shot(barista, "barista-new", 1280, 800)

	run(barista, "make", chromedp.Click(css(`#new button[data-key$=":make"]`)))
	waitText(barista, "#making", "#"+number)
	waitText(customer, "#status .status-big", "being made")
	shot(barista, "barista-making", 1280, 800)
	run(barista, "complete", chromedp.Click(css(`#making button[data-key$=":complete"]`)))
	waitText(barista, "#ready", "#"+number)
	waitText(customer, "#status .status-big", "Ready for pickup")
	waitText(customer, "#live", "is ready for pickup")
	waitText(display, "#ready .num", number)
	shot(display, "display-ready", 1920, 1080)
	shot(customer, "order-ready", 390, 844)

	// A second customer picks a drink that has just run out: the server's
	// 400 shows next to the drinks, which are reloaded with it disabled.
	second := person()
	run(second, "second customer",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/order/"+bar+"?code="+qr.Code),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "Bob"),
		chromedp.Click(css(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(css(`input[name="drink"][value="americano"]`)))
	var b struct {
		Menu []map[string]any `json:"menu"`
	}
	admin.do(t, "GET", "/api/events/"+bar, nil, &b)
	for _, item := range b.Menu {
		if item["id"] == "americano" {
			item["available"] = false
		}
	}
	admin.do(t, "PATCH", "/api/events/"+bar, map[string]any{"menu": b.Menu}, nil)
	run(second, "ordering a drink that ran out",
		chromedp.Click(css(`input[name="drink"][value="americano"]`)),
		chromedp.Click(css(`#menu button[type="submit"]`)))
	waitText(second, "#err-drink", "not available")
	run(second, "the menu reloads with it disabled",
		chromedp.WaitVisible(css(`input[name="drink"][value="americano"]:disabled`)))
	waitText(second, "#menu", "unavailable")
	shot(second, "order-unavailable", 390, 844)
	run(second, "ordering another drink",
		chromedp.Click(css(`input[name="drink"][value="cappuccino"]`)),
		chromedp.Click(css(`#menu button[type="submit"]`)))
	waitText(second, "#status .status-big", "In the queue")
	waitText(second, "#status .position", "next")

	// The barista cancels it through the dialog.
	waitText(barista, "#new", "Cappuccino")
	run(barista, "cancel asks first",
		chromedp.Click(css(`#new button[data-key$=":cancel"]`)),
		chromedp.WaitVisible(css("dialog[open]")))
	shot(barista, "barista-cancel-dialog", 1280, 800)
	run(barista, "confirm cancel", chromedp.Click(css(`dialog[open] button[value="yes"]`)))
	// The server does not say who cancelled; the page must not claim "you".
	waitText(second, "#status .status-big", "This order was cancelled")

	// Failure screens are specific.
	third := person()
	run(third, "invalid code",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/order/"+bar+"?code=nonsense"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "Cy"),
		chromedp.Click(css(`#signin button[type="submit"]`)))
	waitText(third, "#problem h1", "isn’t valid")
	run(third, "no code", chromedp.Navigate(base+"/order/"+bar))
	waitText(third, "#problem h1", "Scan the QR code")

	// A bar with email sign-in: under --dev the code comes back in the
	// response and is shown.
	codeBar := bar + "c"
	admin.do(t, "POST", "/api/events", map[string]any{"id": codeBar, "name": "Code bar", "open": true, "signInMode": "code"}, nil)
	admin.do(t, "GET", "/api/events/"+codeBar+"/qr", nil, &qr)
	fourth := person()
	run(fourth, "email sign-in",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/order/"+codeBar+"?code="+qr.Code),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "dee@example.com"),
		chromedp.Click(css(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(css("#code")))
	if got := value(fourth, "code field", chromedp.Evaluate[string](`[document.querySelector('#code').autocomplete, document.querySelector('#code').inputMode].join(' ')`)); got != "one-time-code numeric" {
		t.Errorf("code field autocomplete/inputmode = %q, want %q", got, "one-time-code numeric")
	}
	notice := text(fourth, "#signin .notice")
	code := notice[strings.LastIndex(notice, " ")+1:]
	shot(fourth, "order-code", 390, 844)
	run(fourth, "entering the code",
		chromedp.SendKeys(css("#code"), code),
		chromedp.Click(css(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(css(`input[name="drink"][value="flat-white"]`)))

	// A code with one drink: once it is taken the Display swaps the QR for
	// "Next code in m:ss" (0 is a real count), and the next customer gets
	// the sold-out screen rather than a blank page.
	soldBar := bar + "s"
	admin.do(t, "POST", "/api/events", map[string]any{"id": soldBar, "name": "Sold-out bar", "open": true, "signInMode": "name",
		"limits": map[string]any{"drinksPerCode": 1, "windowSeconds": 300, "maxQueue": 20, "maxPerCustomer": 1}}, nil)
	admin.do(t, "GET", "/api/events/"+soldBar+"/qr", nil, &qr)
	run(display, "display of the one-drink bar", chromedp.Navigate(base+"/display/"+soldBar))
	waitText(display, "#qr-left", "1 drink left")
	buyer := newClient(t, base)
	buyer.do(t, "POST", "/api/customer/session", map[string]any{"eventId": soldBar, "name": "Flo"}, nil)
	buyer.do(t, "POST", "/api/events/"+soldBar+"/orders", map[string]any{"code": qr.Code}, nil)
	waitText(display, "#qr-wait", "Next code in")
	shot(display, "display-sold-out", 1920, 1080)
	late := person()
	run(late, "late customer",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/order/"+soldBar+"?code="+qr.Code),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "Gus"),
		chromedp.Click(css(`#signin button[type="submit"]`)))
	waitText(late, "#problem h1", "All drinks for this code are taken")
	waitText(late, "#problem", "new code appears on the big screen")
	shot(late, "order-sold-out", 390, 844)

	// Closing the bar shows on the Display at once.
	run(display, "back to the first bar's display", chromedp.Navigate(base+"/display/"+bar))
	waitText(display, "#qr-left", "drinks left")
	run(barista, "close the bar",
		chromedp.Click(css("#store-toggle")),
		chromedp.WaitVisible(css("dialog[open]")),
		chromedp.Click(css(`dialog[open] button[value="yes"]`)))
	waitText(barista, "#store-state", "CLOSED")
	waitText(display, "#qr-closed", "The bar is closed")
	waitText(display, "#bar-state", "CLOSED")
	shot(display, "display-closed", 1920, 1080)
}

// pageText is the visible text of the page, for failure messages.
func pageText(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return err.Error()
	}
	return s
}

// css selects the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// client is a cookie-keeping API client for test setup.
type client struct {
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *client) do(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, c.base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var e bytes.Buffer
		e.ReadFrom(res.Body)
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, e.String())
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
