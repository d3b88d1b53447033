package main

// Browser tests of the screens for a rush: a walk-up order taken on the
// Barista board, "Call again" on a ready order, the code checked before
// sign-in, the first name given at code sign-in, and the home page. Each
// effect must show on every page within stepLimit (2 s); axe runs on every
// screen they change, in light and dark mode.
//
//	go test -count=1 -run 'TestBrowser(Rush|Home|FirstName)' -v ./cmd/presso/

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fakeVoice replaces the browser's speech synthesis by one that writes
// down what it is asked to say ("text|lang"), in window.__spoken.
const fakeVoice = `(() => {
	window.__spoken = [];
	const fake = { speak: (u) => window.__spoken.push(u.text + '|' + u.lang), cancel() {}, getVoices: () => [] };
	Object.defineProperty(window, 'speechSynthesis', { value: fake, configurable: true });
	if (!window.SpeechSynthesisUtterance) window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
	return true;
})()`

// press clicks the element sel in one script run, once it is there and
// enabled: the Barista board re-renders its cards as events come, so a
// node found by one call may be gone by the next.
func press(tb *tab, what, sel string) {
	tb.b.t.Helper()
	js := fmt.Sprintf(`new Promise((resolve) => {
		const start = Date.now();
		const poll = () => {
			const el = document.querySelector(%q);
			if (el && !el.disabled) { el.click(); resolve(true); return; }
			if (Date.now() - start > 10000) { resolve(false); return; }
			setTimeout(poll, 25);
		};
		poll();
	})`, sel)
	if !eval[bool](tb, what, js) {
		tb.b.t.Fatalf("%s: %s: no enabled %s within 10 s\npage text:\n%s", tb.name, what, sel, tb.text())
	}
}

// orderOf is the id of the bar's order of userName in state, as an admin
// sees it.
func orderOf(t *testing.T, admin *client, bar, state, userName string) string {
	t.Helper()
	var out struct{ Orders []rushOrder }
	admin.must(200, "GET", "/api/events/"+bar+"/orders?state="+state, nil, &out)
	for _, o := range out.Orders {
		if o.UserName == userName {
			return o.ID
		}
	}
	t.Fatalf("no %s order of %s at %s in %+v", state, userName, bar, out.Orders)
	return ""
}

