package auth_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/auth"
	"presso/internal/testkit"
	"presso/store"
	"presso/store/storetest"
)

// Staff management, own passwords, the offline reset and screen pairing,
// on every engine.

// staffEnv is an auth service (not --dev, so the password rules apply to
// new accounts) on a fresh database with the bars demo and other and an
// admin root ("correct horse").
type staffEnv struct {
	db    *store.DB
	clock *testkit.Clock
	svc   *auth.Service
}

var (
	rootID = presso.Identity{ID: "stf-root", Kind: "staff", Name: "root", Role: presso.RoleAdmin}
	t0     = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
)

func staffEngines(t *testing.T, fn func(t *testing.T, e *staffEnv)) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		db := eng.Open(t)
		e := &staffEnv{db: db, clock: testkit.NewClock(t0)}
		e.svc = auth.New(db, e.clock.Now, false, nil, slog.New(slog.DiscardHandler), 100000)
		ctx := t.Context()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for _, id := range []string{"demo", "other"} {
				if err := tx.CreateBar(ctx, &presso.Bar{ID: id, Name: "Bar " + id, SignInMode: "name"}, t0); err != nil {
					return err
				}
			}
			return tx.CreateStaff(ctx, store.Staff{ID: rootID.ID, Username: "root", PasswordHash: auth.HashPassword("correct horse"), Role: presso.RoleAdmin}, t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, e)
	})
}

// create makes an account as root.
func (e *staffEnv) create(t *testing.T, username, password, role, event string) presso.Identity {
	t.Helper()
	id, err := e.svc.CreateStaff(t.Context(), rootID, username, password, role, event)
	if err != nil {
		t.Fatalf("CreateStaff(%s) = %v", username, err)
	}
	return id
}

func (e *staffEnv) signIn(t *testing.T, username, password string) (auth.Session, error) {
	t.Helper()
	return e.svc.StaffSignIn(t.Context(), "192.0.2.1", username, password)
}

func (e *staffEnv) list(t *testing.T) []store.StaffAccount {
	t.Helper()
	l, err := e.svc.ListStaff(t.Context(), rootID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (e *staffEnv) audit(t *testing.T) []store.AuditRow {
	t.Helper()
	rows, err := e.db.ListAudit(t.Context(), "*", 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Seq = 0
	}
	return rows // newest first
}

// codeOf is the error's code, "ok" for nil.
func codeOf(err error) string {
	var pe *presso.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &pe) && pe.Field != "":
		return pe.Code + ":" + pe.Field
	case errors.As(err, &pe):
		return pe.Code
	}
	return "error: " + err.Error()
}

// unchanged runs fn, which must fail with code, and checks it changed
// neither the accounts nor the audit.
func (e *staffEnv) unchanged(t *testing.T, what, code string, fn func() error) {
	t.Helper()
	before, audit := e.list(t), e.audit(t)
	if got := codeOf(fn()); got != code {
		t.Fatalf("%s = %s, want %s", what, got, code)
	}
	if after := e.list(t); !reflect.DeepEqual(after, before) {
		t.Fatalf("%s changed the accounts:\n%+v\n%+v", what, before, after)
	}
	if after := e.audit(t); !reflect.DeepEqual(after, audit) {
		t.Fatalf("%s wrote audit rows: %+v", what, after[:len(after)-len(audit)])
	}
}

func patch(role, event *string, disabled *bool, password *string) auth.StaffPatch {
	return auth.StaffPatch{Role: role, EventID: event, Disabled: disabled, Password: password}
}

func sp(s string) *string { return &s }
func bp(b bool) *bool     { return &b }

