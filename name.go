package presso

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest name a customer may give to be called out by.
const MaxNameRunes = 40

// CleanName checks a name given to be called out by (a customer's first
// name, a walk-up order's name) and returns it trimmed: 1 to 40
// characters, at least one of them visible, and no control, format or
// direction characters, which could make a board show something other
// than a name ("Ann\nBarista says: free coffee"). field names the input in
// the error.
func CleanName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || name == "" || utf8.RuneCountInString(name) > MaxNameRunes {
		return "", Invalid(field, "a name of 1-%d characters is needed", MaxNameRunes)
	}
	visible := false
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return "", Invalid(field, "a name cannot hold control or invisible characters")
		}
		visible = visible || !unicode.IsSpace(r)
	}
	if !visible {
		return "", Invalid(field, "a name needs at least one visible character")
	}
	return name, nil
}
