package main

// Layout tests in headless Chromium: the Display at five TV sizes with a
// busy board, the Barista board in a rush, the Order app at 320 px, in
// landscape and in dark mode, with axe-core on each screen in light and
// dark mode. Screenshots go where browser_test.go puts them, named
// layout-<screen>-<size>.png; look at them.
//
//	go test -count=1 -run 'TestBrowserLayout' -v ./cmd/presso/

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// colorScheme makes the tab's prefers-color-scheme light or dark.
func colorScheme(tb *tab, scheme string) {
	tb.b.t.Helper()
	tb.do("prefers-color-scheme: "+scheme, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// axeBoth runs axe on the page as it is, in light and then dark mode, and
// leaves the tab light.
func axeBoth(tb *tab, page string) {
	tb.b.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		colorScheme(tb, scheme)
		tb.axe(page + " (" + scheme + ")")
	}
	colorScheme(tb, "light")
}

// rushCustomer is one order for a busy board.
type rushCustomer struct {
	name, drink, milk string
}

// rushCustomers have long, short and non-Latin names; several drinks are
// the same, so the barista board has something to batch.
var rushCustomers = []rushCustomer{
	{"Zoë 李", "flat-white", "oat"},
	{"Maximilian-Alexander Müller-Lüdenscheidt", "big-latte", "soy"},
	{"Ann", "flat-white", "oat"},
	{"Siobhán Ní Bhriain", "cappuccino", "regular"},
	{"José María", "double-espresso", ""},
	{"佐藤 花子", "flat-white", "oat"},
	{"Ngozi Okonkwo-Adebayo", "americano", "regular"},
	{"Bob", "big-latte", "oat"},
	{"Ayşe Yılmaz", "cappuccino", "oat"},
	{"Priya Ramaswamy", "single-espresso", ""},
	{"Li", "flat-white", "oat"},
	{"Олександра Шевченко", "americano", "soy"},
	{"Kai", "cappuccino", "regular"},
	{"Émilie", "big-latte", "regular"},
	{"Tom", "flat-white", "oat"},
	{"Wanjiru", "americano", "oat"},
}

// longDrink is the menu item whose name is longest: it must wrap, never
// be cut.
const longDrink = "Extra Large Caramel Hazelnut Macchiato"

// rushBar gives the demo bar room for a rush (codes, queue and customer
// limits raised, day-long windows) and a drink with a long name and a
// third milk.
func rushBar(t *testing.T, admin *client) {
	t.Helper()
	var bar struct {
		Menu []map[string]any `json:"menu"`
	}
	admin.must(200, "GET", "/api/events/demo", nil, &bar)
	milk := []map[string]any{{"id": "milk", "name": "Milk", "default": "regular", "options": []map[string]string{
		{"id": "regular", "name": "Regular"}, {"id": "oat", "name": "Oat"}, {"id": "soy", "name": "Soy"}}}}
	for _, item := range bar.Menu {
		if mods, _ := item["modifiers"].([]any); len(mods) > 0 {
			item["modifiers"] = milk
		}
	}
	bar.Menu = append(bar.Menu, map[string]any{"id": "big-latte", "name": longDrink, "icon": "latte", "available": true, "modifiers": milk})
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"menu": bar.Menu, "limits": map[string]int{
		"drinksPerCode": 100, "windowSeconds": 86400, "maxQueue": 100, "maxPerCustomer": 10}}, nil)
}

// placeOrders queues one order per customer through the API, each signed
// in by name on the demo bar, and returns their ids in order.
func placeOrders(t *testing.T, s *server, admin *client, people []rushCustomer) []string {
	t.Helper()
	var ids []string
	for _, p := range people {
		c := s.client(t)
		c.must(200, "POST", "/api/customer/session", map[string]string{"eventId": "demo", "name": p.name}, nil)
		var o apiOrder
		c.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
		mods := map[string]string{}
		if p.milk != "" {
			mods["milk"] = p.milk
		}
		c.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": p.drink, "modifiers": mods}, nil)
		ids = append(ids, o.ID)
	}
	return ids
}

