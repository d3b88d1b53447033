package auth_test

import (
	"strings"
	"testing"
)

// TestCustomerSignInAs: the first name given at code sign-in becomes the
// customer's name; without one a new customer has none, never the
// address's local part, and a returning one keeps theirs. A bad name is
// refused before the code is judged, so it uses no attempt.
func TestCustomerSignInAs(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	signIn := func(email, name string) (string, string) {
		t.Helper()
		if _, err := e.svc.RequestCode(ctx, "10.0.0.1", email); err != nil {
			t.Fatal(err)
		}
		sess, err := e.svc.CustomerSignInAs(ctx, "10.0.0.1", email, e.codeOf(t), name)
		if err != nil {
			return "", e.outcome(err)
		}
		id, err := e.svc.Identify(ctx, sess.Token)
		if err != nil || id.Name != sess.Identity.Name || id.Kind != "customer" {
			t.Fatalf("Identify() = %+v, %v; want the session's customer %+v", id, err, sess.Identity)
		}
		return id.Name, "ok"
	}
	for _, c := range []struct {
		what, email, name, want, outcome string
	}{
		{"a new customer without a name", "ann@example.com", "", "", "ok"},
		{"the same one giving a name", "ann@example.com", "  Ann ", "Ann", "ok"},
		{"and again without one", "ann@example.com", "", "Ann", "ok"},
		{"a new customer with a name", "zoe@example.com", "Zoë 李", "Zoë 李", "ok"},
		{"a renamed one", "zoe@example.com", "Zo", "Zo", "ok"},
		{"a line break", "bob@example.com", "Bob\nBarista says: free coffee", "", "invalid"},
		{"only spaces", "bob@example.com", "   ", "", "ok"},
		{"too long", "bob@example.com", strings.Repeat("b", 41), "", "invalid"},
	} {
		got, outcome := signIn(c.email, c.name)
		if got != c.want || outcome != c.outcome {
			t.Errorf("%s: name %q, %s; want %q, %s", c.what, got, outcome, c.want, c.outcome)
		}
	}
	// The refused names used no guess: the pending code still signs in.
	sess, err := e.svc.CustomerSignInAs(ctx, "10.0.0.1", "bob@example.com", e.codeOf(t), "Bob")
	if err != nil || sess.Identity.Name != "Bob" {
		t.Fatalf("sign-in after two refused names = %+v, %v; want Bob", sess.Identity, err)
	}
}