// TestLastAdmin: the last enabled admin can be neither disabled nor
// demoted; with a second one, either can, but not both.
func TestLastAdmin(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		ctx := t.Context()
		update := func(name string, p auth.StaffPatch) error {
			_, err := e.svc.UpdateStaff(ctx, rootID, name, p)
			return err
		}
		e.unchanged(t, "disable the only admin", presso.CodeLastAdmin, func() error { return update("root", patch(nil, nil, bp(true), nil)) })
		e.unchanged(t, "demote the only admin", presso.CodeLastAdmin, func() error {
			return update("root", patch(sp(presso.RoleBarista), sp("demo"), nil, nil))
		})
		e.create(t, "second", "ristretto-7", presso.RoleAdmin, "")
		if err := update("root", patch(nil, nil, bp(true), nil)); err != nil {
			t.Fatalf("disable root beside another admin = %v", err)
		}
		e.unchanged(t, "disable the second, now the last", presso.CodeLastAdmin, func() error { return update("second", patch(nil, nil, bp(true), nil)) })
		e.unchanged(t, "demote the second", presso.CodeLastAdmin, func() error {
			return update("second", patch(sp(presso.RoleDisplay), sp("demo"), nil, nil))
		})
		// A disabled admin is no admin to keep: it may be demoted.
		if err := update("root", patch(sp(presso.RoleBarista), sp("demo"), nil, nil)); err != nil {
			t.Fatalf("demote disabled root = %v", err)
		}
		if err := update("root", patch(sp(presso.RoleAdmin), nil, bp(false), nil)); err != nil {
			t.Fatalf("make root an enabled admin again = %v", err)
		}
		if err := update("second", patch(nil, nil, bp(true), nil)); err != nil {
			t.Fatalf("disable the second beside root = %v", err)
		}
		n, err := e.db.CountEnabledAdmins(ctx, "")
		if err != nil || n != 1 {
			t.Fatalf("enabled admins = %d, %v; want 1", n, err)
		}
	})
}

// TestUpdateStaffRefused: every bad field is a 400 naming it, and a
// refused change changes nothing.
func TestUpdateStaffRefused(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		e.create(t, "bob", "espresso-42", presso.RoleBarista, "demo")
		cases := []struct {
			name, user string
			p          auth.StaffPatch
			code       string
		}{
			{"nothing to change", "bob", auth.StaffPatch{}, "invalid:body"},
			{"unknown role", "bob", patch(sp("owner"), nil, nil, nil), "invalid:role"},
			{"unknown bar", "bob", patch(nil, sp("nope"), nil, nil), "invalid:eventId"},
			{"a barista without a bar", "bob", patch(nil, sp(""), nil, nil), "invalid:eventId"},
			{"an admin with a bar", "bob", patch(sp(presso.RoleAdmin), sp("demo"), nil, nil), "invalid:eventId"},
			{"an admin's bar", "root", patch(nil, sp("demo"), nil, nil), "invalid:eventId"},
			{"a short password", "bob", patch(nil, nil, nil, sp("short")), "invalid:password"},
			{"a password with the name", "bob", patch(nil, nil, nil, sp("i-am-BOB-really")), "invalid:password"},
			{"a long password", "bob", patch(nil, nil, nil, sp(strings.Repeat("x", 129))), "invalid:password"},
			{"a bad field beside a good one", "bob", patch(nil, nil, bp(true), sp("short")), "invalid:password"},
			{"unknown account", "nobody", patch(nil, nil, bp(true), nil), "not_found"},
			{"by a barista", "bob", patch(nil, nil, bp(true), nil), "forbidden"},
		}
		for _, c := range cases {
			who := rootID
			if c.name == "by a barista" {
				who = presso.Identity{ID: "x", Kind: "staff", Name: "x", Role: presso.RoleBarista, EventID: "demo"}
			}
			e.unchanged(t, c.name, c.code, func() error {
				_, err := e.svc.UpdateStaff(t.Context(), who, c.user, c.p)
				return err
			})
		}
		if _, err := e.signIn(t, "bob", "espresso-42"); err != nil {
			t.Fatalf("bob's password after the refusals = %v", err)
		}
	})
}

