package web

import (
	"html"
	"net/http"
	"strings"

	"presso/docs"
)

// apiIndex handles GET /api/: the API reference (docs/api.md) as a page,
// so the link presso prints at start-up opens something a person can read.
func (s *Server) apiIndex(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, err := w.Write([]byte(apiPage(docs.API())))
	return err
}

const apiStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem 1.5rem 3rem;color:#1b1b1b;background:#fff}
code,pre{font:14px ui-monospace,monospace;background:#f1f1f1;border-radius:3px}code{padding:0 .2em}pre{padding:.8rem;overflow:auto}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}a{color:#0b57a4}
@media (prefers-color-scheme:dark){body{background:#151515;color:#eee}code,pre{background:#262626}th{background:#2a2a2a}td,th{border-color:#555}a{color:#8ab8ff}}`

// apiPage renders the Markdown that docs/api.md uses (headings, tables,
// lists, fenced code, paragraphs; inline code and bold) as a page.
func apiPage(md string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<meta name="color-scheme" content="light dark"><title>presso HTTP API</title><style>` + apiStyle + `</style></head><body><main>`)
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case strings.HasPrefix(line, "```"):
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
				j++
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(lines[i+1:j], "\n")) + "</code></pre>\n")
			i = j + 1
		case strings.HasPrefix(line, "#"):
			level := len(line) - len(strings.TrimLeft(line, "#"))
			tag := "h" + string(rune('0'+min(level, 6)))
			b.WriteString("<" + tag + ">" + inline(strings.TrimSpace(line[level:])) + "</" + tag + ">\n")
			i++
		case strings.HasPrefix(line, "|"):
			i = table(&b, lines, i)
		case strings.HasPrefix(line, "- "):
			b.WriteString("<ul>")
			for i < len(lines) && strings.HasPrefix(lines[i], "- ") {
				item := []string{lines[i][2:]}
				for i++; i < len(lines) && strings.HasPrefix(lines[i], "  ") && strings.TrimSpace(lines[i]) != ""; i++ {
					item = append(item, strings.TrimSpace(lines[i]))
				}
				b.WriteString("<li>" + inline(strings.Join(item, " ")) + "</li>")
			}
			b.WriteString("</ul>\n")
		default:
			var para []string
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !blockStart(lines[i]); i++ {
				para = append(para, lines[i])
			}
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
		}
	}
	b.WriteString("</main></body></html>\n")
	return b.String()
}

// blockStart reports whether line opens a block other than a paragraph.
func blockStart(line string) bool {
	for _, p := range []string{"```", "#", "|", "- "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// table renders the table starting at lines[i] and returns the line after
// it; the row under the header (|---|) is the separator.
func table(b *strings.Builder, lines []string, i int) int {
	b.WriteString("<table>")
	for row := 0; i < len(lines) && strings.HasPrefix(lines[i], "|"); i, row = i+1, row+1 {
		if row == 1 {
			continue
		}
		tag := "td"
		if row == 0 {
			tag = "th"
		}
		b.WriteString("<tr>")
		for _, cell := range cells(lines[i]) {
			b.WriteString("<" + tag + ">" + inline(cell) + "</" + tag + ">")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>\n")
	return i
}

// cells splits a table row on the pipes outside inline code.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var out []string
	var cell strings.Builder
	inCode := false
	for _, r := range row {
		switch {
		case r == '`':
			inCode = !inCode
		case r == '|' && !inCode:
			out = append(out, strings.TrimSpace(cell.String()))
			cell.Reset()
			continue
		}
		cell.WriteRune(r)
	}
	return append(out, strings.TrimSpace(cell.String()))
}

// inline renders inline code and bold, escaping everything else.
func inline(s string) string {
	parts := strings.Split(s, "`")
	for i, p := range parts {
		p = html.EscapeString(p)
		if i%2 == 1 && i < len(parts)-1 {
			parts[i] = "<code>" + p + "</code>"
			continue
		}
		bold := strings.Split(p, "**")
		for j := 1; j < len(bold)-1; j += 2 {
			bold[j] = "<strong>" + bold[j] + "</strong>"
		}
		parts[i] = strings.Join(bold, "")
	}
	return strings.Join(parts, "")
}