// displayLayout is what the Display's layout check measures.
type displayLayout struct {
	VW, VH             float64
	ScrollW, ScrollH   float64
	QR                 struct{ Left, Top, Right, Bottom float64 }
	Shown, Made, Ready int
	More               []string
	Bad                []string
	NameFont, ModFont  float64
}

// displayCheck measures the Display: where the QR code is, whether the
// page scrolls, and for every shown order whether its number and drink
// are cut (scrollWidth > clientWidth) or lie outside the screen or their
// column.
const displayCheck = `(async () => {
	// A refit after a resize runs in the next frame (ResizeObserver): let
	// two frames pass so what is measured is what stays on screen.
	await new Promise((done) => {
		let n = 0;
		const frame = () => (++n === 2 ? done() : requestAnimationFrame(frame));
		requestAnimationFrame(frame);
		setTimeout(done, 1000);
	});
	const se = document.scrollingElement;
	const r = (el) => el.getBoundingClientRect();
	const q = r(document.getElementById('qr-img'));
	const bad = [];
	const orders = [...document.querySelectorAll('.order')];
	for (const li of orders) {
		const col = r(li.closest('.col'));
		const box = r(li);
		const num = li.querySelector('.num').textContent;
		if (box.bottom > col.bottom + 0.5 || box.right > col.right + 0.5) bad.push('order ' + num + ' sticks out of its column');
		for (const el of li.querySelectorAll('.num, .drink, .who, .mod')) {
			if (el.hidden) continue;
			const b = r(el);
			if (el.scrollWidth > el.clientWidth) bad.push(el.className + ' of order ' + num + ' is cut: ' + el.scrollWidth + ' > ' + el.clientWidth);
			if (b.left < 0 || b.top < 0 || b.right > innerWidth || b.bottom > innerHeight) bad.push(el.className + ' of order ' + num + ' is off screen');
			if (getComputedStyle(el).textOverflow === 'ellipsis') bad.push(el.className + ' of order ' + num + ' has an ellipsis');
		}
	}
	const size = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
	return JSON.stringify({
		vw: innerWidth, vh: innerHeight, scrollW: se.scrollWidth, scrollH: se.scrollHeight,
		qr: {left: q.left, top: q.top, right: q.right, bottom: q.bottom},
		shown: orders.length, made: document.querySelectorAll('#made .order').length, ready: document.querySelectorAll('#ready .order').length,
		more: [...document.querySelectorAll('.more:not([hidden])')].map((e) => e.textContent),
		bad, nameFont: size('.order .who'), modFont: size('.order .mod'),
	});
})()`

