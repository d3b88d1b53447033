package ui

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPages(t *testing.T) {
	// assetURL matches the hashed asset URLs a page refers to.
	assetURL := regexp.MustCompile(`/static/[0-9a-f]{16}/[A-Za-z0-9_./-]+`)
	for _, dev := range []bool{false, true} {
		h := New(dev)
		for _, tc := range []struct {
			path   string
			script string // the page's own module
			event  string // data-event on <body>
		}{
			{"/", "home/home.js", ""},
			{"/display/demo", "display/display.js", "demo"},
			{"/barista/demo", "barista/barista.js", "demo"},
			{"/order/demo?code=abc123", "order/order.js", "demo"},
			{"/poster/demo", "poster/poster.js", "demo"},
			{"/display/bar_2-x", "display/display.js", "bar_2-x"},
			{"/admin", "admin/admin.js", ""},
			{"/pair", "pair/pair.js", ""},
			{"/stats/demo", "stats/stats.js", "demo"},
			{"/journey/o_abc?event=demo", "journey/journey.js", ""},
		} {
			res := get(t, h, tc.path)
			page := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("dev=%v GET %s: status %d, want 200", dev, tc.path, res.StatusCode)
			}
			for k, want := range map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"Cache-Control":          "no-cache",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("dev=%v GET %s: %s = %q, want %q", dev, tc.path, k, got, want)
				}
			}
			if tc.event != "" && !strings.Contains(page, `data-event="`+tc.event+`"`) {
				t.Errorf("dev=%v GET %s: no data-event=%q on the page", dev, tc.path, tc.event)
			}
			if !strings.Contains(page, `<script type="module" src="/static/`) || !strings.Contains(page, "/"+tc.script+`"`) {
				t.Errorf("dev=%v GET %s: page does not load %s as a module", dev, tc.path, tc.script)
			}
			urls := assetURL.FindAllString(page, -1)
			if len(urls) < 4 { // icon, base.css, the app's css and js, plus the import map
				t.Fatalf("dev=%v GET %s: %d asset URLs, want at least 4:\n%s", dev, tc.path, len(urls), page)
			}
			for _, u := range urls {
				checkAsset(t, h, u)
			}
		}
	}
}

// checkAsset fetches a hashed asset URL and checks it is served as the
// embedded file, with its content type and immutable caching.
func checkAsset(t *testing.T, h http.Handler, u string) {
	t.Helper()
	res := get(t, h, u)
	got := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", u, res.StatusCode)
	}
	p := u[len("/static/")+hashLen+1:]
	want, err := fs.ReadFile(embedded, "static/"+p)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if got != string(want) {
		t.Errorf("GET %s: body differs from static/%s", u, p)
	}
	wantType := map[string]string{
		".js":   "text/javascript; charset=utf-8",
		".json": "application/json",
		".css":  "text/css; charset=utf-8",
		".svg":  "image/svg+xml",
	}[p[strings.LastIndex(p, "."):]]
	if ct := res.Header.Get("Content-Type"); ct != wantType {
		t.Errorf("GET %s: Content-Type %q, want %q", u, ct, wantType)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: Cache-Control %q", u, cc)
	}
}

// embeddedSite is the production handler and the site it serves, to name
// its assets' hashed URLs.
func embeddedSite(t *testing.T) (http.Handler, *site) {
	t.Helper()
	s, err := loadSite(embedded)
	if err != nil {
		t.Fatal(err)
	}
	return New(false), s
}

func TestNotFound(t *testing.T) {
	h, s := embeddedSite(t)
	good := s.url("shared/api.js")
	other := s.assets["shared/dom.js"].hash
	for _, tc := range []struct{ name, path string }{
		{"wrong hash", "/static/0000000000000000/shared/api.js"},
		{"another file's hash", "/static/" + other + "/shared/api.js"},
		{"hash too short", strings.Replace(good, s.assets["shared/api.js"].hash, s.assets["shared/api.js"].hash[:8], 1)},
		{"no such asset", "/static/" + other + "/shared/nope.js"},
		{"no hash", "/static/shared/api.js"},
		{"page template is not an asset", "/static/" + other + "/pages/order.html"},
		{"upper-case bar id", "/display/Demo"},
		{"bar id with a dot", "/order/de.mo"},
		{"bar id starting with a dash", "/barista/-demo"},
		{"bar id too long", "/poster/" + strings.Repeat("a", 33)},
		{"no bar id", "/display/"},
		{"nested path", "/display/demo/extra"},
		{"unknown page", "/nope"},
		{"admin views are fragments, not paths", "/admin/bars"},
		{"admin with a trailing slash", "/admin/"},
	} {
		res := get(t, h, tc.path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: GET %s: status %d, want 404", tc.name, tc.path, res.StatusCode)
		}
	}
	if res := get(t, h, good); res.StatusCode != http.StatusOK {
		t.Errorf("GET %s: status %d, want 200", good, res.StatusCode)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := New(false)
	req := httptest.NewRequest(http.MethodPost, "/display/demo", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /display/demo: status %d, want 405", rec.Code)
	}
}

func TestConditionalAsset(t *testing.T) {
	h, s := embeddedSite(t)
	u := s.url("shared/base.css")
	res := get(t, h, u, "If-None-Match", `"`+s.assets["shared/base.css"].hash+`"`)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("GET %s with a matching ETag: status %d, want 304", u, res.StatusCode)
	}
}

