package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Staff, customers, sessions and sign-in codes (store/accounts.go).

func testStaff(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if n, err := db.CountStaff(ctx); err != nil || n != 0 {
		t.Fatalf("CountStaff() on an empty database = %d, %v; want 0, nil", n, err)
	}
	admin := store.Staff{ID: "st-admin", Username: "root", PasswordHash: "h-root", Role: presso.RoleAdmin}
	barista := store.Staff{ID: "st-b", Username: "bob", PasswordHash: "h-bob", Role: presso.RoleBarista, EventID: "e1"}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateStaff(ctx, admin, t0); err != nil {
			return err
		}
		return tx.CreateStaff(ctx, barista, t0)
	})
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateStaff(ctx, store.Staff{ID: "st-other", Username: "bob", PasswordHash: "x", Role: presso.RoleDisplay}, t0)
	})
	wantKind(t, "CreateStaff() of a taken username", err, presso.KindConflict)
	if n, err := db.CountStaff(ctx); err != nil || n != 2 {
		t.Fatalf("CountStaff() = %d, %v; want 2, nil", n, err)
	}
	for _, want := range []store.Staff{admin, barista} {
		got, err := db.StaffByUsername(ctx, want.Username)
		if err != nil || got != want {
			t.Fatalf("StaffByUsername(%s) = %+v, %v; want %+v", want.Username, got, err, want)
		}
	}
	_, err = db.StaffByUsername(ctx, "nope")
	wantKind(t, "StaffByUsername(nope)", err, presso.KindNotFound)

	tx(t, db, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, "bob", "h-new") })
	barista.PasswordHash = "h-new"
	if got, err := db.StaffByUsername(ctx, "bob"); err != nil || got != barista {
		t.Fatalf("StaffByUsername(bob) after SetStaffPassword = %+v, %v; want %+v", got, err, barista)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, "nope", "h") })
	wantKind(t, "SetStaffPassword(nope)", err, presso.KindNotFound)
}

func testCustomers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ada := store.Customer{ID: "cu-ada", Email: "ada@example.com", Name: "Ada"}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateCustomer(ctx, ada, t0); err != nil {
			return err
		}
		// Name-mode customers have no email, and never collide.
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-n1", Name: "Sam"}, t0); err != nil {
			return err
		}
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-n2", Name: "Sam"}, t0)
	})
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-other", Email: "ada@example.com", Name: "Other"}, t0)
	})
	wantKind(t, "CreateCustomer() of a taken email", err, presso.KindConflict)
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateCustomer(ctx, store.Customer{ID: "cu-ada", Name: "Again"}, t0)
	})
	wantKind(t, "CreateCustomer() of a taken id", err, presso.KindConflict)
	got, err := db.CustomerByEmail(ctx, "ada@example.com")
	if err != nil || got != ada {
		t.Fatalf("CustomerByEmail() = %+v, %v; want %+v", got, err, ada)
	}
	_, err = db.CustomerByEmail(ctx, "nope@example.com")
	wantKind(t, "CustomerByEmail(nope)", err, presso.KindNotFound)
	_, err = db.CustomerByEmail(ctx, "")
	wantKind(t, "CustomerByEmail(\"\")", err, presso.KindNotFound)
}

// testCustomerName: a customer's given name replaces the stored one, and
// the sessions they hold name them by it at once.
func testCustomerName(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-ada", Email: "ada@example.com"}, t0); err != nil {
			return err
		}
		return tx.CreateSession(ctx, "tok-ada", "cu-ada", "customer", t0, at(time.Hour))
	})
	for _, name := range []string{"Ada", "Zoë 李", ""} {
		tx(t, db, func(tx *store.Tx) error { return tx.SetCustomerName(ctx, "cu-ada", name) })
		want := store.Customer{ID: "cu-ada", Email: "ada@example.com", Name: name}
		if got, err := db.CustomerByEmail(ctx, "ada@example.com"); err != nil || got != want {
			t.Fatalf("CustomerByEmail() after SetCustomerName(%q) = %+v, %v; want %+v", name, got, err, want)
		}
		id, err := identity(t, db, "tok-ada", at(time.Minute))
		if err != nil || id.Name != name || id.ID != "cu-ada" {
			t.Fatalf("the session's identity after SetCustomerName(%q) = %+v, %v; want cu-ada named %q", name, id, err, name)
		}
	}
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.SetCustomerName(ctx, "cu-nope", "Bob") })
	wantKind(t, "SetCustomerName(cu-nope)", err, presso.KindNotFound)
}