// TestBrowserRush: the barista takes a walk-up order, which is on the
// Display at once; a customer's order is made and completed; "Call again"
// rings the customer's phone (banner), highlights the order on the
// Display and says it aloud; a second call within the minute is refused
// with 429.
func TestBrowserRush(t *testing.T) {
	b, s, admin := browseDemo(t)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"speak": true, "limits": map[string]int{
		"drinksPerCode": 10, "windowSeconds": 86400, "maxQueue": 20, "maxPerCustomer": 1}}, nil)

	display, barista, customer := b.crew()
	b.wait(shows{display, "#qr-left", "10 drinks left"}, shows{barista, "#store-state", "OPEN"})
	// The voice, switched on from the staff tools, speaks through a fake.
	if !eval[bool](display, "faking the voice", fakeVoice) {
		t.Fatal("no fake voice")
	}
	display.do("voice on",
		chromedp.Click(chromedp.CSS("#staff-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#voice")),
		chromedp.Click(chromedp.CSS("#voice")),
		chromedp.Click(chromedp.CSS("#staff-toggle")))

	// A walk-up: name, drink and milk in the dialog; it is queued with a
	// number and on the Display within 2 s.
	barista.do("walk-up dialog",
		chromedp.Click(chromedp.CSS("#walkup")),
		chromedp.WaitVisible(chromedp.CSS("#walkup-name")),
		chromedp.SendKeys(chromedp.CSS("#walkup-name"), "Zoë 李"),
		chromedp.Click(chromedp.CSS(`dialog[open] input[name="drink"][value="flat-white"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="mod:milk"][value="oat"]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] input[name="mod:milk"][value="oat"]`)))
	saveShot(barista, "rush-1-walkup-dialog-barista")
	axeBoth(barista, "barista: walk-up dialog")
	b.step("walk-up", func() {
		barista.do("add the walk-up", chromedp.Click(chromedp.CSS(`dialog[open] button[type="submit"]`)))
	},
		shows{barista, "#new .card-order", "#1"},
		shows{barista, "#new .card-order .who", "for Zoë 李"},
		shows{barista, "#new .card-order .mods", "Oat"},
		shows{display, "#made .order .num", "1"},
		shows{display, "#made .order .drink", "Flat White"},
		shows{display, "#made .order .who", "Zoë 李"},
		shows{display, "#made .order .mods", "Oat"},
		shows{display, "#qr-left", "10 drinks left"}) // a walk-up uses no code
	if eval[bool](barista, "the dialog", `!!document.querySelector('dialog[open]')`) {
		t.Errorf("the walk-up dialog stays open after the order was taken")
	}
	saveShot(display, "rush-2-walkup-display")
	saveShot(barista, "rush-2-walkup-barista")
	axeBoth(display, "display: a walk-up in the queue")
	axeBoth(barista, "barista: a walk-up in New")
	var walk rushOrder
	admin.must(200, "GET", "/api/orders/"+orderOf(t, admin, "demo", "queued", "Zoë 李"), nil, &walk)
	if !walk.Walkup || walk.UserID != "" || walk.Number != 1 {
		t.Fatalf("the walk-up as stored = %+v, want walk-up #1 of no customer", walk)
	}

	// Ann orders from her phone; the barista makes and completes it.
	customer.goTo("/order/demo?code=" + url.QueryEscape(s.code(t, admin, "demo")))
	customer.nameSignIn("Ann")
	b.wait(shows{customer, "#menu h1", "Choose your drink"})
	customer.orderDrink("ordering", "americano")
	b.wait(shows{customer, "#status .status-big", "In the queue"}, shows{barista, "#new", "#2"})
	ann := orderOf(t, admin, "demo", "queued", "Ann")
	press(barista, "make Ann's", `#new button[data-key="`+ann+`:make"]`)
	b.wait(shows{barista, "#making", "#2"})
	press(barista, "complete Ann's", `#making button[data-key="`+ann+`:complete"]`)
	b.wait(shows{customer, "#status .status-big", "Ready for pickup"}, shows{display, "#ready .order .num", "2"},
		shows{barista, `#ready`, "Call again"})
	eval[bool](display, "clearing what was said", `(window.__spoken = [], true)`)

	// Call again: the phone's banner, the Display's highlight and voice,
	// each within 2 s.
	b.step("call again", func() { press(barista, "call again", `#ready button[data-key="`+ann+`:call"]`) },
		shows{customer, "#called .called-title", "Your drink is waiting for you!"},
		shows{customer, "#called", "Order #2 is ready at the bar"},
		shows{display, "#ready .order.fresh .tag", "called"},
		shows{barista, "#ready .btn-call", "Called ·"})
	spoken := eval[string](display, "what the display said", `window.__spoken.join('\n')`)
	if spoken != "Order 2 for Ann is ready|en" {
		t.Errorf("the display said %q, want %q", spoken, "Order 2 for Ann is ready|en")
	}
	if got := eval[bool](barista, "the call button", `document.querySelector('#ready button[data-key="`+ann+`:call"]').disabled`); !got {
		t.Errorf("the call button is enabled during the cool-down")
	}
	saveShot(customer, "rush-3-called-phone")
	saveShot(display, "rush-3-called-display")
	saveShot(barista, "rush-3-called-barista")
	axeBoth(customer, "order: called again")
	axeBoth(display, "display: called again")
	axeBoth(barista, "barista: call cool-down")

	// Another tablet's call within the minute is refused, saying when.
	raw := eval[string](barista, "a second call", `fetch('/api/orders/`+ann+`/call', {method: 'POST'}).then(async (r) => JSON.stringify({status: r.status, body: await r.json()}))`)
	var second struct {
		Status int
		Body   rushError
	}
	if err := json.Unmarshal([]byte(raw), &second); err != nil {
		t.Fatal(err)
	}
	var called rushOrder
	admin.must(200, "GET", "/api/orders/"+ann, nil, &called)
	if second.Status != 429 || second.Body.Error.Code != "called_recently" || second.Body.Error.RetryAt == nil || called.CalledAt == nil ||
		!second.Body.Error.RetryAt.Equal(called.CalledAt.Add(time.Minute)) {
		t.Errorf("a second call within the minute = %s, want 429 called_recently with retryAt a minute after %v", raw, called.CalledAt)
	}
	// The phone's banner goes when the drink is collected.
	press(barista, "collect", `#ready button[data-key="`+ann+`:collect"]`)
	b.wait(shows{customer, "#status .status-big", "Enjoy your drink"})
	if eval[bool](customer, "banner", `document.getElementById('called').checkVisibility()`) {
		t.Errorf("the called banner stays after the drink was collected")
	}

	b.reportTimings("rush")
	b.reportAxe("rush")
}