// TestImports checks, without a JS engine, that every module import names
// a file the import map maps to a hashed URL that is served.
func TestImports(t *testing.T) {
	// importSpec finds static import specifiers: `from '…'` and `import '…'`.
	importSpec := regexp.MustCompile(`(?m)(?:\bfrom\s+|^import\s+)['"]([^'"]+)['"]`)
	h, s := embeddedSite(t)
	var m struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(s.importMap), &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	for p, a := range s.assets {
		if !strings.HasSuffix(p, ".js") {
			continue
		}
		for _, sm := range importSpec.FindAllStringSubmatch(string(a.data), -1) {
			n++
			spec := sm[1]
			target, ok := m.Imports[spec]
			if !ok {
				t.Errorf("%s imports %q, which is not in the import map", p, spec)
				continue
			}
			if want := s.url(strings.TrimPrefix(spec, "/static/")); target != want {
				t.Errorf("import map: %q → %q, want %q", spec, target, want)
			}
			if res := get(t, h, target); res.StatusCode != http.StatusOK {
				t.Errorf("%s imports %q → %s: status %d", p, spec, target, res.StatusCode)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d imports in all modules; the pattern is probably broken", n)
	}
}

// TestCSP checks the page's policy allows exactly its inline import map.
func TestCSP(t *testing.T) {
	h := New(false)
	res := get(t, h, "/order/demo")
	page := body(t, res)
	start := strings.Index(page, `<script type="importmap">`)
	end := strings.Index(page[start:], "</script>")
	if start < 0 || end < 0 {
		t.Fatal("no import map in the page")
	}
	inline := page[start+len(`<script type="importmap">`) : start+end]
	sum := sha256.Sum256([]byte(inline))
	want := "script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
		t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, want)
	}
}

func TestValidEvent(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"demo", true},
		{"0", true},
		{"a_b-c9", true},
		{strings.Repeat("a", 32), true},
		{"", false},
		{strings.Repeat("a", 33), false},
		{"_demo", false},
		{"-demo", false},
		{"Demo", false},
		{"de mo", false},
		{"dé", false},
	} {
		if got := validEvent(tc.id); got != tc.want {
			t.Errorf("validEvent(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// readTable parses one translation table: a flat JSON object whose values
// are all strings. It rejects duplicate keys, which json.Unmarshal would
// silently merge.
func readTable(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(embedded, name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: want a JSON object, got %v (%v)", name, tok, err)
	}
	table := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key := tok.(string)
		var text string
		if err := dec.Decode(&text); err != nil {
			t.Fatalf("%s: %q: the value must be a string: %v", name, key, err)
		}
		if _, dup := table[key]; dup {
			t.Errorf("%s: key %q twice", name, key)
		}
		table[key] = text
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return table
}

// languages reads LANGUAGES from shared/i18n.js, whose doc comment asks to
// keep it one line.
func languages(t *testing.T) []string {
	t.Helper()
	src, err := fs.ReadFile(embedded, "static/shared/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^export const LANGUAGES = \[([^\]]*)\];`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no `export const LANGUAGES = [...]` line in shared/i18n.js")
	}
	langs := regexp.MustCompile(`'([a-z]{2,3})'`).FindAllStringSubmatch(string(m[1]), -1)
	var out []string
	for _, l := range langs {
		out = append(out, l[1])
	}
	return out
}

// TestTranslations checks every app's tables: each language presso ships
// has exactly the keys English has, no text is empty, and each text uses
// the same {placeholders} as English (a translation that drops {n} would
// show an order without its number).
func TestTranslations(t *testing.T) {
	langs := languages(t)
	if want := []string{"en", "de", "fr", "es", "ja"}; strings.Join(langs, " ") != strings.Join(want, " ") {
		t.Errorf("LANGUAGES = %v, want %v", langs, want)
	}
	placeholder := regexp.MustCompile(`\{\w+\}`)
	vars := func(text string) string {
		found := placeholder.FindAllString(text, -1)
		slices.Sort(found)
		return strings.Join(slices.Compact(found), " ")
	}
	apps, err := fs.Glob(embedded, "static/*/i18n")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 9 {
		t.Errorf("apps with translations: %v, want home, display, barista, order, poster, admin, pair, stats and journey", apps)
	}
	for _, dir := range apps {
		en := readTable(t, dir+"/en.json")
		if len(en) < 10 {
			t.Errorf("%s/en.json: %d keys; the parser is probably broken", dir, len(en))
		}
		files, _ := fs.Glob(embedded, dir+"/*.json")
		if len(files) != len(langs) {
			t.Errorf("%s: %d tables %v, want one per language %v", dir, len(files), files, langs)
		}
		for _, lang := range langs {
			name := dir + "/" + lang + ".json"
			if _, err := fs.Stat(embedded, name); err != nil {
				t.Errorf("%s: missing", name)
				continue
			}
			table := readTable(t, name)
			for key, text := range table {
				if _, ok := en[key]; !ok {
					t.Errorf("%s: key %q is not in English", name, key)
				}
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %q is empty", name, key)
				}
				if got, want := vars(text), vars(en[key]); got != want {
					t.Errorf("%s: %q uses {%s}, English uses {%s}", name, key, got, want)
				}
			}
			for key := range en {
				if _, ok := table[key]; !ok {
					t.Errorf("%s: key %q is missing", name, key)
				}
			}
		}
	}
}

// TestTranslationKeysUsed checks that every key a module asks for, as
// s.t('key') or s.n('key', …), is in its app's English table, so no screen
// can show a raw key. Keys built at run time are not seen; keep those few
// in lookup tables of literal keys, which this test does see.
func TestTranslationKeysUsed(t *testing.T) {
	call := regexp.MustCompile(`\b(t|n)\(\s*'([A-Za-z0-9_]+)'`)
	literal := regexp.MustCompile(`:\s*'((?:state|action)[A-Z][A-Za-z0-9]*)'`)
	n := 0
	for _, app := range []string{"home", "display", "barista", "order", "poster", "pair", "stats", "journey"} {
		en := readTable(t, "static/"+app+"/i18n/en.json")
		src, err := fs.ReadFile(embedded, "static/"+app+"/"+app+".js")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			n++
			key := m[2]
			if m[1] == "n" {
				key += "_other"
			}
			if _, ok := en[key]; !ok {
				t.Errorf("%s.js asks for %q, which static/%s/i18n/en.json does not have", app, key, app)
			}
		}
		// Lookup tables (STATE_KEYS = {waiting: 'stateWaiting', …}): a
		// value that looks like a key must be one.
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s.js names the key %q, which its English table does not have", app, m[1])
			}
		}
	}
	// Shared modules take the app's strings too (staff sign-in).
	staff, _ := fs.ReadFile(embedded, "static/shared/staff.js")
	for _, m := range call.FindAllStringSubmatch(string(staff), -1) {
		for _, app := range []string{"display", "barista", "admin", "stats", "journey"} {
			if _, ok := readTable(t, "static/"+app+"/i18n/en.json")[m[2]]; !ok {
				t.Errorf("shared/staff.js asks for %q, which %s's English table does not have", m[2], app)
			}
		}
	}
	if n < 100 {
		t.Errorf("found %d translation calls; the pattern is probably broken", n)
	}
}

