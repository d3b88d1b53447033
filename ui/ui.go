// Package ui serves presso's browser apps: the home page, the Display (the
// big screen above the bar), the Barista board, the customer's Order app, a
// printable poster, the admin console and the page a TV pairs on. They are
// plain HTML, CSS and ES modules embedded in the binary; there is no build
// step.
//
// The API is one function:
//
//	mux.Handle("/", ui.New(devMode))
//
// New returns a handler for these routes, meant to be mounted at "/" next to
// the /api routes of the web package:
//
//	GET /{$}                       home: the bars and links to their apps
//	GET /display/{event}           Display
//	GET /barista/{event}           Barista board
//	GET /order/{event}?code=…      Order app, opened by the Display's QR code
//	GET /poster/{event}            printable poster
//	GET /stats/{event}             the bar's stats for its staff, printable as the day's report
//	GET /journey/{id}?event=…      one order's journey, for staff
//	GET /admin                     admin console (its views are #/… fragments)
//	GET /pair                      a TV types the console's pairing code here
//	GET /static/{hash}/{path...}   embedded assets
//
// Assets are cache-busted by content: every file under static/ gets the first
// 16 hex digits of its SHA-256 in its URL, computed once by New. Pages are
// html/templates that name assets with {{asset "order/order.css"}}, and an
// import map maps every module's plain URL ("/static/shared/api.js") to its
// hashed one, so modules import each other by plain URL and still get hashed,
// immutable URLs. A wrong hash is a 404 rather than a stale file.
//
// Layout: pages/ holds the html/templates (head.html has the partials they
// share: the <head>, the logo, a staff page's top bar);
// static/shared/ the modules every app uses (api.js: fetch wrapper, error
// contract, server clock, SSE with resume and re-sync; dom.js; dialog.js;
// chime.js; staff.js: staff sign-in; i18n.js: translations) and base.css;
// static/<app>/ each app's module and stylesheet, and i18n/<lang>.json, one
// flat table per language of every text the app shows (see i18n.js for the
// format; a test checks every language has exactly English's keys).
// Apps talk only to the /api routes of docs/api.md and take their live state
// from the SSE snapshot plus events, so a reconnect ends in the same state
// as a fresh load.
//
// With devMode set, and when the package's source directory is still on disk
// (go run from a checkout), pages and assets are read from disk on every
// request, so an edit shows on reload without restarting the server.
// Otherwise, and always in a built binary, the embedded copy is used.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

//go:embed static pages
var embedded embed.FS

// hashLen is how many hex digits of the SHA-256 go into an asset URL: 64
// bits, plenty to tell versions of one file apart.
const hashLen = 16

// validEvent reports whether id has the API's bar id syntax,
// ^[a-z0-9][a-z0-9_-]{0,31}$. Anything else cannot be a bar, so it gets a 404
// here rather than a page that would only fail later.
func validEvent(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// contentType covers the asset kinds we ship. Go's mime table depends on the
// host's files, and browsers refuse ES modules served with a wrong type.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	case ".png":
		return "image/png"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// site is one loaded copy of the apps: hashed assets and parsed pages.
type site struct {
	assets    map[string]asset // by path under static/, e.g. "shared/api.js"
	pages     *template.Template
	importMap string // the JSON of the import map, as embedded in every page
	csp       string // Content-Security-Policy for pages
}

type asset struct {
	hash string
	data []byte
}

// handler serves one site; under dev mode it reloads the site per request.
type handler struct {
	mux  *http.ServeMux
	site *site                 // fixed site, when not reloading
	load func() (*site, error) // reloads from disk, under dev mode
	dev  bool                  // devMode, for the pages to offer demo conveniences
}

// New returns the handler for the apps' pages and assets. It panics if the
// embedded files are broken, which a test catches before any release.
func New(devMode bool) http.Handler {
	h := &handler{mux: http.NewServeMux(), dev: devMode}
	if dir, ok := sourceDir(); devMode && ok {
		fsys := os.DirFS(dir)
		h.load = func() (*site, error) { return loadSite(fsys) }
	} else {
		s, err := loadSite(embedded)
		if err != nil {
			panic("ui: " + err.Error())
		}
		h.site = s
	}
	h.mux.HandleFunc("GET /{$}", h.page("home", false))
	h.mux.HandleFunc("GET /display/{event}", h.page("display", true))
	h.mux.HandleFunc("GET /barista/{event}", h.page("barista", true))
	h.mux.HandleFunc("GET /order/{event}", h.page("order", true))
	h.mux.HandleFunc("GET /poster/{event}", h.page("poster", true))
	h.mux.HandleFunc("GET /stats/{event}", h.page("stats", true))
	h.mux.HandleFunc("GET /journey/{id}", h.page("journey", false))
	h.mux.HandleFunc("GET /admin", h.page("admin", false))
	h.mux.HandleFunc("GET /pair", h.page("pair", false))
	h.mux.HandleFunc("GET /static/{hash}/{path...}", h.static)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// current returns the site to serve this request from.
func (h *handler) current(w http.ResponseWriter) (*site, bool) {
	if h.site != nil {
		return h.site, true
	}
	s, err := h.load()
	if err != nil {
		// Dev mode only: show the broken template or file to the developer.
		http.Error(w, "ui: "+err.Error(), http.StatusInternalServerError)
		return nil, false
	}
	return s, true
}

// sourceDir finds this package's directory on disk, if the binary was built
// from a checkout that is still there (not with -trimpath).
func sourceDir() (string, bool) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", false
	}
	dir := filepath.Dir(file)
	if fi, err := os.Stat(filepath.Join(dir, "static")); err != nil || !fi.IsDir() {
		return "", false
	}
	return dir, true
}