// TestBrowserCodeChecked: a phone that scans a dead code is told so at
// once, before any sign-in; a good code goes on to sign-in.
func TestBrowserCodeChecked(t *testing.T) {
	b, s, admin := browseAdmin(t)
	newBar(t, admin, "soldout", true, map[string]int{"drinksPerCode": 1})
	sold := qrOf(t, admin, "soldout")
	admin.must(201, "POST", "/api/events/soldout/orders", map[string]string{"code": sold.Code}, nil)

	phone := b.person("customer", 390, 844, true)
	for _, c := range []struct {
		name, path, title string
	}{
		{"invalid", "/order/demo?code=nonsense", "This code isn’t valid"},
		{"sold-out", "/order/soldout?code=" + url.QueryEscape(sold.Code), "All drinks for this code are taken"},
	} {
		b.step("dead code: "+c.name, func() { phone.goTo(c.path) }, shows{phone, "#problem h1", c.title})
		if got := eval[int](phone, "sign-in form", `document.querySelectorAll('#signin input').length`); got != 0 {
			t.Errorf("%s: the sign-in form was built (%d inputs) for a dead code", c.name, got)
		}
		saveShot(phone, "rush-dead-code-"+c.name)
		axeBoth(phone, "order: dead code ("+c.name+")")
	}
	b.step("good code", func() { phone.goTo("/order/demo?code=" + url.QueryEscape(s.code(t, admin, "demo"))) },
		shows{phone, "#signin h1", "Sign in to order"})
	b.reportTimings("code-check")
}