// TestDisableAndPassword: disabling an account or setting its password
// ends its sessions at once (with the event that ends their streams); a
// disabled account cannot sign in; each change has its audit row.
func TestDisableAndPassword(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		ctx := t.Context()
		bob := e.create(t, "bob", "espresso-42", presso.RoleBarista, "demo")
		sess, err := e.signIn(t, "bob", "espresso-42")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		a, err := e.svc.UpdateStaff(ctx, rootID, "bob", patch(nil, nil, bp(true), nil))
		if err != nil {
			t.Fatal(err)
		}
		want := store.StaffAccount{ID: bob.ID, Username: "bob", Role: presso.RoleBarista, EventID: "demo", Disabled: true, CreatedAt: t0, LastSignInAt: &t0}
		if !reflect.DeepEqual(a, want) {
			t.Fatalf("UpdateStaff() = %+v, want %+v", a, want)
		}
		if _, err := e.svc.Identify(ctx, sess.Token); codeOf(err) != presso.CodeUnauthenticated {
			t.Fatalf("a disabled account's session: Identify() = %s, want unauthenticated", codeOf(err))
		}
		ended := sessionsEnded(t, e.db)
		if len(ended) != 1 || ended[0] != bob.ID {
			t.Fatalf("SessionsEnded events for users %v, want [%s]", ended, bob.ID)
		}
		if _, err := e.signIn(t, "bob", "espresso-42"); codeOf(err) != presso.CodeAccountDisabled {
			t.Fatalf("sign-in of a disabled account = %s, want account_disabled", codeOf(err))
		}
		if _, err := e.signIn(t, "bob", "wrong-password"); codeOf(err) != presso.CodeBadCredentials {
			t.Fatalf("a wrong password for a disabled account = %s, want bad_credentials", codeOf(err))
		}
		e.clock.Advance(time.Minute)
		if _, err := e.svc.UpdateStaff(ctx, rootID, "bob", patch(nil, sp("other"), bp(false), sp("new-password-1"))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.signIn(t, "bob", "espresso-42"); codeOf(err) != presso.CodeBadCredentials {
			t.Fatalf("the old password after a new one = %s, want bad_credentials", codeOf(err))
		}
		sess, err = e.signIn(t, "bob", "new-password-1")
		if err != nil || sess.Identity.EventID != "other" {
			t.Fatalf("the new password = %+v, %v; want a session at other", sess.Identity, err)
		}
		acct := e.list(t)[0]
		if acct.Username != "bob" || acct.LastSignInAt == nil || !acct.LastSignInAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("bob's last sign-in = %+v, want %s", acct, t0.Add(2*time.Minute))
		}
		e.clock.Advance(time.Minute)
		if _, err := e.svc.UpdateStaff(ctx, rootID, "bob", patch(nil, nil, nil, sp("newer-password-2"))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Identify(ctx, sess.Token); codeOf(err) != presso.CodeUnauthenticated {
			t.Fatalf("a session after its password was set: Identify() = %s, want unauthenticated", codeOf(err))
		}
		got := e.audit(t)
		wantRows := []store.AuditRow{
			store.Audit(rootID, t0.Add(3*time.Minute), "staff.password", "other", "bob", nil, nil),
			store.Audit(rootID, t0.Add(2*time.Minute), "staff.password", "other", "bob", nil, nil),
			store.Audit(rootID, t0.Add(2*time.Minute), "staff.update", "other", "bob",
				map[string]any{"eventId": "demo", "disabled": true}, map[string]any{"eventId": "other", "disabled": false}),
			store.Audit(rootID, t0.Add(time.Minute), "staff.update", "demo", "bob", map[string]any{"disabled": false}, map[string]any{"disabled": true}),
			store.Audit(rootID, t0, "staff.create", "demo", "bob", nil, map[string]any{"role": "barista", "eventId": "demo"}),
		}
		if !reflect.DeepEqual(got, wantRows) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(wantRows)
			t.Fatalf("audit =\n  %s\nwant\n  %s", gj, wj)
		}
	})
}

