package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declaredCodes reads the Code* constants of presso's codes.go.
func declaredCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("codes.go: %s is not a string literal", name.Name)
				}
				code, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, code)
			}
		}
	}
	return codes
}

// docRow is a row of the "Error codes" table: | `code` | status | meaning |.
var docRow = regexp.MustCompile("^\\| `([a-z_]+)` \\| ([0-9]{3}|–) \\| (.+) \\|$")

// documentedCodes reads the codes of the "Error codes" table in
// docs/api.md; a row of that table that does not parse is an error.
func documentedCodes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Error codes\n")
	if !ok {
		t.Fatal(`docs/api.md has no "## Error codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var codes []string
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		m := docRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("docs/api.md: error code row %q is not | `code` | status | meaning |", line)
			continue
		}
		codes = append(codes, m[1])
	}
	return codes
}

// TestErrorCodesDocumented: docs/api.md lists exactly the error codes that
// codes.go declares, each once.
func TestErrorCodesDocumented(t *testing.T) {
	declared := declaredCodes(t)
	documented := documentedCodes(t)
	// Two codes any version has, so a parser that finds nothing fails.
	if !slices.Contains(declared, "internal") || !slices.Contains(declared, "sold_out") {
		t.Fatalf("codes.go declares %v: the parser missed some", declared)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(declared)))) != len(declared) {
		t.Errorf("codes.go declares a code twice: %v", declared)
	}
	for _, c := range declared {
		if !slices.Contains(documented, c) {
			t.Errorf("code %q is declared in codes.go but missing from docs/api.md", c)
		}
	}
	seen := map[string]bool{}
	for _, c := range documented {
		if !slices.Contains(declared, c) {
			t.Errorf("docs/api.md documents code %q, which codes.go does not declare", c)
		}
		if seen[c] {
			t.Errorf("docs/api.md documents code %q twice", c)
		}
		seen[c] = true
	}
	if len(declared) != len(documented) {
		t.Errorf("codes.go declares %d codes, docs/api.md documents %d", len(declared), len(documented))
	}
}
