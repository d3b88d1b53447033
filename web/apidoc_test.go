package web

import (
	"strings"
	"testing"

	"presso/docs"
)

// TestAPIPage renders each kind of block docs/api.md uses, exactly, and
// escapes everything it does not render.
func TestAPIPage(t *testing.T) {
	md := "# presso HTTP API\n\nJSON in and out: `{\"a\"|\"b\"}` <b>not bold</b>,\n**bold** & more.\n\n" +
		"| Route | Who |\n|---|---|\n| `GET /x\\|y` `a|b` | anyone **really** |\n\n" +
		"- one\n  wrapped\n- two `<i>`\n\n```json\n{\"x\": \"<y>\"}\n```\n## Next\ntext\n"
	page := apiPage(md)
	body := page[strings.Index(page, "<main>")+len("<main>") : strings.Index(page, "</main>")]
	want := "<h1>presso HTTP API</h1>\n" +
		"<p>JSON in and out: <code>{&#34;a&#34;|&#34;b&#34;}</code> &lt;b&gt;not bold&lt;/b&gt;, <strong>bold</strong> &amp; more.</p>\n" +
		"<table><tr><th>Route</th><th>Who</th></tr><tr><td><code>GET /x\\|y</code> <code>a|b</code></td><td>anyone <strong>really</strong></td></tr></table>\n" +
		"<ul><li>one wrapped</li><li>two <code>&lt;i&gt;</code></li></ul>\n" +
		"<pre><code>{&#34;x&#34;: &#34;&lt;y&gt;&#34;}</code></pre>\n" +
		"<h2>Next</h2>\n<p>text</p>\n"
	if body != want {
		t.Errorf("apiPage body =\n%s\nwant\n%s", body, want)
	}
	if !strings.HasPrefix(page, `<!doctype html><html lang="en"><head><meta charset="utf-8">`) || !strings.Contains(page, "<title>presso HTTP API</title>") {
		t.Errorf("apiPage head = %.200s", page)
	}
	// The real document: every section is a heading, every route row a
	// table row, and no Markdown table syntax is left over.
	real := apiPage(docs.API())
	for _, line := range strings.Split(docs.API(), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok && !strings.Contains(real, "<h2>"+inline(h)+"</h2>") {
			t.Errorf("section %q is not a heading", h)
		}
	}
	if n, rows := strings.Count(real, "<tr>"), strings.Count(docs.API(), "\n|")-strings.Count(docs.API(), "\n|---"); n != rows {
		t.Errorf("%d table rows rendered, docs/api.md has %d", n, rows)
	}
	if strings.Contains(real, "|---") {
		t.Errorf("a table separator was left in the page")
	}
}