// TestBrowserFirstName: at a bar that signs in by e-mail code, the first
// name given is what the Display and the Barista board show; a customer
// who gives none is shown without a name, never by the address.
func TestBrowserFirstName(t *testing.T) {
	b, _, admin := browseAdmin(t)
	admin.must(201, "POST", "/api/events", map[string]any{"id": "mail", "name": "Mail bar", "open": true, "signInMode": "code",
		"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 86400, "maxQueue": 20, "maxPerCustomer": 1}}, nil)
	display := b.person("display", 1280, 720, false)
	display.staffSignIn("display", "mail", "admin", "admin")
	b.wait(shows{display, "#qr-left", "10 drinks left"})

	order := func(who, email, first string) {
		t.Helper()
		phone := b.person(who, 390, 844, true)
		phone.goTo("/order/mail?code=" + url.QueryEscape(qrOf(t, admin, "mail").Code))
		b.wait(shows{phone, "#signin", "First name to call out"})
		phone.do("email and first name", chromedp.SendKeys(chromedp.CSS("#email"), email))
		if first != "" {
			phone.do("first name", chromedp.SendKeys(chromedp.CSS("#first-name"), first))
		}
		phone.do("send code", chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
		b.wait(shows{phone, "#signin .notice", "your code is"})
		phone.enterShownCode()
		b.wait(shows{phone, "#menu h1", "Choose your drink"})
		phone.orderDrink("ordering", "americano")
		b.wait(shows{phone, "#status .status-big", "In the queue"})
		if first == "" {
			if got := phone.visibleText("#who"); got != "Signed in" {
				t.Errorf("%s's header = %q, want %q", who, got, "Signed in")
			}
		}
	}
	order("dee", "dee.smith@example.com", "Dee")
	b.wait(shows{display, "#made .order .who", "Dee"})
	order("anon", "anon.person@example.com", "")
	b.wait(shows{display, "#made", "Americano"})
	names := eval[string](display, "names on the display", `[...document.querySelectorAll('#made .order')].map((li) => li.querySelector('.num').textContent + '=' + li.querySelector('.who').textContent).join(' ')`)
	if names != "1=Dee 2=" {
		t.Errorf("the display names %q, want %q (nothing from an address)", names, "1=Dee 2=")
	}
	saveShot(display, "rush-first-name-display")
}

// TestBrowserHome: the public home page lists the bars with how to order
// and, under --dev, "Try it without a phone", which opens the order app
// with the current code; staff links show only after staff sign-in.
func TestBrowserHome(t *testing.T) {
	b, s, admin := browseAdmin(t)
	admin.must(201, "POST", "/api/events", map[string]any{"id": "over", "name": "Last year's bar", "open": true, "signInMode": "name"}, nil)
	admin.must(200, "PATCH", "/api/events/over", map[string]bool{"ended": true}, nil)

	anon := b.person("home", 1280, 800, false)
	anon.goTo("/")
	b.wait(shows{anon, "#bars .bar h2", "Demo bar"}, shows{anon, "#bars .try", "Try it without a phone"},
		shows{anon, "#dev", "admin/admin"}, shows{anon, "#staff", "Staff sign-in"})
	publicLinks := eval[string](anon, "links", `[...document.querySelectorAll('#bars a')].map((a) => a.getAttribute('href')).join(' ')`)
	if publicLinks != "" {
		t.Errorf("the public home page links to %q, want no staff links", publicLinks)
	}
	if text := anon.visibleText("#bars"); strings.Contains(text, "Last year") {
		t.Errorf("the public home page lists an ended bar: %q", text)
	}
	saveShot(anon, "rush-home-public")
	axeBoth(anon, "home: public, --dev")

	anon.do("try it", chromedp.Click(chromedp.CSS(`#bars button[data-key="try:demo"]`)))
	// The click navigates: a wait begun on the old page ends with it.
	for attempt := 0; ; attempt++ {
		err := shows{anon, "#signin h1", "Sign in to order"}.waitFor(5 * time.Second)
		if err == nil {
			break
		}
		if attempt == 4 {
			t.Fatalf("after try it: %v\npage text:\n%s", err, anon.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
	loc := eval[string](anon, "location", `location.pathname + location.search`)
	if want := "/order/demo?code=" + url.QueryEscape(s.code(t, admin, "demo")); loc != want {
		t.Errorf("try it opened %q, want %q", loc, want)
	}

	staff := b.person("staff", 1280, 800, false)
	staff.goTo("/")
	b.wait(shows{staff, "#staff", "Staff sign-in"})
	staff.do("staff sign-in",
		chromedp.Click(chromedp.CSS("#staff")),
		chromedp.WaitVisible(chromedp.CSS("#signin-user")))
	axeBoth(staff, "home: staff sign-in")
	staff.do("signing in",
		chromedp.SendKeys(chromedp.CSS("#signin-user"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#signin-pass"), "admin"),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	b.wait(shows{staff, "#me", "Signed in as admin"}, shows{staff, "#bars", "Open the admin console"}, shows{staff, "#bars", "Last year's bar"})
	links := eval[string](staff, "links", `[...document.querySelectorAll('#bars a')].map((a) => a.getAttribute('href')).join(' ')`)
	for _, want := range []string{"/admin", "/display/demo", "/barista/demo", "/poster/demo"} {
		if !strings.Contains(" "+links+" ", " "+want+" ") {
			t.Errorf("the staff home page links %q, want %s among them", links, want)
		}
	}
	saveShot(staff, "rush-home-staff")
	axeBoth(staff, "home: staff")
	staff.do("sign out", chromedp.Click(chromedp.CSS("#staff")))
	b.wait(shows{staff, "#staff", "Staff sign-in"})
	if got := eval[int](staff, "links after sign-out", `document.querySelectorAll('#bars a').length`); got != 0 {
		t.Errorf("%d staff links after sign-out, want 0", got)
	}
	b.reportAxe("home")
}
