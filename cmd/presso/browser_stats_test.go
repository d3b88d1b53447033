package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserStats: the stats page follows the bar live (the count of
// completed orders and the ready ones move within 2 s of an order's
// completion), draws its charts as SVG, prints as the day's report, and
// links each order to its journey, which draws the workflow with the
// order's path and lists every step. The barista board links to both; a
// customer's phone shows the wait estimate and its timeline once the bar
// has the data, and so does the display. axe on every page.
func TestBrowserStats(t *testing.T) {
	b, s, admin := browseAdmin(t)
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{
		"drinksPerCode": 100, "windowSeconds": 86400, "maxQueue": 100, "maxPerCustomer": 5}}, nil)
	barista := s.staff(t, "barista", "barista")

	// Five orders made and completed: enough for the wait estimate.
	for i := range 5 {
		statsOrder(t, s, admin, barista, s.customer(t, fmt.Sprintf("Early %d", i)), "flat-white", i%2 == 0)
	}

	stats := b.person("stats", 1280, 900, false)
	stats.staffSignIn("stats", "demo", "barista", "barista")
	b.wait(shows{stats, "#count-completed", "5"}, shows{stats, "#now-ready", "2"})
	if n := eval[int](stats, "chart bars", `document.querySelectorAll('#hours-chart rect').length`); n < 2 {
		t.Errorf("the orders-per-hour chart has %d bars, want its hours' bars", n)
	}
	if n := eval[int](stats, "wait points", `document.querySelectorAll('#wait-chart circle').length`); n < 1 {
		t.Errorf("the wait chart has %d points, want this hour's", n)
	}
	stats.axe("stats")

	var o apiOrder
	ann := s.customer(t, "Ann")
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &o)
	ann.must(200, "PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "cappuccino"}, &o)
	b.step("queued", func() {}, shows{stats, "#now-queued", "1"})
	barista.must(200, "POST", "/api/orders/"+o.ID+"/make", nil, nil)
	b.step("complete", func() { barista.must(200, "POST", "/api/orders/"+o.ID+"/complete", nil, nil) },
		shows{stats, "#count-completed", "6"}, shows{stats, "#now-ready", "3"}, shows{stats, "#now-making", "0"})
	stats.shot("stats-live")
	printMedia(stats, "print")
	if got := eval[bool](stats, "print view", `getComputedStyle(document.querySelector('.tools')).display === 'none' &&
		getComputedStyle(document.getElementById('report-title')).display !== 'none'`); !got {
		t.Errorf("in print the tools show or the report title does not")
	}
	stats.shot("stats-print")
	printMedia(stats, "")

	// The stats page's orders link to their journeys.
	href := eval[string](stats, "the journey link", fmt.Sprintf(`document.querySelector('a.journey-link[href^="/journey/%s"]')?.getAttribute('href') ?? ''`, o.ID))
	if href != "/journey/"+o.ID+"?event=demo" {
		t.Fatalf("the stats page links order %d to %q", o.Number, href)
	}
	stats.goTo(href)
	b.wait(shows{stats, "#title", fmt.Sprintf("Order %d", o.Number)}, shows{stats, "#timeline", "complete"})
	if got := eval[int](stats, "path", `document.querySelectorAll('.edge-taken').length`); got != 4 {
		t.Errorf("the diagram highlights %d transitions, want 4 (redeem, submit, make, complete)", got)
	}
	steps := eval[string](stats, "timeline", `[...document.querySelectorAll('#timeline .entry-transition strong')].map((e) => e.textContent).join(' ')`)
	if steps != "redeem submit make complete" {
		t.Errorf("the timeline's transitions = %q, want redeem submit make complete", steps)
	}
	if text := stats.visibleText("#timeline"); !strings.Contains(text, "by Ann") || !strings.Contains(text, "by barista") {
		t.Errorf("the timeline does not name the actors:\n%s", text)
	}
	stats.axe("journey")
	stats.shot("journey")
	// It follows the order: collecting it shows at once.
	b.step("collect on the journey", func() { barista.must(200, "POST", "/api/orders/"+o.ID+"/collect", nil, nil) },
		shows{stats, "#timeline", "collect"})

	// The barista board links to the stats and to each order's journey.
	board := b.person("barista", 1280, 800, false)
	board.staffSignIn("barista", "demo", "barista", "barista")
	var q apiOrder
	bob := s.customer(t, "Bob")
	bob.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": s.code(t, admin, "demo")}, &q)
	bob.must(200, "PUT", "/api/orders/"+q.ID+"/drink", map[string]any{"drink": "flat-white"}, &q)
	b.wait(shows{board, "#new .card-order", fmt.Sprintf("#%d", q.Number)})
	if got := eval[string](board, "links", `document.getElementById('stats-link').getAttribute('href') + ' ' +
		document.querySelector('#new .card-order a.journey').getAttribute('href')`); got != "/stats/demo /journey/"+q.ID+"?event=demo" {
		t.Errorf("board links = %q", got)
	}
	board.axe("barista: with links")

	// Bob's phone: the estimate and the timeline; the display: the estimate.
	phone := b.person("customer", 390, 844, true)
	phone.goTo("/order/demo")
	phone.do("the phone's session", chromedp.Evaluate[chromedp.Void](`fetch('/api/customer/session', {method: 'POST',
		headers: {'Content-Type': 'application/json'}, body: JSON.stringify({eventId: 'demo', name: 'Cy'})})`, chromedp.EvalAwaitPromise))
	phone.customerOrder(t, s, admin)
	b.wait(shows{phone, "#status .eta", "Ready in about"}, shows{phone, "#status .timeline", "Ordered"},
		shows{phone, "#status .timeline", "Number"})
	phone.axe("order: estimate and timeline")
	phone.shot("order-estimate")
	display := b.person("display", 1920, 1080, false)
	display.staffSignIn("display", "demo", "display", "display")
	b.wait(shows{display, "#made .order .tag", "min"})
	display.axe("display: estimates")
	b.report("stats-axe.txt", "axe-core on the stats, journey and estimate screens", b.a11yTable())
}

// printMedia makes the tab render for print, or ("") for the screen again.
func printMedia(tb *tab, media string) {
	tb.b.t.Helper()
	tb.do("media "+media, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	}))
}

// customerOrder orders a flat white as the tab's signed-in customer
// through the API (in the page, with its cookies), then opens the order
// app on it.
func (tb *tab) customerOrder(t *testing.T, s *server, admin *client) {
	t.Helper()
	code := s.code(t, admin, "demo")
	eval[string](tb, "order through the page", fmt.Sprintf(`(async () => {
		const o = await (await fetch('/api/events/demo/orders', {method: 'POST', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({code: %q})})).json();
		await fetch('/api/orders/' + o.id + '/drink', {method: 'PUT', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({drink: 'flat-white'})});
		return o.id;
	})()`, code))
	tb.goTo("/order/demo")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tb.visibleText("#status"), "Order") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}
