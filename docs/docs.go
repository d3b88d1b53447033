// Package docs holds presso's documentation. It is a Go package only so
// that the API reference can be embedded: the server shows docs/api.md as
// the page at /api/.
package docs

import _ "embed"

//go:embed api.md
var api string

// API is docs/api.md, the HTTP API's reference, in Markdown.
func API() string { return api }
