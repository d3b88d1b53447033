package main

// Browser tests of the admin console (/admin) and what it drives: a new
// bar copied from demo, its menu edited while a phone is on it, two
// baristas, one disabled while signed in, a TV paired by link, "new code
// now", ending the bar; axe-core on every console page in light and dark.
// Screenshots are admin-*.png next to the others; look at them.
//
//	go test -count=1 -run 'TestBrowserAdmin' -v ./cmd/presso/

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	qrcode "github.com/skip2/go-qrcode"
)

// fill sets a form control's value as typing would: the value, then input
// and change events, so the page's dirty tracking sees it.
func fill(tb *tab, sel, value string) {
	tb.b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false;
		e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value)
	if !eval[bool](tb, "filling "+sel, js) {
		tb.b.t.Fatalf("%s: no %s to fill\npage text:\n%s", tb.name, sel, tb.text())
	}
}

// click clicks the element sel once it is visible.
func click(tb *tab, what, sel string) {
	tb.b.t.Helper()
	tb.do(what, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// confirmYes answers the open confirmation dialog with its yes button.
func confirmYes(tb *tab) {
	tb.b.t.Helper()
	click(tb, "confirming", `dialog[open] button[value="yes"]`)
}

// waitJS polls js (an expression) on the tab until it is true, for up to
// limit, and returns how long it took from start.
func waitJS(tb *tab, what, js string, start time.Time, limit time.Duration) time.Duration {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, limit+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		tb.b.t.Fatalf("%s: waiting until %s: %v\npage text:\n%s", tb.name, what, err, tb.text())
	}
	return time.Since(start)
}

// noSidewaysScroll fails the test when the page is wider than the tab.
func noSidewaysScroll(t *testing.T, tb *tab, where string) {
	t.Helper()
	if over := eval[float64](tb, "scroll width", `document.scrollingElement.scrollWidth - innerWidth`); over > 0 {
		t.Errorf("%s: the page scrolls sideways by %v px", where, over)
	}
}

// shotBoth saves the tab as name.png and name-dark.png.
func shotBoth(tb *tab, name string) {
	tb.b.t.Helper()
	saveShot(tb, name)
	colorScheme(tb, "dark")
	saveShot(tb, name+"-dark")
	colorScheme(tb, "light")
}

// adminBar is the part of a bar the tests check.
type adminBar struct {
	ID, Name, SignInMode, WelcomeText, PickupText string
	Open, Ended                                   bool
	ReadySeconds                                  int
	Limits                                        struct{ DrinksPerCode, WindowSeconds int }
	Menu                                          []struct {
		ID, Name, Icon string
		Available      bool
		Modifiers      []struct {
			ID, Name, Default string
			Options           []struct{ ID, Name string }
		}
	}
}

// TestBrowserAdmin runs a new user's day in the console: sign in, create a
// bar for tomorrow as a copy of demo, set it up, open it, add a drink with
// a modifier group while a phone is on the menu (it shows within 2 s),
// make two baristas (one signs in on a second browser, then is disabled:
// the board shows the sign-in within 2 s), pair the TV by link, "New code
// now" (the TV shows it within 2 s), end and reopen the bar, read the
// audit log, change the admin's own password. axe-core on every console
// page in light and dark mode.
func TestBrowserAdmin(t *testing.T) {
	b, s := browse(t)
	api := s.staff(t, "admin", "admin")
	const bar, barName = "harbour", "Harbour Stage"

	admin := b.person("admin", 1280, 800, false)
	admin.goTo("/admin")
	b.wait(shows{admin, "#signin h1", "Admin sign-in"})
	saveShot(admin, "admin-00-signin")
	axeBoth(admin, "admin: sign-in")
	admin.do("signing in",
		chromedp.SendKeys(chromedp.CSS("#signin-user"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#signin-pass"), "admin"),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	b.wait(shows{admin, "#main h1", "Bars"}, shows{admin, `tr[data-bar="demo"]`, "Demo bar"}, shows{admin, `tr[data-bar="demo"]`, "OPEN"})
	shotBoth(admin, "admin-01-bars")
	axeBoth(admin, "admin: bars")

	// A bar for tomorrow, a copy of demo: its id comes from the name.
	click(admin, "new bar", "#new-bar")
	b.wait(shows{admin, "#main h1", "New bar"})
	admin.do("naming it", chromedp.SendKeys(chromedp.CSS("#nb-name"), barName))
	if got := eval[string](admin, "id from the name", `document.getElementById('nb-id').value`); got != "harbour-stage" {
		t.Errorf("the id made from %q is %q, want harbour-stage", barName, got)
	}
	fill(admin, "#nb-id", bar)
	fill(admin, "#nb-from", "copy:demo")
	saveShot(admin, "admin-02-new-bar")
	axeBoth(admin, "admin: new bar")
	click(admin, "create", `#main form button[type="submit"]`)
	b.wait(shows{admin, "#bar-title", barName}, shows{admin, "#bar-title", "CLOSED"}, shows{admin, "#set-name", ""})
	var made adminBar
	api.must(200, "GET", "/api/events/"+bar, nil, &made)
	if made.Open || made.SignInMode != "name" || len(made.Menu) != 5 || made.Menu[1].ID != "flat-white" {
		t.Errorf("the copy of demo: open %v, sign-in %q, menu %+v; want closed, name sign-in and demo's five drinks", made.Open, made.SignInMode, made.Menu)
	}

	// Settings: a refused save keeps the values and names the field.
	fill(admin, "#set-limits-windowSeconds", "86400")
	fill(admin, "#set-welcomeText", "Welcome to the Harbour Stage! Oat milk costs nothing extra.")
	fill(admin, "#set-pickupText", "Collect your cup at the left end of the counter.")
	fill(admin, "#set-readySeconds", "5")
	b.wait(shows{admin, ".settings .savebar", "Unsaved changes"}, shows{admin, "#set-readySeconds-hint", "5 seconds"})
	click(admin, "saving settings", "#settings-save")
	b.wait(shows{admin, "#set-readySeconds-error", "readySeconds must be between 10 and 86400"}, shows{admin, ".settings .savebar", "Not saved"})
	if got := eval[string](admin, "focus", `document.activeElement.id`); got != "set-readySeconds" {
		t.Errorf("after a refused save the focus is on %q, want the field the server named", got)
	}
	if got := eval[string](admin, "kept value", `document.getElementById('set-welcomeText').value`); !strings.HasPrefix(got, "Welcome to the Harbour") {
		t.Errorf("after a refused save the welcome text is %q, want it kept", got)
	}
	saveShot(admin, "admin-03-settings-refused")
	axeBoth(admin, "admin: settings with an error")
	fill(admin, "#set-readySeconds", "300")
	click(admin, "saving settings", "#settings-save")
	b.wait(shows{admin, ".settings .savebar", "Saved."})
	api.must(200, "GET", "/api/events/"+bar, nil, &made)
	if made.Limits.WindowSeconds != 86400 || made.ReadySeconds != 300 || !strings.HasPrefix(made.WelcomeText, "Welcome") || !strings.HasPrefix(made.PickupText, "Collect") {
		t.Errorf("saved settings: window %d, ready %d, welcome %q, pickup %q", made.Limits.WindowSeconds, made.ReadySeconds, made.WelcomeText, made.PickupText)
	}
	shotBoth(admin, "admin-04-settings")
	axeBoth(admin, "admin: settings")

	// Open it; a phone scans and waits on the menu.
	click(admin, "open the bar", "#bar-toggle")
	b.wait(shows{admin, "#bar-title", "OPEN"})
	phone := b.person("customer", 390, 844, true)
	phone.goTo("/order/" + bar + "?code=" + s.code(t, api, bar))
	phone.nameSignIn("Ann")
	b.wait(shows{phone, "#menu h1", "Choose your drink"}, shows{phone, "#menu .bar-text", "Welcome to the Harbour Stage"})

	menuEditor(t, b, admin, phone, api, bar)
	staffAccounts(t, b, admin, api, bar)
	// bea made Ann's drink: the phone says where to collect it.
	b.wait(shows{phone, "#status .status-big", "Ready for pickup"}, shows{phone, "#status .bar-text", "Collect your cup at the left end"})
	saveShot(phone, "admin-11-phone-ready")
	pairAndRotate(t, b, admin, api, bar, barName)
	endAndReopen(t, b, s, admin, api, bar, barName)
	exportImport(t, b, admin, api, bar)

	// The audit log has a row for each kind of change made above.
	admin.goTo("/admin#/bar/" + bar + "/audit")
	b.wait(shows{admin, ".audit", "Saved the menu"}, shows{admin, ".audit", "Ended the event"}, shows{admin, ".audit", "New QR code"},
		shows{admin, ".audit", "Opened the bar"}, shows{admin, ".audit", "Changed settings"}, shows{admin, ".audit", "Made a pairing code"})
	shotBoth(admin, "admin-14-audit")
	axeBoth(admin, "admin: audit log")

	// The day's numbers on the list: Ann's drink was served.
	admin.goTo("/admin#/")
	b.wait(shows{admin, `tr[data-bar="` + bar + `"]`, "1 served"})
	saveShot(admin, "admin-15-bars-after")

	// A tablet, portrait and landscape: nothing scrolls sideways.
	for _, size := range []struct{ w, h int64 }{{768, 1024}, {1024, 768}} {
		admin.do("tablet size", chromedp.EmulateViewport(size.w, size.h))
		for _, view := range []struct{ hash, sel, want string }{
			{"#/", "#main h1", "Bars"}, {"#/bar/" + bar + "/menu", "#menu-title", "Menu"},
			{"#/staff", "#accounts-title", "Accounts"}, {"#/bar/" + bar, "#set-name", ""},
		} {
			admin.goTo("/admin" + view.hash)
			b.wait(shows{admin, view.sel, view.want})
			noSidewaysScroll(t, admin, fmt.Sprintf("%s at %dx%d", view.hash, size.w, size.h))
		}
		admin.goTo("/admin#/bar/" + bar + "/menu")
		b.wait(shows{admin, "#menu-title", "Menu"})
		saveShot(admin, fmt.Sprintf("admin-16-tablet-%dx%d", size.w, size.h))
	}
	admin.do("laptop size", chromedp.EmulateViewport(1280, 800))

	myPassword(t, b, s, admin)
	b.reportTimings("admin")
	b.reportAxe("admin")
}

// menuEditor adds a drink with a modifier group, moves it, has a save
// refused (the draft stays, the error is at the drink), and saves: the
// phone on the menu shows the drink within 2 s and orders it.
func menuEditor(t *testing.T, b *browser, admin, phone *tab, api *client, bar string) {
	t.Helper()
	click(admin, "menu tab", "#tab-menu")
	b.wait(shows{admin, "#menu-title", "Menu"}, shows{admin, "#drinks", "Americano"})
	axeBoth(admin, "admin: menu")
	const last = "#drinks > li:last-child"
	click(admin, "add a drink", "#add-drink")
	if got := eval[bool](admin, "focus on the new drink", `document.activeElement === document.querySelector('`+last+` .drink-head input')`); !got {
		t.Errorf("after Add a drink the focus is not on the new drink's name")
	}
	admin.do("naming the drink", chromedp.SendKeys(chromedp.CSS(last+" .drink-head input"), "Oat Latte"))
	fill(admin, last+" .field-icon select", "latte")
	click(admin, "add a choice", last+` button[data-key$=":addgroup"]`)
	admin.do("naming the choice", chromedp.SendKeys(chromedp.CSS(last+" .mgroup-head input"), "Size"))
	admin.do("first option", chromedp.SendKeys(chromedp.CSS(last+" .option:nth-child(1) input[aria-label]"), "Small"))
	click(admin, "add an option", last+` button[data-key$=":addoption"]`)
	admin.do("second option", chromedp.SendKeys(chromedp.CSS(last+" .option:nth-child(2) input[aria-label]"), "Large"),
		chromedp.Click(chromedp.CSS(last+` .option:nth-child(2) input[type="radio"]`)))
	if got := admin.visibleText(last + " .idline"); got != "Id: oat-latte" {
		t.Errorf("the new drink's id line is %q, want %q", got, "Id: oat-latte")
	}
	// Up, by keyboard: focus stays on the moved drink's button.
	admin.do("move up", chromedp.Focus(chromedp.CSS(last+` button[data-key$=":up"]`)), chromedp.KeyEvent("\r"))
	b.wait(shows{admin, "#live", "Oat Latte is now number 5 of 6"}, shows{admin, "#drinks > li:nth-child(5)", "oat-latte"})
	if got := eval[string](admin, "focus after moving", `document.activeElement.getAttribute('aria-label')`); got != "Move Oat Latte up" {
		t.Errorf("after moving, focus is on %q, want the moved drink's Up button", got)
	}
	// The double espresso goes; focus moves to the drink above it, now last.
	click(admin, "remove the double espresso", `#drinks > li[data-drink="double-espresso"] button[data-key$=":remove"]`)
	b.wait(shows{admin, "#live", "Double Espresso removed"})
	if got := eval[int](admin, "drinks in the draft", `document.querySelectorAll('#drinks > li').length`); got != 5 {
		t.Errorf("after removing one the editor shows %d drinks, want 5", got)
	}
	b.wait(shows{admin, "#menu-status", "Unsaved changes"})
	shotBoth(admin, "admin-05-menu-draft")
	axeBoth(admin, "admin: menu with a draft")

	// A name too long for the server: refused, named, the draft kept.
	// By place: a new drink's id follows its name until it is saved.
	const oat = "#drinks > li:nth-child(5)"
	fill(admin, oat+" .drink-head input", strings.Repeat("x", 101))
	click(admin, "saving", "#menu-save")
	b.wait(shows{admin, oat + ` [id$="-name-error"]`, "name of 1-100 characters"}, shows{admin, "#menu-status", "Not saved"})
	var saved adminBar
	api.must(200, "GET", "/api/events/"+bar, nil, &saved)
	if len(saved.Menu) != 5 {
		t.Errorf("after the refused save the menu has %d drinks, want the 5 it had", len(saved.Menu))
	}
	if got := eval[int](admin, "draft kept", `document.querySelectorAll('#drinks > li').length`); got != 5 {
		t.Errorf("after the refused save the editor shows %d drinks, want the 5 of the draft", got)
	}
	saveShot(admin, "admin-06-menu-refused")
	axeBoth(admin, "admin: menu with an error")

	fill(admin, oat+" .drink-head input", "Oat Latte")
	b.step("the admin saves the menu", func() { click(admin, "saving", "#menu-save") },
		shows{phone, `#menu label:has(input[value="oat-latte"])`, "Oat Latte"}, shows{admin, "#menu-status", "The menu is saved"})
	api.must(200, "GET", "/api/events/"+bar, nil, &saved)
	if len(saved.Menu) != 5 || saved.Menu[4].ID != "oat-latte" || saved.Menu[4].Icon != "latte" || len(saved.Menu[4].Modifiers) != 1 ||
		saved.Menu[4].Modifiers[0].ID != "size" || saved.Menu[4].Modifiers[0].Default != "large" || len(saved.Menu[4].Modifiers[0].Options) != 2 {
		t.Errorf("saved menu: %+v", saved.Menu)
	}
	saveShot(phone, "admin-07-phone-new-drink")

	// The phone orders it; Large is the default.
	phone.do("choosing the new drink", chromedp.Click(chromedp.CSS(`input[name="drink"][value="oat-latte"]`)))
	b.wait(shows{phone, "#menu .mods legend", "Size"})
	if got := eval[string](phone, "default", `document.querySelector('input[name="mod:size"]:checked')?.value ?? ''`); got != "large" {
		t.Errorf("the phone's Size choice starts at %q, want the default large", got)
	}
	phone.do("ordering", chromedp.Click(chromedp.CSS(`#menu button[type="submit"]`)))
	b.wait(shows{phone, "#status .receipt", "Oat Latte · Large"})
}

// staffAccounts makes two baristas; bea signs in on another browser and
// marks a drink unavailable, then the admin disables her (her board shows
// the sign-in within 2 s) and gives cal a new password, with which cal
// signs in.
func staffAccounts(t *testing.T, b *browser, admin *tab, api *client, bar string) {
	t.Helper()
	admin.goTo("/admin#/staff")
	b.wait(shows{admin, "#main h1", "Staff"}, shows{admin, "#staff-table", "barista"})
	axeBoth(admin, "admin: staff")
	passwords := map[string]string{}
	for _, name := range []string{"bea", "cal"} {
		fill(admin, "#na-user", name)
		fill(admin, "#na-role", "barista")
		fill(admin, "#na-bar", bar)
		click(admin, "create "+name, "#na-submit")
		b.wait(shows{admin, "#na-done", name + " can now sign in as Barista"}, shows{admin, `tr[data-user="` + name + `"]`, "Harbour Stage"})
		passwords[name] = admin.visibleText("#na-secret")
		if len(passwords[name]) != 14 {
			t.Errorf("%s's password shown once is %q, want 14 characters", name, passwords[name])
		}
	}
	if got := admin.visibleText("#na-done strong"); got != b.base+"/barista/"+bar {
		t.Errorf("where cal signs in: %q, want %q", got, b.base+"/barista/"+bar)
	}
	shotBoth(admin, "admin-08-staff")
	axeBoth(admin, "admin: staff with a new password")

	bea := b.person("barista", 1280, 800, false)
	bea.staffSignIn("barista", bar, "bea", passwords["bea"])
	b.wait(shows{bea, "#store-state", "OPEN"}, shows{bea, "#new", "Oat Latte"})
	// The oat milk runs out: bea marks the Americano unavailable.
	click(bea, "availability", "#availability")
	bea.do("americano off", chromedp.Click(chromedp.CSS(`dialog[open] input[value="americano"]`)))
	b.wait(shows{bea, "#live", "Americano is marked unavailable"})
	saveShot(bea, "admin-09-barista-availability")
	axeBoth(bea, "barista: availability")
	click(bea, "close the dialog", `dialog[open] button[value="close"]`)
	var now adminBar
	api.must(200, "GET", "/api/events/"+bar, nil, &now)
	if now.Menu[0].ID != "americano" || now.Menu[0].Available {
		t.Errorf("after bea's change the americano is %+v, want unavailable", now.Menu[0])
	}
	// bea makes Ann's drink.
	press(bea, "make", `#new button[data-key$=":make"]`)
	b.wait(shows{bea, "#making", "yours"})
	press(bea, "complete", `#making button[data-key$=":complete"]`)
	b.wait(shows{bea, "#ready", "Oat Latte"})

	// cal moves to the demo bar and back, through the edit dialog.
	for _, to := range []struct{ id, name string }{{"demo", "Demo bar"}, {bar, "Harbour Stage"}} {
		admin.do("edit cal", chromedp.Click(chromedp.CSS(`button[data-key="cal:edit"]`)), chromedp.WaitVisible(chromedp.CSS("#ea-bar")))
		if to.id == "demo" {
			axeBoth(admin, "admin: edit an account")
		}
		fill(admin, "#ea-bar", to.id)
		click(admin, "save cal", `dialog[open] button[type="submit"]`)
		b.wait(shows{admin, `tr[data-user="cal"]`, to.name})
	}

	// Disabled: her board shows the sign-in at once.
	admin.do("disable bea", chromedp.Click(chromedp.CSS(`button[data-key="bea:disable"]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	saveShot(admin, "admin-10-disable-dialog")
	axeBoth(admin, "admin: disable dialog")
	start := time.Now()
	confirmYes(admin)
	// The board reloads to show the sign-in: wait through the navigation.
	took := waitThroughReload(shows{bea, "#signin h1", "Barista sign-in"}, start, 10*time.Second)
	b.mu.Lock()
	b.timings = append(b.timings, timing{step: "the admin disables bea", page: "barista", what: `#signin h1 "Barista sign-in"`, took: took})
	b.mu.Unlock()
	if took > stepLimit {
		t.Errorf("disabling bea: her board showed the sign-in after %v, want at most %v", took.Round(time.Millisecond), stepLimit)
	}
	b.wait(shows{admin, `tr[data-user="bea"]`, "disabled"})
	saveShot(bea, "admin-11-barista-signed-out")

	// cal gets a new password, shown once, and signs in with it.
	admin.do("new password for cal", chromedp.Click(chromedp.CSS(`button[data-key="cal:password"]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	confirmYes(admin)
	b.wait(shows{admin, "#pw-secret", "-"})
	passwords["cal"] = admin.visibleText("#pw-secret")
	axeBoth(admin, "admin: new password shown once")
	click(admin, "done", `dialog[open] button[type="submit"]`)
	cal := b.person("barista-cal", 1280, 800, false)
	cal.staffSignIn("barista", bar, "cal", passwords["cal"])
	b.wait(shows{cal, "#store-state", "OPEN"})
}

// pairAndRotate pairs a TV by the console's link, then "New code now":
// the TV shows the new code within 2 s.
func pairAndRotate(t *testing.T, b *browser, admin *tab, api *client, bar, barName string) {
	t.Helper()
	admin.goTo("/admin#/bar/" + bar + "/screens")
	b.wait(shows{admin, "#qr-code", ""}, shows{admin, "#qr-remaining", "of 10"})
	click(admin, "make a pairing code", "#pair-make")
	b.wait(shows{admin, "#pair-code", "-"}, shows{admin, "#pair-left", "Valid for 4:5"}, shows{admin, "#pair-where", b.base + "/pair"})
	link := eval[string](admin, "the pairing link", `document.getElementById('pair-link').href`)
	shotBoth(admin, "admin-12-screens")
	axeBoth(admin, "admin: screens and QR")

	tv := b.person("display", 1920, 1080, false)
	tv.do("opening the pairing link", chromedp.Navigate(link))
	b.wait(shows{tv, "#bar-name", barName}, shows{tv, "#qr-left", "drinks left"})
	if got := eval[string](tv, "where the link led", `location.pathname`); got != "/display/"+bar {
		t.Errorf("the pairing link led to %q, want /display/%s", got, bar)
	}
	tv.do("QR loaded", chromedp.Poll[chromedp.Void](`document.getElementById('qr-img').complete && document.getElementById('qr-img').naturalWidth > 0`))
	saveShot(tv, "admin-13-tv-paired")

	// A second screen types a new code on /pair; the same code again is refused.
	first := admin.visibleText("#pair-code")
	click(admin, "make another code", "#pair-make")
	waitJS(admin, "a new pairing code", `document.getElementById('pair-code').textContent !== `+jsString(first), time.Now(), 10*time.Second)
	code := admin.visibleText("#pair-code")
	typed := b.person("display-typed", 1280, 720, false)
	typed.goTo("/pair")
	b.wait(shows{typed, "h1", "Pair this screen"})
	// A 720p TV shows the field and the button without scrolling.
	if bottom := eval[float64](typed, "the Pair button", `document.getElementById('submit').getBoundingClientRect().bottom`); bottom > 720 {
		t.Errorf("/pair at 1280x720: the Pair button ends at %v px, below the screen", bottom)
	}
	saveShot(typed, "admin-13-pair-page")
	axeBoth(typed, "pair: the code form")
	typed.do("typing the code", chromedp.SendKeys(chromedp.CSS("#code"), strings.ToLower(code)), chromedp.Click(chromedp.CSS("#submit")))
	waitThroughReload(shows{typed, "#bar-name", barName}, time.Now(), 10*time.Second)
	again := b.person("display-again", 1280, 720, false)
	again.goTo("/pair")
	again.do("typing the used code", chromedp.WaitVisible(chromedp.CSS("#code")), chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#submit")))
	b.wait(shows{again, "#code-error", "used already"})
	axeBoth(again, "pair: a used code")

	codeOn := `(() => { const src = document.getElementById('qr-img')?.getAttribute('src') || '';
		return new URL(src, location.href).searchParams.get('v') || ''; })()`
	old := eval[string](tv, "the TV's code", codeOn)
	if want := qrOf(t, api, bar).Code; old != want {
		t.Fatalf("the TV shows code %q, want the bar's %q", old, want)
	}
	start := time.Now()
	click(admin, "new code now", "#qr-rotate")
	took := waitJS(tv, "the TV shows a new code", codeOn+` !== `+jsString(old), start, 10*time.Second)
	b.mu.Lock()
	b.timings = append(b.timings, timing{step: "new code now", page: "display", what: "#qr-img a new code", took: took})
	b.mu.Unlock()
	if took > stepLimit {
		t.Errorf("new code now: the TV showed it after %v, want at most %v", took.Round(time.Millisecond), stepLimit)
	}
	if got, want := eval[string](tv, "the TV's new code", codeOn), qrOf(t, api, bar).Code; got != want {
		t.Errorf("after New code now the TV shows %q, want the bar's code %q", got, want)
	}
	b.wait(shows{admin, "#qr-code", qrOf(t, api, bar).Code})
}

// waitThroughReload waits until e holds, like shows.waitFor, on a page
// that may reload meanwhile (a poll then fails and is started again), and
// returns how long it took from start.
func waitThroughReload(e shows, start time.Time, limit time.Duration) time.Duration {
	e.tab.b.t.Helper()
	deadline := start.Add(limit)
	for {
		err := e.waitFor(time.Until(deadline))
		if err == nil {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			e.tab.b.t.Fatalf("waiting until %s: %v\npage text:\n%s", e, err, e.tab.text())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// endAndReopen ends the bar: a phone's scan gets its own screen, the home
// page leaves it out; then reopens it (closed).
func endAndReopen(t *testing.T, b *browser, s *server, admin *tab, api *client, bar, barName string) {
	t.Helper()
	dee := b.person("customer-dee", 390, 844, true)
	dee.goTo("/order/" + bar)
	dee.nameSignIn("Dee")
	b.wait(shows{dee, "#problem h1", "Scan the QR code"})
	code := s.code(t, api, bar)

	admin.goTo("/admin#/bar/" + bar)
	b.wait(shows{admin, "#bar-title", "OPEN"})
	click(admin, "end the event", "#bar-end")
	b.wait(shows{admin, "dialog[open]", "End " + barName + "?"})
	axeBoth(admin, "admin: end dialog")
	confirmYes(admin)
	b.wait(shows{admin, "#bar-title", "ENDED"}, shows{admin, ".notice", "This event has ended"})
	dee.goTo("/order/" + bar + "?code=" + code)
	b.wait(shows{dee, "#problem h1", "This coffee bar has closed for good"})
	saveShot(dee, "admin-17-phone-ended")
	dee.axe("order: bar ended")

	home := b.person("anonymous", 1280, 800, false)
	home.goTo("/")
	b.wait(shows{home, "#bars", "Demo bar"})
	if got := home.visibleText("#bars"); strings.Contains(got, barName) {
		t.Errorf("the home page lists the ended bar: %q", got)
	}
	click(admin, "reopen", "#bar-end")
	confirmYes(admin)
	b.wait(shows{admin, "#bar-title", "CLOSED"})
	home.goTo("/")
	b.wait(shows{home, "#bars", barName})
}

// exportImport downloads the bar from its page (the presso export
// format) and imports it in another deployment's console from its bars
// list; a second import there is refused, the id being taken.
func exportImport(t *testing.T, b *browser, admin *tab, api *client, bar string) {
	t.Helper()
	admin.goTo("/admin#/bar/" + bar)
	b.wait(shows{admin, "#bar-export", "Export"})
	raw := eval[string](admin, "downloading the export", `fetch(document.getElementById('bar-export').href).then((r) => r.text())`)
	var x struct {
		Bar    struct{ ID string }
		Orders []json.RawMessage
	}
	if err := json.Unmarshal([]byte(raw), &x); err != nil || x.Bar.ID != bar || len(x.Orders) != 1 {
		t.Fatalf("the export: bar %q, %d orders (%v), want %s with Ann's order", x.Bar.ID, len(x.Orders), err, bar)
	}
	file := filepath.Join(t.TempDir(), "presso-"+bar+".json")
	if err := os.WriteFile(file, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	other := startServer(t, "")
	there := b.person("admin-elsewhere", 1280, 800, false)
	there.do("the other console", chromedp.Navigate(other.URL+"/admin"))
	there.do("signing in there",
		chromedp.WaitVisible(chromedp.CSS("#signin-user")),
		chromedp.SendKeys(chromedp.CSS("#signin-user"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#signin-pass"), "admin"),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	b.wait(shows{there, "#import-bar", "Import a bar"})
	there.do("importing", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}))
	b.wait(shows{there, "#bar-title", barName(t, api, bar)}, shows{there, "#live", "imported with 1 orders"})
	there.do("back to the list", chromedp.Navigate(other.URL+"/admin#/"))
	b.wait(shows{there, `tr[data-bar="` + bar + `"]`, "1 served"})
	there.do("importing again", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}))
	b.wait(shows{there, ".toast", bar})
	saveShot(there, "admin-19-import-refused")
	there.axe("admin: import refused")
}

// barName is the name of the bar id, as the API says.
func barName(t *testing.T, api *client, id string) string {
	t.Helper()
	var b adminBar
	api.must(200, "GET", "/api/events/"+id, nil, &b)
	return b.Name
}

// myPassword changes the admin's own password in the console; the old one
// no longer signs in, the new one does.
func myPassword(t *testing.T, b *browser, s *server, admin *tab) {
	t.Helper()
	admin.goTo("/admin#/account")
	b.wait(shows{admin, "#main h1", "My password"})
	axeBoth(admin, "admin: my password")
	fill(admin, "#pw-current", "wrong")
	fill(admin, "#pw-new", "harbour-2026")
	fill(admin, "#pw-again", "harbour-2026")
	click(admin, "change", `#main form button[type="submit"]`)
	b.wait(shows{admin, "#pw-current-error", "not your current password"})
	if got := eval[string](admin, "focus", `document.activeElement.id`); got != "pw-current" {
		t.Errorf("after a wrong current password the focus is on %q, want pw-current", got)
	}
	fill(admin, "#pw-current", "admin")
	click(admin, "change", `#main form button[type="submit"]`)
	b.wait(shows{admin, "#pw-done", "Your password is changed"})
	saveShot(admin, "admin-18-password")
	c := s.client(t)
	if got := c.do("POST", "/api/staff/session", map[string]string{"username": "admin", "password": "admin"}, nil); got != 401 {
		t.Errorf("sign-in with the old password: %d, want 401", got)
	}
	c.must(200, "POST", "/api/staff/session", map[string]string{"username": "admin", "password": "harbour-2026"}, nil)
	// The console still works on its fresh session.
	admin.goTo("/admin#/")
	b.wait(shows{admin, "#main h1", "Bars"})
}

// TestBrowserAdminQR checks the console's QR encoder (admin/qr.js, for the
// pairing link) against the server's (github.com/skip2/go-qrcode): for
// byte-mode texts of every version up to 20 both draw the same modules.
func TestBrowserAdminQR(t *testing.T) {
	b, _ := browse(t)
	tb := b.person("admin", 800, 600, false)
	tb.goTo("/admin")
	b.wait(shows{tb, "#signin h1", "Admin sign-in"})
	// No digits, capitals or "$%*+-./: ": those go-qrcode packs in other
	// modes; the console's encoder always uses bytes.
	texts := []string{"a", "pair", "café_über~", "https?//presso_pair/"}
	for _, n := range []int{14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666} {
		var sb strings.Builder
		for i := range n {
			sb.WriteByte("abcdefghijklmnopqrstuvwxyz_~?=&"[(i*7+n)%31])
		}
		texts = append(texts, sb.String())
	}
	for _, text := range texts {
		q, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		q.DisableBorder = true
		var want strings.Builder
		for _, row := range q.Bitmap() {
			for _, dark := range row {
				want.WriteByte(map[bool]byte{true: '#', false: '.'}[dark])
			}
			want.WriteByte('\n')
		}
		got := eval[string](tb, "encoding", fmt.Sprintf(`import('/static/admin/qr.js').then((m) =>
			m.qrMatrix(%s).map((row) => row.map((d) => (d ? '#' : '.')).join('') + '\n').join(''))`, jsString(text)))
		if got != want.String() {
			t.Errorf("QR of %q (%d bytes, version %d): qr.js differs from go-qrcode:\nqr.js:\n%s\ngo-qrcode:\n%s", text, len(text), q.VersionNumber, got, want.String())
		} else {
			t.Logf("QR of %d bytes: version %d, the same as go-qrcode", len(text), q.VersionNumber)
		}
	}
}