// sessionsEnded lists the users of the AuthService.SessionsEnded events
// waiting in the outbox.
func sessionsEnded(t *testing.T, db *store.DB) []string {
	t.Helper()
	events, err := db.Unpublished(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, ev := range events {
		var env struct{ Detail map[string]any }
		json.Unmarshal(ev.Payload, &env)
		if ev.DetailType == auth.SessionsEnded {
			if u, _ := env.Detail["userId"].(string); u != "" {
				users = append(users, u)
			}
		}
	}
	return users
}

// TestChangePassword: a staff member's own password, refused for every
// bad input with nothing changed; a change ends the other sessions and
// hands the caller a new one.
func TestChangePassword(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		ctx := t.Context()
		bob := e.create(t, "bob", "espresso-42", presso.RoleBarista, "demo")
		other, _ := e.signIn(t, "bob", "espresso-42")
		customer := presso.Identity{ID: "cus-1", Kind: "customer", Name: "Dee", Role: presso.RoleCustomer}
		cases := []struct {
			name          string
			who           presso.Identity
			current, next string
			code          string
		}{
			{"a customer", customer, "x", "new-password-1", "forbidden"},
			{"a wrong current password", bob, "guess-password", "new-password-1", "invalid:current"},
			{"too short", bob, "espresso-42", "short", "invalid:new"},
			{"the name in it", bob, "espresso-42", "xxBobxx-long", "invalid:new"},
			{"the same again", bob, "espresso-42", "espresso-42", "invalid:new"},
		}
		for _, c := range cases {
			e.unchanged(t, c.name, c.code, func() error {
				_, err := e.svc.ChangePassword(ctx, c.who, c.current, c.next)
				return err
			})
		}
		if _, err := e.svc.Identify(ctx, other.Token); err != nil {
			t.Fatalf("the other session after the refusals = %v", err)
		}
		e.clock.Advance(time.Minute)
		sess, err := e.svc.ChangePassword(ctx, bob, "espresso-42", "new-password-1")
		if err != nil {
			t.Fatal(err)
		}
		if id, err := e.svc.Identify(ctx, sess.Token); err != nil || id.ID != bob.ID {
			t.Fatalf("the new session = %+v, %v; want bob", id, err)
		}
		if _, err := e.svc.Identify(ctx, other.Token); codeOf(err) != presso.CodeUnauthenticated {
			t.Fatalf("the other session after a change = %s, want unauthenticated", codeOf(err))
		}
		if _, err := e.signIn(t, "bob", "new-password-1"); err != nil {
			t.Fatalf("sign-in with the new password = %v", err)
		}
		if got := e.audit(t)[0]; !reflect.DeepEqual(got, store.Audit(bob, t0.Add(time.Minute), "staff.password", "demo", "bob", nil, nil)) {
			t.Fatalf("audit row = %+v", got)
		}
	})
}