// TestBrowserLayoutDisplay shows a board of 12 orders (long and non-Latin
// names, a long drink, milks) on the Display at 960×540, 1280×720,
// 1920×1080, 3840×2160 and portrait 1080×1920: the whole QR code is on
// screen, no shown order's number or drink is cut, nothing scrolls, names
// and milks are large, and the staff tools stay hidden until asked for.
// Then the Barista board at 1280×800 with 10 new orders shows at least 8
// of them whole, each with its customer's name.
func TestBrowserLayoutDisplay(t *testing.T) {
	b, s, admin := browseAdmin(t)
	barista := s.staff(t, "barista", "barista")
	rushBar(t, admin)
	ids := placeOrders(t, s, admin, rushCustomers[:12])
	// 6 queued, 2 being made (one by each barista account), 4 ready.
	for i, id := range ids[:6] {
		by := admin
		if i%2 == 1 {
			by = barista
		}
		by.must(200, "POST", "/api/orders/"+id+"/make", nil, nil)
	}
	for _, id := range ids[:4] {
		admin.must(200, "POST", "/api/orders/"+id+"/complete", nil, nil)
	}

	display := b.person("display", 1920, 1080, false)
	display.staffSignIn("display", "demo", "display", "display")
	b.wait(shows{display, "#qr-left", "drinks left"}, shows{display, "#ready", "Zoë"})
	if got := eval[bool](display, "staff tools", `document.getElementById('tools').checkVisibility()`); got {
		t.Errorf("the staff tools (chime, sign out) are on the public screen before anyone asked for them")
	}
	for _, size := range []struct{ w, h int64 }{{960, 540}, {1280, 720}, {1920, 1080}, {3840, 2160}, {1080, 1920}} {
		name := fmt.Sprintf("%dx%d", size.w, size.h)
		display.do("resize to "+name, chromedp.EmulateViewport(size.w, size.h))
		display.goTo("/display/demo")
		b.wait(shows{display, "#qr-left", "drinks left"}, shows{display, "#ready .order", ""})
		// The QR image loads, then the columns are fitted; wait for both.
		display.do("QR loaded", chromedp.Poll[chromedp.Void](`document.getElementById('qr-img').complete && document.getElementById('qr-img').naturalWidth > 0`))
		var got displayLayout
		if err := json.Unmarshal([]byte(eval[string](display, "measuring "+name, displayCheck)), &got); err != nil {
			t.Fatal(err)
		}
		t.Logf("display %s: %d orders shown (%d being made, %d ready), %v; QR %.0f,%.0f–%.0f,%.0f; name %.0f px, milk %.0f px",
			name, got.Shown, got.Made, got.Ready, got.More, got.QR.Left, got.QR.Top, got.QR.Right, got.QR.Bottom, got.NameFont, got.ModFont)
		if got.VW != float64(size.w) || got.VH != float64(size.h) {
			t.Fatalf("display %s: viewport %vx%v", name, got.VW, got.VH)
		}
		if got.QR.Left < 0 || got.QR.Top < 0 || got.QR.Right > got.VW || got.QR.Bottom > got.VH || got.QR.Right-got.QR.Left < 0.2*min(got.VW, got.VH) {
			t.Errorf("display %s: QR code at %+v, want it whole on the %vx%v screen and at least a fifth of it", name, got.QR, got.VW, got.VH)
		}
		if got.ScrollW > got.VW || got.ScrollH > got.VH {
			t.Errorf("display %s: the page scrolls: %vx%v content in a %vx%v viewport", name, got.ScrollW, got.ScrollH, got.VW, got.VH)
		}
		for _, bad := range got.Bad {
			t.Errorf("display %s: %s", name, bad)
		}
		// Every order is either shown or counted in "+ N more".
		more := 0
		for _, m := range got.More {
			var n int
			fmt.Sscanf(strings.TrimPrefix(m, "+ "), "%d", &n)
			more += n
		}
		if got.Shown+more != 12 || got.Made < 2 || got.Ready < 2 {
			t.Errorf("display %s: %d shown (%d being made, %d ready) + %d more, want all 12 accounted for and at least 2 in each column", name, got.Shown, got.Made, got.Ready, more)
		}
		// Legible from across a room: names and milks at least 2.4% of the
		// screen's shorter side (26 px on a 1080p panel).
		if floor := 0.024 * min(got.VW, got.VH); got.NameFont < floor || got.ModFont < floor {
			t.Errorf("display %s: names %.1f px and milks %.1f px, want at least %.1f", name, got.NameFont, got.ModFont, floor)
		}
		saveShot(display, "layout-display-"+name)
	}
	display.do("back to 1920x1080", chromedp.EmulateViewport(1920, 1080))
	display.goTo("/display/demo")
	b.wait(shows{display, "#ready", "Zoë"})
	axeBoth(display, "display: busy board")
	// Staff reveal the tools with the corner button; Escape hides them.
	display.do("open the staff tools", chromedp.Click(chromedp.CSS("#staff-toggle")), chromedp.WaitVisible(chromedp.CSS("#signout")))
	if got := eval[string](display, "toggle state", `document.getElementById('staff-toggle').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("staff toggle aria-expanded = %q after opening, want true", got)
	}
	saveShot(display, "layout-display-staff-tools")
	display.axe("display: staff tools open")

	// The barista board in a rush: four more customers make 10 new orders.
	placeOrders(t, s, admin, rushCustomers[12:16])
	board := b.person("barista", 1280, 800, false)
	board.staffSignIn("barista", "demo", "barista", "barista")
	b.wait(shows{board, "#new-title", "(10)"}, shows{board, "#making", "yours"}, shows{board, "#ready", "Call again"})
	checkBarista(t, board, 10)
	axeBoth(board, "barista: rush")
	shotBoth(board, "layout-barista-1280x800")

	// Identical waiting drinks are flagged: Li's and Tom's Flat White Oat.
	if got := board.visibleText("#batches"); !strings.Contains(got, "× Flat White Oat") {
		t.Errorf("batches = %q, want identical Flat White Oat orders flagged", got)
	}

	// A tablet that makes only espresso drinks: the filter is kept in
	// localStorage and named in the header.
	board.do("filter", chromedp.Click(chromedp.CSS("#filter")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	saveShot(board, "layout-barista-filter")
	board.axe("barista: drink filter")
	board.do("espressos only",
		chromedp.Click(chromedp.CSS(`dialog[open] input[value="single-espresso"]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] input[value="double-espresso"]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] button[value="save"]`)))
	b.wait(shows{board, "#filter", "Drinks: 2 of 6"}, shows{board, "#new-title", "of 10"})
	board.goTo("/barista/demo")
	b.wait(shows{board, "#filter", "Drinks: 2 of 6"}, shows{board, "#new-title", "(1 of 10)"})
	saveShot(board, "layout-barista-filtered")

	// The walk-up form (its API may not exist yet: the form still opens).
	board.do("walk-up", chromedp.Click(chromedp.CSS("#walkup")), chromedp.WaitVisible(chromedp.CSS("#walkup-name")))
	saveShot(board, "layout-barista-walkup")
	axeBoth(board, "barista: walk-up form")

	b.reportAxe("layout-display")
}

// checkBarista checks the board at its viewport: the header with the
// open/closed state on screen, at least want-2 of the New lane's cards
// whole on screen, and every card naming its customer with each modifier
// as a coloured tag.
func checkBarista(t *testing.T, board *tab, want int) {
	t.Helper()
	var got struct {
		Header          struct{ Top, Bottom float64 }
		State           bool
		Visible, Cards  int
		Lanes           map[string]int
		Nameless, Plain []string
		ScrollH, VH     float64
	}
	js := `(() => {
		const r = (el) => el.getBoundingClientRect();
		const whole = (el) => { const b = r(el), l = r(el.closest('.cards'));
			return b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight && b.right <= innerWidth && b.top >= l.top - 0.5 && b.bottom <= l.bottom + 0.5; };
		const lanes = {};
		for (const id of ['new', 'making', 'ready']) lanes[id] = [...document.querySelectorAll('#' + id + ' .card-order')].filter(whole).length;
		const cards = [...document.querySelectorAll('.card-order')];
		const h = r(document.querySelector('.top'));
		return JSON.stringify({
			header: {top: h.top, bottom: h.bottom}, state: document.getElementById('store-state').checkVisibility(),
			visible: lanes.new, cards: document.querySelectorAll('#new .card-order').length, lanes,
			nameless: cards.filter((c) => !c.querySelector('.cust')?.textContent.startsWith('for ')).map((c) => c.querySelector('.num').textContent),
			plain: [...document.querySelectorAll('.mod:not(.mod-default)')].filter((m) => getComputedStyle(m).backgroundColor === 'rgba(0, 0, 0, 0)').map((m) => m.textContent),
			scrollH: document.scrollingElement.scrollHeight, vh: innerHeight,
		});
	})()`
	if err := json.Unmarshal([]byte(eval[string](board, "measuring the board", js)), &got); err != nil {
		t.Fatal(err)
	}
	t.Logf("barista board: %d of %d new orders whole on screen; whole per lane %v; header %v", got.Visible, got.Cards, got.Lanes, got.Header)
	if got.Cards != want || got.Visible < 8 {
		t.Errorf("barista board: %d of %d new orders whole on screen, want %d orders and at least 8 whole", got.Visible, got.Cards, want)
	}
	if got.Header.Top < 0 || got.Header.Bottom > 120 || !got.State {
		t.Errorf("barista board: header at %v (open/closed shown: %v), want it at the top of the screen", got.Header, got.State)
	}
	if got.ScrollH > got.VH {
		t.Errorf("barista board: the page scrolls (%v > %v); lanes should scroll under a fixed header", got.ScrollH, got.VH)
	}
	if len(got.Nameless) > 0 {
		t.Errorf("barista board: cards %v do not show the customer's name", got.Nameless)
	}
	if len(got.Plain) > 0 {
		t.Errorf("barista board: modifiers %v are not coloured tags", got.Plain)
	}
	// Scrolling a lane leaves the header where it is.
	if top := eval[float64](board, "scroll a lane", `(() => { document.getElementById('new').scrollTop = 500; return document.querySelector('.top').getBoundingClientRect().top; })()`); top != 0 {
		t.Errorf("barista board: header top = %v after scrolling the New lane, want 0", top)
	}
	eval[float64](board, "scroll back", `document.getElementById('new').scrollTop = 0`)
}

// phoneHeader measures the Order app's header on a narrow phone: whether
// the page scrolls sideways, how many lines the bar's name takes and
// whether any word of it is split over two lines.
const phoneHeader = `(() => {
	const el = document.getElementById('bar-name');
	const text = el.firstChild;
	const words = [];
	for (const m of text.data.matchAll(/\S+/g)) {
		const range = document.createRange();
		range.setStart(text, m.index);
		range.setEnd(text, m.index + m[0].length);
		const lines = new Set([...range.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
		words.push({word: m[0], lines: lines.size, width: range.getBoundingClientRect().width});
	}
	return JSON.stringify({
		scrollW: document.scrollingElement.scrollWidth, vw: innerWidth,
		height: el.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(el).lineHeight),
		width: el.clientWidth, words,
	});
})()`

// checkPhone fails the test if the page scrolls sideways or the bar's name
// takes more than two lines or breaks inside a word.
func checkPhone(t *testing.T, tb *tab, where string) {
	t.Helper()
	var got struct {
		ScrollW, VW, Height, LineHeight, Width float64
		Words                                  []struct {
			Word  string
			Lines int
			Width float64
		}
	}
	if err := json.Unmarshal([]byte(eval[string](tb, "measuring the header", phoneHeader)), &got); err != nil {
		t.Fatal(err)
	}
	if got.ScrollW > got.VW {
		t.Errorf("%s: the page scrolls sideways: %v > %v", where, got.ScrollW, got.VW)
	}
	if lines := got.Height / got.LineHeight; lines < 0.9 || lines > 2.1 {
		t.Errorf("%s: the bar's name takes %.1f lines (%v px at %v px a line), want one or two", where, lines, got.Height, got.LineHeight)
	}
	if len(got.Words) < 3 {
		t.Errorf("%s: bar name words %+v", where, got.Words)
	}
	for _, w := range got.Words {
		if w.Lines != 1 || w.Width > got.Width+0.5 {
			t.Errorf("%s: the word %q of the bar's name spans %d lines, %.0f px in %.0f", where, w.Word, w.Lines, w.Width, got.Width)
		}
	}
}

// TestBrowserLayoutPhone takes a customer through the Order app on a
// 320×568 phone with a long bar name: no sideways scroll and the name
// whole, word by word, on every screen; Back moves between screens without
// losing the order; a reload keeps the chosen drink; landscape works; and
// every screen passes axe in light and dark mode.
func TestBrowserLayoutPhone(t *testing.T) {
	b, s, admin := browseAdmin(t)
	const barName = "Nordlicht Kaffeebar & Rösterei am Hafen"
	admin.must(201, "POST", "/api/events", map[string]any{"id": "hafen", "name": barName, "open": true, "signInMode": "name",
		"limits": map[string]int{"drinksPerCode": 10, "windowSeconds": 86400, "maxQueue": 20, "maxPerCustomer": 5}}, nil)

	cy := b.person("customer", 320, 568, true)
	cy.goTo("/order/hafen?code=" + s.code(t, admin, "hafen"))
	b.wait(shows{cy, "#signin h1", "Sign in to order"}, shows{cy, "#bar-name", "Rösterei"})
	checkPhone(t, cy, "sign-in at 320 px")
	axeBoth(cy, "order: sign-in at 320 px")
	shotBoth(cy, "layout-phone-320-signin")

	cy.nameSignIn("Zoë 李")
	b.wait(shows{cy, "#menu h1", "Choose your drink"})
	checkPhone(t, cy, "menu at 320 px")
	// A reload keeps the chosen drink and milk.
	cy.do("choosing", chromedp.Click(chromedp.CSS(`input[name="drink"][value="cappuccino"]`)), chromedp.Click(chromedp.CSS(`input[name="mod:milk"][value="oat"]`)))
	cy.do("reload", chromedp.Reload())
	b.wait(shows{cy, "#menu h1", "Choose your drink"})
	if got := eval[string](cy, "choice after reload", `[...document.querySelectorAll('#menu input:checked')].map((i) => i.value).join(' ')`); got != "cappuccino oat" {
		t.Errorf("after a reload the menu has %q checked, want %q", got, "cappuccino oat")
	}
	axeBoth(cy, "order: menu at 320 px")
	shotBoth(cy, "layout-phone-320-menu")

	cy.do("ordering", chromedp.Click(chromedp.CSS(`#menu button[type="submit"]`)))
	b.wait(shows{cy, "#status .status-big", "In the queue"}, shows{cy, "#status .receipt", "Cappuccino · Oat"})
	checkPhone(t, cy, "status at 320 px")
	axeBoth(cy, "order: queued at 320 px")
	shotBoth(cy, "layout-phone-320-status")

	// Back: from My orders to the order, and from the order no further
	// into the app than the order itself (never the menu again).
	cy.do("my orders", chromedp.Click(chromedp.CSS("#nav-history")))
	b.wait(shows{cy, "#history h1", "My orders"}, shows{cy, "#history .past", "Cappuccino"})
	axeBoth(cy, "order: history at 320 px")
	cy.do("browser back", chromedp.NavigateBack())
	b.wait(shows{cy, "#status .status-big", "In the queue"})
	if got := eval[string](cy, "path", `location.pathname`); got != "/order/hafen" {
		t.Errorf("after Back the page is %q, want the order app", got)
	}
	cy.do("forward", chromedp.NavigateForward())
	b.wait(shows{cy, "#history h1", "My orders"})
	cy.do("the history's own Back", chromedp.Click(chromedp.CSS("#history button.wide")))
	b.wait(shows{cy, "#status .status-big", "In the queue"})

	// Landscape: the same screens with little height.
	cy.do("landscape", chromedp.EmulateViewport(568, 320, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateLandscape))
	b.wait(shows{cy, "#status .status-big", "In the queue"})
	if sw := eval[float64](cy, "scroll width", `document.scrollingElement.scrollWidth - innerWidth`); sw > 0 {
		t.Errorf("landscape 568×320: the page scrolls sideways by %v px", sw)
	}
	saveShot(cy, "layout-phone-landscape-status")

	// Ready, as the phone shows it, in dark mode.
	zoes := onlyQueued(t, admin, "hafen").ID
	admin.must(200, "POST", "/api/orders/"+zoes+"/make", nil, nil)
	admin.must(200, "POST", "/api/orders/"+zoes+"/complete", nil, nil)
	cy.do("portrait", chromedp.EmulateViewport(320, 568, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	b.wait(shows{cy, "#status .status-big", "Ready for pickup"})
	axeBoth(cy, "order: ready at 320 px")
	shotBoth(cy, "layout-phone-320-ready")

	b.reportAxe("layout")
}
