package main

// The apps in other languages, in headless Chromium: a whole order in
// German on a phone whose language is German, the language choice and
// plural rules of ui/static/shared/i18n.js, and the Japanese menu at
// 320 px.
//
//	go test -count=1 -run 'TestBrowserLanguage' -v ./cmd/presso/

import (
	"context"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// speak makes the tab's browser prefer lang (navigator.languages and
// Accept-Language) and format in its locale (Intl).
func speak(tb *tab, acceptLanguage, locale string) {
	tb.b.t.Helper()
	tb.do("language "+acceptLanguage, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		ua, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
		if err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: acceptLanguage}); err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: locale})
		return err
	}))
}

// TestBrowserLanguageGerman orders a drink on a phone set to German: every
// screen is in German (the bar allows the customer's language, the
// default), the page says lang="de", and the history's date is formatted
// the German way through Intl.
func TestBrowserLanguageGerman(t *testing.T) {
	b, s, admin := browseDemo(t)

	de := b.person("kunde", 390, 844, true)
	speak(de, "de-DE,de;q=0.9", "de_DE")
	de.goTo("/order/demo?code=" + s.code(t, admin, "demo"))
	b.wait(shows{de, "#signin h1", "Zum Bestellen anmelden"}, shows{de, "#signin label", "Dein Name"})
	if got := eval[string](de, "languages", `document.documentElement.lang + ' ' + navigator.languages[0]`); got != "de de-DE" {
		t.Errorf("lang and navigator.languages[0] = %q, want %q", got, "de de-DE")
	}
	saveShot(de, "i18n-de-1-signin")
	axeBoth(de, "order (de): sign-in")

	de.nameSignIn("Jürgen")
	b.wait(shows{de, "#menu h1", "Wähle dein Getränk"}, shows{de, "#menu .countdown-text", "Zeit zum Auswählen"},
		shows{de, "#who", "Angemeldet als Jürgen"}, shows{de, "#nav-history", "Meine Bestellungen"})
	de.do("Flat White with Oat",
		chromedp.Click(chromedp.CSS(`input[name="drink"][value="flat-white"]`)),
		chromedp.Click(chromedp.CSS(`input[name="mod:milk"][value="oat"]`)))
	saveShot(de, "i18n-de-2-menu")
	axeBoth(de, "order (de): menu")

	de.do("bestellen", chromedp.Click(chromedp.CSS(`#menu button[type="submit"]`)))
	b.wait(shows{de, "#status h1", "Bestellung #1"}, shows{de, "#status .status-big", "In der Warteschlange"},
		shows{de, "#status .position", "Du bist als Nächstes dran!"}, shows{de, "#status .receipt", "Flat White · Oat"},
		shows{de, "#status button.btn-danger-outline", "Bestellung stornieren"})
	saveShot(de, "i18n-de-3-queued")

	queued := onlyQueued(t, admin, "demo").ID
	admin.must(200, "POST", "/api/orders/"+queued+"/make", nil, nil)
	b.wait(shows{de, "#status .status-big", "Dein Getränk wird zubereitet"}, shows{de, "#live", "Bestellung 1 wird zubereitet."})
	admin.must(200, "POST", "/api/orders/"+queued+"/complete", nil, nil)
	b.wait(shows{de, "#status .status-big", "Abholbereit!"}, shows{de, "#live", "Bestellung 1 ist abholbereit."})
	saveShot(de, "i18n-de-4-ready")
	axeBoth(de, "order (de): ready")

	de.do("Meine Bestellungen", chromedp.Click(chromedp.CSS("#nav-history")))
	b.wait(shows{de, "#history h1", "Meine Bestellungen"}, shows{de, "#history .past-state", "fertig"})
	// Intl in German: "5. März 2026, 14:05" or "05.03.2026, 14:05".
	when := de.visibleText("#history .past-when")
	if !regexp.MustCompile(`^\d{1,2}\.( \p{L}+\.?|\d{2}\.) ?\d{4}, \d{2}:\d{2}$`).MatchString(when) {
		t.Errorf("history date %q is not in the German format", when)
	}
	saveShot(de, "i18n-de-5-history")

	b.reportAxe("i18n")
}

// TestBrowserLanguageChoice runs shared/i18n.js in the browser: which
// language a list of wanted tags gets, and plural forms per language.
func TestBrowserLanguageChoice(t *testing.T) {
	b, _ := browse(t)
	tb := b.person("anyone", 800, 600, false)
	tb.goTo("/")
	b.wait(shows{tb, "#bars", "Demo bar"})
	for _, tc := range []struct{ js, want string }{
		{`m.pickLanguage(['de-AT', 'en'], 'fr')`, "de"},
		{`m.pickLanguage(['pt-BR', 'es-MX'], 'en')`, "es"},
		{`m.pickLanguage(['pt-BR', 'nl'], 'fr')`, "fr"},                         // none known: the bar's
		{`m.pickLanguage(['pt-BR'], 'xx')`, "en"},                               // nor the bar's: English
		{`m.pickLanguage([], 'ja')`, "ja"},                                      // a device that says nothing
		{`m.pickLanguage(['JA-jp'], 'en')`, "ja"},                               // tags are case-insensitive
		{`new m.Strings('fr', {x_one: 'un', x_other: 'plus'}).n('x', 0)`, "un"}, // French: 0 is singular
		{`new m.Strings('en', {x_one: 'one', x_other: '{n} more'}).n('x', 0)`, "0 more"},
		{`new m.Strings('ja', {x_one: 'one', x_other: '{n} 件'}).n('x', 1)`, "1 件"}, // Japanese has no singular
		{`new m.Strings('de', {a: 'für {name}, {name}'}).t('a', {name: 'Zoë'})`, "für Zoë, Zoë"},
		{`new m.Strings('en', {a: '{missing} stays'}).t('a', {})`, "{missing} stays"},
	} {
		got := eval[string](tb, tc.js, `import('/static/shared/i18n.js').then((m) => String(`+tc.js+`))`)
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.js, got, tc.want)
		}
	}
}

// TestBrowserLanguageJapanese shows the menu in Japanese at 320 px: the
// header and buttons fit, and the page does not scroll sideways.
func TestBrowserLanguageJapanese(t *testing.T) {
	b, s, admin := browseDemo(t)
	ja := b.person("kyaku", 320, 568, true)
	speak(ja, "ja-JP,ja", "ja_JP")
	ja.goTo("/order/demo?code=" + s.code(t, admin, "demo"))
	b.wait(shows{ja, "#signin h1", "ログインして注文"})
	ja.nameSignIn("佐藤")
	b.wait(shows{ja, "#menu h1", "ドリンクを選んでください"}, shows{ja, "#nav-signout", "ログアウト"})
	if sw := eval[float64](ja, "scroll width", `document.scrollingElement.scrollWidth - innerWidth`); sw > 0 {
		t.Errorf("Japanese menu at 320 px scrolls sideways by %v px", sw)
	}
	saveShot(ja, "i18n-ja-320-menu")
	ja.axe("order (ja): menu")
}