func identity(t *testing.T, db *store.DB, token string, now time.Time) (presso.Identity, error) {
	t.Helper()
	return db.SessionIdentity(t.Context(), token, now)
}

// sessionsFixture writes a barista, an admin and a customer, and sessions
// of each: three live for an hour, the customer's second for a minute.
func sessionsFixture(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		for _, s := range []store.Staff{
			{ID: "st-b", Username: "bob", PasswordHash: "h", Role: presso.RoleBarista, EventID: "e1"},
			{ID: "st-a", Username: "root", PasswordHash: "h", Role: presso.RoleAdmin},
		} {
			if err := tx.CreateStaff(ctx, s, t0); err != nil {
				return err
			}
		}
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-1", Email: "ada@example.com", Name: "Ada"}, t0); err != nil {
			return err
		}
		for _, s := range []struct {
			token, user, kind string
			ttl               time.Duration
		}{
			{"tok-barista", "st-b", "staff", time.Hour},
			{"tok-admin", "st-a", "staff", time.Hour},
			{"tok-customer", "cu-1", "customer", time.Hour},
			{"tok-short", "cu-1", "customer", time.Minute},
		} {
			if err := tx.CreateSession(ctx, s.token, s.user, s.kind, t0, at(s.ttl)); err != nil {
				return err
			}
		}
		return nil
	})
}

func testSessions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	sessionsFixture(t, db)
	for _, c := range []struct {
		token string
		want  presso.Identity
	}{
		{"tok-barista", presso.Identity{ID: "st-b", Kind: "staff", Name: "bob", Role: presso.RoleBarista, EventID: "e1"}},
		{"tok-admin", presso.Identity{ID: "st-a", Kind: "staff", Name: "root", Role: presso.RoleAdmin}},
		{"tok-customer", presso.Identity{ID: "cu-1", Kind: "customer", Name: "Ada", Role: presso.RoleCustomer}},
	} {
		got, err := identity(t, db, c.token, at(time.Minute))
		if err != nil || got != c.want {
			t.Fatalf("SessionIdentity(%s) = %+v, %v; want %+v", c.token, got, err, c.want)
		}
	}
	// A session ends at its expiry instant.
	if _, err := identity(t, db, "tok-customer", at(time.Hour-time.Millisecond)); err != nil {
		t.Fatalf("SessionIdentity() 1 ms before expiry = %v, want nil", err)
	}
	_, err := identity(t, db, "tok-customer", at(time.Hour))
	wantKind(t, "SessionIdentity() at expiry", err, presso.KindUnauthenticated)
	_, err = identity(t, db, "nope", t0)
	wantKind(t, "SessionIdentity(nope)", err, presso.KindUnauthenticated)

	deleted := map[string]bool{}
	tx(t, db, func(tx *store.Tx) error {
		for _, tok := range []string{"tok-admin", "nope"} {
			var err error
			if deleted[tok], err = tx.DeleteSession(ctx, tok); err != nil {
				return err
			}
		}
		return nil
	})
	if !deleted["tok-admin"] || deleted["nope"] {
		t.Fatalf("DeleteSession() found %v, want tok-admin only", deleted)
	}
	_, err = identity(t, db, "tok-admin", t0)
	wantKind(t, "SessionIdentity() after DeleteSession", err, presso.KindUnauthenticated)
	checkSessionSweep(t, db)
}

// checkSessionSweep: DeleteExpiredSessions removes what expired (and
// expired sign-in codes); a removed session is gone even at an earlier
// time.
func checkSessionSweep(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.AddSigninCode(ctx, "old@example.com", "h-old", t0, at(time.Minute)); err != nil {
			return err
		}
		if err := tx.AddSigninCode(ctx, "new@example.com", "h-new", t0, at(time.Hour)); err != nil {
			return err
		}
		return tx.DeleteExpiredSessions(ctx, at(time.Minute))
	})
	_, err := identity(t, db, "tok-short", t0)
	wantKind(t, "SessionIdentity() of a swept session", err, presso.KindUnauthenticated)
	if _, err := identity(t, db, "tok-barista", t0); err != nil {
		t.Fatalf("SessionIdentity() of a live session after the sweep = %v, want nil", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.TakeSigninAttempt(ctx, "old@example.com", t0, 5)
		return err
	})
	wantKind(t, "TakeSigninAttempt() of a swept code", err, presso.KindInvalid)
	if got, err := takeAttempt(t, db, "new@example.com", t0, 5); err != nil || fmt.Sprint(got) != "[h-new]" {
		t.Fatalf("TakeSigninAttempt() of a live code after the sweep = %q, %v; want [h-new]", got, err)
	}
}