// TestResetPassword: the offline reset prints a password that signs in,
// and the old one no longer does.
func TestResetPassword(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		sess, _ := e.signIn(t, "root", "correct horse")
		pw, err := e.svc.ResetPassword(t.Context(), "root")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{20}$`).MatchString(pw) {
			t.Fatalf("generated password %q, want 20 readable characters", pw)
		}
		if _, err := e.svc.Identify(t.Context(), sess.Token); codeOf(err) != presso.CodeUnauthenticated {
			t.Fatalf("a session after the reset = %s, want unauthenticated", codeOf(err))
		}
		if _, err := e.signIn(t, "root", "correct horse"); codeOf(err) != presso.CodeBadCredentials {
			t.Fatalf("the old password = %s, want bad_credentials", codeOf(err))
		}
		if _, err := e.signIn(t, "root", pw); err != nil {
			t.Fatalf("the new password = %v", err)
		}
		by := presso.Identity{Kind: "system", Name: "reset-password"}
		if got := e.audit(t)[0]; !reflect.DeepEqual(got, store.Audit(by, t0, "staff.password", "", "root", nil, nil)) {
			t.Fatalf("audit row = %+v", got)
		}
		if _, err := e.svc.ResetPassword(t.Context(), "nobody"); codeOf(err) != presso.CodeNotFound {
			t.Fatalf("reset of an unknown account = %s, want not_found", codeOf(err))
		}
	})
}

// TestPairing: a pairing is used once, by code or by link, within its
// five minutes; it signs in the bar's display account, made by the first.
func TestPairing(t *testing.T) {
	staffEngines(t, func(t *testing.T, e *staffEnv) {
		ctx := t.Context()
		pair := func(p auth.Pairing, byToken bool) (auth.Session, string, error) {
			if byToken {
				return e.svc.PairByToken(ctx, "192.0.2.9", p.Token)
			}
			return e.svc.PairByCode(ctx, "192.0.2.9", strings.ToLower(strings.ReplaceAll(p.Code, "-", " ")))
		}
		newPairing := func() auth.Pairing {
			t.Helper()
			p, err := e.svc.CreatePairing(ctx, rootID, "demo")
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		barista := presso.Identity{ID: "x", Kind: "staff", Name: "x", Role: presso.RoleBarista, EventID: "demo"}
		if _, err := e.svc.CreatePairing(ctx, barista, "demo"); codeOf(err) != presso.CodeForbidden {
			t.Fatalf("a pairing by a barista = %s, want forbidden", codeOf(err))
		}
		if _, err := e.svc.CreatePairing(ctx, rootID, "nope"); codeOf(err) != presso.CodeNotFound {
			t.Fatalf("a pairing for an unknown bar = %s, want not_found", codeOf(err))
		}
		p := newPairing()
		if !regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`).MatchString(p.Code) || !p.ExpiresAt.Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("pairing = %+v, want a code like ABCD-EFGH for five minutes", p)
		}
		sess, event, err := pair(p, false)
		if err != nil || event != "demo" || sess.Identity.Name != "display-demo" || sess.Identity.Role != presso.RoleDisplay || sess.Identity.EventID != "demo" {
			t.Fatalf("pair by code = %+v at %q, %v; want display-demo of demo", sess.Identity, event, err)
		}
		if id, err := e.svc.Identify(ctx, sess.Token); err != nil || id.ID != sess.Identity.ID {
			t.Fatalf("the paired session = %+v, %v", id, err)
		}
		for _, byToken := range []bool{false, true} {
			if _, _, err := pair(p, byToken); codeOf(err) != presso.CodePairingUsed {
				t.Fatalf("a used pairing again (by token %v) = %s, want pairing_used", byToken, codeOf(err))
			}
		}
		// A second pairing signs in the same account, by its link.
		q := newPairing()
		sess2, _, err := pair(q, true)
		if err != nil || sess2.Identity.ID != sess.Identity.ID {
			t.Fatalf("pair by link = %+v, %v; want the same display account %s", sess2.Identity, err, sess.Identity.ID)
		}
		late := newPairing()
		e.clock.Advance(5 * time.Minute)
		if _, _, err := pair(late, false); codeOf(err) != presso.CodePairingExpired {
			t.Fatalf("a pairing at its expiry = %s, want pairing_expired", codeOf(err))
		}
		for _, code := range []string{"ABCD-EFGH", "ABC", "ABCD-EFG1", ""} {
			if _, _, err := e.svc.PairByCode(ctx, "192.0.2.9", code); codeOf(err) != "invalid_code:code" {
				t.Fatalf("PairByCode(%q) = %s, want invalid_code:code", code, codeOf(err))
			}
		}
		if _, _, err := e.svc.PairByToken(ctx, "192.0.2.9", "not-a-token"); codeOf(err) != "invalid_code:code" {
			t.Fatalf("PairByToken(unknown) = %s, want invalid_code:code", codeOf(err))
		}
		// A disabled display: refused, and the pairing stays for later.
		if _, err := e.svc.UpdateStaff(ctx, rootID, "display-demo", patch(nil, nil, bp(true), nil)); err != nil {
			t.Fatal(err)
		}
		r := newPairing()
		if _, _, err := pair(r, false); codeOf(err) != presso.CodeAccountDisabled {
			t.Fatalf("pairing a disabled display = %s, want account_disabled", codeOf(err))
		}
		if _, err := e.svc.UpdateStaff(ctx, rootID, "display-demo", patch(nil, nil, bp(false), nil)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := pair(r, true); err != nil {
			t.Fatalf("the same pairing once the display is enabled = %v", err)
		}
		// The display account has no password to sign in with.
		if _, err := e.signIn(t, "display-demo", ""); codeOf(err) != presso.CodeBadCredentials {
			t.Fatalf("password sign-in of the display account = %s, want bad_credentials", codeOf(err))
		}
		// The audit of the first pairing, oldest first.
		rows := e.audit(t)
		first := rows[len(rows)-3:]
		display := presso.Identity{ID: sess.Identity.ID, Name: "display-demo"}
		want := []store.AuditRow{
			store.Audit(display, t0, "screen.paired", "demo", "demo", nil, map[string]any{"username": "display-demo"}),
			store.Audit(presso.Identity{Name: "pairing"}, t0, "staff.create", "demo", "display-demo", nil, map[string]any{"role": "display", "eventId": "demo"}),
			store.Audit(rootID, t0, "screen.pair", "demo", "demo", nil, map[string]any{"expiresAt": t0.Add(5 * time.Minute).Format(time.RFC3339Nano)}),
		}
		if !reflect.DeepEqual(first, want) {
			gj, _ := json.Marshal(first)
			wj, _ := json.Marshal(want)
			t.Fatalf("the first pairing's audit =\n  %s\nwant\n  %s", gj, wj)
		}
	})
}
