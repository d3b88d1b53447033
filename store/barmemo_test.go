package store

import (
	"reflect"
	"testing"
)

// TestBarMemo: the same text gives the same settings, each caller may
// change its menu without touching the next caller's, and new text is
// decoded afresh (a setting it leaves out is gone, not kept from before).
func TestBarMemo(t *testing.T) {
	m := newBarMemo()
	text := `{"signInMode":"name","welcomeText":"Hi","menu":[{"id":"latte","name":"Latte","available":true,
		"modifiers":[{"id":"milk","name":"Milk","default":"whole","options":[{"id":"whole","name":"Whole"},{"id":"oat","name":"Oat"}]}]}]}`
	first, err := m.decode("demo", text)
	if err != nil {
		t.Fatal(err)
	}
	first.Menu[0].Available = false
	first.Menu[0].Modifiers[0].Options[1].Name = "changed"
	second, err := m.decode("demo", text)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Menu[0].Available || second.Menu[0].Modifiers[0].Options[1].Name != "Oat" {
		t.Errorf("a caller's change reached the next caller: %+v", second.Menu[0])
	}
	if second.SignInMode != "name" || second.WelcomeText != "Hi" || len(second.Menu) != 1 {
		t.Errorf("decoded %+v", second)
	}
	third, err := m.decode("demo", `{"signInMode":"email","menu":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := barConfig{SignInMode: "email", Menu: cloneMenu(third.Menu)}
	if third.WelcomeText != "" || !reflect.DeepEqual(third, want) || len(third.Menu) != 0 {
		t.Errorf("new text decoded as %+v, want %+v", third, want)
	}
	if _, err := m.decode("other", `{`); err == nil || err.Error() != "bar other config: unexpected end of JSON input" {
		t.Errorf("bad text: err = %v", err)
	}
}