// testSessionBar: a session stored with a bar (a name sign-in) gives an
// identity with that bar as its EventID, and SessionByToken returns the
// session as stored.
func testSessionBar(t *testing.T, db *store.DB) {
	ctx := t.Context()
	want := store.Session{TokenHash: "tok-sam", UserID: "cu-sam", Kind: "customer", EventID: "e1", CreatedAt: t0, ExpiresAt: at(time.Hour)}
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateCustomer(ctx, store.Customer{ID: "cu-sam", Name: "Sam"}, t0); err != nil {
			return err
		}
		return tx.PutSession(ctx, want)
	})
	id, got, err := db.SessionByToken(ctx, "tok-sam", at(time.Minute))
	wantID := presso.Identity{ID: "cu-sam", Kind: "customer", Name: "Sam", Role: presso.RoleCustomer, EventID: "e1"}
	if err != nil || id != wantID || got != want {
		t.Fatalf("SessionByToken() = %+v, %+v, %v; want %+v, %+v", id, got, err, wantID, want)
	}
}

// testSessionExtend: ExtendSession moves the expiry later, never earlier.
func testSessionExtend(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateStaff(ctx, store.Staff{ID: "st-b", Username: "bob", PasswordHash: "h", Role: presso.RoleBarista, EventID: "e1"}, t0); err != nil {
			return err
		}
		return tx.CreateSession(ctx, "tok-bob", "st-b", "staff", t0, at(time.Hour))
	})
	for _, c := range []struct {
		to, want time.Duration
	}{{2 * time.Hour, 2 * time.Hour}, {90 * time.Minute, 2 * time.Hour}, {3 * time.Hour, 3 * time.Hour}} {
		tx(t, db, func(tx *store.Tx) error { return tx.ExtendSession(ctx, "tok-bob", at(c.to)) })
		if _, s, err := db.SessionByToken(ctx, "tok-bob", t0); err != nil || !s.ExpiresAt.Equal(at(c.want)) {
			t.Fatalf("expiry after ExtendSession(+%v) = %v, %v; want %v", c.to, s.ExpiresAt, err, at(c.want))
		}
	}
	_, err := identity(t, db, "tok-bob", at(3*time.Hour))
	wantKind(t, "SessionIdentity() at the extended expiry", err, presso.KindUnauthenticated)
}

// testSessionsOfUser: DeleteUserSessions ends every session of one user
// and no other.
func testSessionsOfUser(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		for _, s := range []store.Staff{
			{ID: "st-b", Username: "bob", PasswordHash: "h", Role: presso.RoleBarista, EventID: "e1"},
			{ID: "st-c", Username: "cy", PasswordHash: "h", Role: presso.RoleBarista, EventID: "e1"},
		} {
			if err := tx.CreateStaff(ctx, s, t0); err != nil {
				return err
			}
		}
		for _, s := range [][2]string{{"tok-b1", "st-b"}, {"tok-b2", "st-b"}, {"tok-b3", "st-b"}, {"tok-c1", "st-c"}} {
			if err := tx.CreateSession(ctx, s[0], s[1], "staff", t0, at(time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	var n, none int64
	tx(t, db, func(tx *store.Tx) error {
		var err error
		if n, err = tx.DeleteUserSessions(ctx, "st-b"); err != nil {
			return err
		}
		none, err = tx.DeleteUserSessions(ctx, "st-nobody")
		return err
	})
	if n != 3 || none != 0 {
		t.Fatalf("DeleteUserSessions() = %d and %d for nobody, want 3 and 0", n, none)
	}
	for _, tok := range []string{"tok-b1", "tok-b2", "tok-b3"} {
		_, err := identity(t, db, tok, t0)
		wantKind(t, "SessionIdentity("+tok+") after DeleteUserSessions", err, presso.KindUnauthenticated)
	}
	if id, err := identity(t, db, "tok-c1", t0); err != nil || id.ID != "st-c" {
		t.Fatalf("another user's session after DeleteUserSessions = %+v, %v; want st-c", id, err)
	}
}

func takeAttempt(t *testing.T, db *store.DB, email string, now time.Time, max int) ([]string, error) {
	t.Helper()
	return txTry(t, db, func(tx *store.Tx) ([]string, error) {
		return tx.TakeSigninAttempt(t.Context(), email, now, max)
	})
}

const signinEmail = "ada@example.com"

func addSigninCode(t *testing.T, db *store.DB, hash string, now, expires time.Time) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.AddSigninCode(t.Context(), signinEmail, hash, now, expires) })
}