// pageData is what every page template sees.
type pageData struct {
	App   string // the page: pages/<App>.html, with static/<App>/<App>.css and .js
	Event string // the bar id from the path, "" on the home page
	Dev   bool   // --dev: the home page offers "Try it without a phone"
}

// page serves pages/<app>.html.
func (h *handler) page(app string, needsEvent bool) http.HandlerFunc {
	name := app + ".html"
	return func(w http.ResponseWriter, r *http.Request) {
		data := pageData{App: app, Event: r.PathValue("event"), Dev: h.dev}
		if needsEvent && !validEvent(data.Event) {
			http.NotFound(w, r)
			return
		}
		s, ok := h.current(w)
		if !ok {
			return
		}
		var buf bytes.Buffer
		if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
			http.Error(w, "ui: "+err.Error(), http.StatusInternalServerError)
			return
		}
		hdr := w.Header()
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		// Pages are tiny and name the current asset hashes, so browsers
		// must revalidate them; assets themselves are immutable.
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", s.csp)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		w.Write(buf.Bytes())
	}
}

func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	s, ok := h.current(w)
	if !ok {
		return
	}
	a, found := s.assets[r.PathValue("path")]
	if !found || a.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", contentType(r.PathValue("path")))
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("ETag", `"`+a.hash+`"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	// A zero modtime: the ETag is the validator, Last-Modified means nothing.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// loadSite hashes every file under static/ and parses pages/*.html.
func loadSite(fsys fs.FS) (*site, error) {
	s := &site{assets: map[string]asset{}}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		s.assets[strings.TrimPrefix(p, "static/")] = asset{hash: hex.EncodeToString(sum[:])[:hashLen], data: data}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hashing assets: %w", err)
	}

	imports := map[string]string{}
	for p := range s.assets {
		// JSON too: the translation tables are fetched by plain URL through
		// import.meta.resolve, which applies the import map.
		if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".json") {
			imports["/static/"+p] = s.url(p)
		}
	}
	im, err := json.Marshal(map[string]any{"imports": imports})
	if err != nil {
		return nil, err
	}
	s.importMap = string(im)
	// The import map is the only inline script; allow exactly it.
	sum := sha256.Sum256(im)
	s.csp = strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")

	funcs := template.FuncMap{
		"asset": func(p string) (string, error) {
			if _, ok := s.assets[p]; !ok {
				return "", fmt.Errorf("no asset %q", p)
			}
			return s.url(p), nil
		},
		"importmap": func() template.HTML {
			// json.Marshal escapes <, > and &, so the JSON cannot end the
			// script element early.
			return template.HTML(`<script type="importmap">` + s.importMap + `</script>`)
		},
	}
	s.pages, err = template.New("").Funcs(funcs).ParseFS(fsys, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing pages: %w", err)
	}
	return s, nil
}

// url is the hashed URL of the asset at p.
func (s *site) url(p string) string {
	return "/static/" + s.assets[p].hash + "/" + p
}