// apiNames are the API's field names and values that the admin modules
// spell in camelCase without being translation keys.
var apiNames = []string{
	"signInMode", "dailyReset", "allowCustomerLanguage", "welcomeText", "pickupText", "readySeconds",
	"drinksPerCode", "windowSeconds", "maxQueue", "maxPerCustomer", "customerSeconds", "baristaSeconds",
	"eventId", "copyFrom", "lastSignInAt", "expiresAt", "windowEnd", "actorName", "actorId", "shownHash",
	"beforeunload", "hashchange", "createdAt", "timeZone", "hourCycle", "unitDisplay", "shapeRendering",
	"viewBox", "crispEdges",
}

// TestAdminTranslationKeys checks the console's modules, which are many
// and name keys in tables ([field, kind, 'labelKey', 'hintKey']): every
// camelCase string literal in them is a key of its English table, or one
// of the API's names; and every key of the table is used somewhere.
func TestAdminTranslationKeys(t *testing.T) {
	en := readTable(t, "static/admin/i18n/en.json")
	literal := regexp.MustCompile(`'([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)'`)
	call := regexp.MustCompile(`\bn\(\s*'([A-Za-z0-9_]+)'`)
	mods, err := fs.Glob(embedded, "static/admin/*.js")
	if err != nil || len(mods) < 5 {
		t.Fatalf("admin modules: %v (%v)", mods, err)
	}
	used := map[string]bool{}
	for _, p := range mods {
		src, _ := fs.ReadFile(embedded, p)
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
			_, key := en[m[1]]
			_, plural := en[m[1]+"_other"]
			if !key && !plural && !slices.Contains(apiNames, m[1]) {
				t.Errorf("%s names %q, which is neither in admin's English table nor an API name", p, m[1])
			}
		}
		// Plural keys are asked for by their stem.
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			used[m[1]+"_one"], used[m[1]+"_other"] = true, true
		}
		for _, m := range regexp.MustCompile(`\bt\(\s*'([a-z]+)'`).FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true // one-word keys ("save") are not camelCase
		}
	}
	// Shared staff.js asks for the sign-in texts.
	staff, _ := fs.ReadFile(embedded, "static/shared/staff.js")
	for _, m := range regexp.MustCompile(`\bt\(\s*'([A-Za-z0-9_]+)'`).FindAllStringSubmatch(string(staff), -1) {
		used[m[1]] = true
	}
	for key := range en {
		if !used[key] {
			t.Errorf("admin/i18n/en.json: %q is used by no admin module", key)
		}
	}
}