func testSigninCodeAttempts(t *testing.T, db *store.DB) {
	const email = signinEmail
	_, err := takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() with no code", err, presso.KindInvalid)

	addSigninCode(t, db, "h1", t0, at(10*time.Minute))
	for i := range 3 {
		if got, err := takeAttempt(t, db, email, t0, 3); err != nil || fmt.Sprint(got) != "[h1]" {
			t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want [h1], nil", i+1, got, err)
		}
	}
	_, err = takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() after max attempts", err, presso.KindInvalid)
	if n, err := db.LiveSigninCodes(t.Context(), email, t0, 3); err != nil || n != 0 {
		t.Fatalf("LiveSigninCodes() after max attempts = %d, %v; want 0", n, err)
	}

	// A new code has attempts of its own.
	addSigninCode(t, db, "h2", t0, at(10*time.Minute))
	if got, err := takeAttempt(t, db, email, t0, 3); err != nil || fmt.Sprint(got) != "[h2]" {
		t.Fatalf("TakeSigninAttempt() after a new code = %q, %v; want [h2], nil", got, err)
	}
	if got, err := takeAttempt(t, db, email, at(10*time.Minute-time.Millisecond), 3); err != nil || fmt.Sprint(got) != "[h2]" {
		t.Fatalf("TakeSigninAttempt() 1 ms before expiry = %q, %v; want [h2], nil", got, err)
	}
	_, err = takeAttempt(t, db, email, at(10*time.Minute), 3)
	wantKind(t, "TakeSigninAttempt() at expiry", err, presso.KindInvalid)
}

// testSigninCodeSeveral: a second code leaves the first one live; each
// guess counts against both.
func testSigninCodeSeveral(t *testing.T, db *store.DB) {
	addSigninCode(t, db, "h-a", t0, at(10*time.Minute))
	addSigninCode(t, db, "h-b", at(time.Minute), at(11*time.Minute))
	if n, err := db.LiveSigninCodes(t.Context(), signinEmail, at(time.Minute), 3); err != nil || n != 2 {
		t.Fatalf("LiveSigninCodes() = %d, %v; want 2", n, err)
	}
	got, err := takeAttempt(t, db, signinEmail, at(time.Minute), 3)
	sort.Strings(got)
	if err != nil || fmt.Sprint(got) != "[h-a h-b]" {
		t.Fatalf("TakeSigninAttempt() with two codes = %q, %v; want [h-a h-b]", got, err)
	}
	// The first expires first.
	if got, err := takeAttempt(t, db, signinEmail, at(10*time.Minute), 3); err != nil || fmt.Sprint(got) != "[h-b]" {
		t.Fatalf("TakeSigninAttempt() after the first expired = %q, %v; want [h-b]", got, err)
	}
	if n, err := db.LiveSigninCodes(t.Context(), signinEmail, at(10*time.Minute), 2); err != nil || n != 0 {
		t.Fatalf("LiveSigninCodes(max 2) after two attempts = %d, %v; want 0", n, err)
	}
}

func testSigninCodeConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	addSigninCode(t, db, "h3", t0, at(10*time.Minute))
	const n, max = 12, 3
	errs := make([]error, n)
	hashes := make([][]string, n)
	concurrently(n, func(i int) {
		errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			hashes[i], err = tx.TakeSigninAttempt(ctx, signinEmail, t0, max)
			return err
		})
	})
	okN := 0
	for i := range n {
		switch {
		case errs[i] == nil && fmt.Sprint(hashes[i]) == "[h3]":
			okN++
		case presso.KindOf(errs[i]) != presso.KindInvalid:
			t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want [h3] or an invalid-code error", i, hashes[i], errs[i])
		}
	}
	if okN != max {
		t.Fatalf("%d concurrent TakeSigninAttempt(max %d): %d succeeded, want exactly %d", n, max, okN, max)
	}
}

func testSigninCodeDelete(t *testing.T, db *store.DB) {
	addSigninCode(t, db, "h4", t0, at(10*time.Minute))
	addSigninCode(t, db, "h5", t0, at(10*time.Minute))
	if got, err := takeAttempt(t, db, signinEmail, t0, 3); err != nil || len(got) != 2 {
		t.Fatalf("TakeSigninAttempt() before DeleteSigninCode = %q, %v; want two hashes", got, err)
	}
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSigninCode(t.Context(), signinEmail) })
	_, err := takeAttempt(t, db, signinEmail, t0, 3)
	wantKind(t, "TakeSigninAttempt() after DeleteSigninCode", err, presso.KindInvalid)
}
