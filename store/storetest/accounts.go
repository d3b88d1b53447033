package storetest

import (
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

func identity(t *testing.T, db *store.DB, token string, now time.Time) (presso.Identity, error) {
	t.Helper()
	return db.SessionIdentity(t.Context(), token, now)
}

func testSessions(t *testing.T, db *store.DB) {
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

	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSession(ctx, "tok-admin") })
	_, err = identity(t, db, "tok-admin", t0)
	wantKind(t, "SessionIdentity() after DeleteSession", err, presso.KindUnauthenticated)
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSession(ctx, "nope") }) // not an error

	// DeleteExpiredSessions removes what expired (and expired sign-in
	// codes); a removed session is gone even at an earlier time.
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.PutSigninCode(ctx, "old@example.com", "h-old", at(time.Minute)); err != nil {
			return err
		}
		if err := tx.PutSigninCode(ctx, "new@example.com", "h-new", at(time.Hour)); err != nil {
			return err
		}
		return tx.DeleteExpiredSessions(ctx, at(time.Minute))
	})
	_, err = identity(t, db, "tok-short", t0)
	wantKind(t, "SessionIdentity() of a swept session", err, presso.KindUnauthenticated)
	if _, err := identity(t, db, "tok-barista", t0); err != nil {
		t.Fatalf("SessionIdentity() of a live session after the sweep = %v, want nil", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.TakeSigninAttempt(ctx, "old@example.com", t0, 5)
		return err
	})
	wantKind(t, "TakeSigninAttempt() of a swept code", err, presso.KindInvalid)
	var hash string
	tx(t, db, func(tx *store.Tx) error {
		var err error
		hash, err = tx.TakeSigninAttempt(ctx, "new@example.com", t0, 5)
		return err
	})
	if hash != "h-new" {
		t.Fatalf("TakeSigninAttempt() of a live code after the sweep = %q, want h-new", hash)
	}
}

func takeAttempt(t *testing.T, db *store.DB, email string, now time.Time, max int) (string, error) {
	t.Helper()
	var hash string
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		hash, err = tx.TakeSigninAttempt(t.Context(), email, now, max)
		return err
	})
	return hash, err
}

const signinEmail = "ada@example.com"

func putSigninCode(t *testing.T, db *store.DB, hash string, expires time.Time) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.PutSigninCode(t.Context(), signinEmail, hash, expires) })
}

func signinCodeTests() []test {
	return []test{
		{name: "Attempts", fn: testSigninCodeAttempts},
		{name: "Concurrent", fn: testSigninCodeConcurrent},
		{name: "Delete", fn: testSigninCodeDelete},
	}
}

func testSigninCodeAttempts(t *testing.T, db *store.DB) {
	const email = signinEmail
	_, err := takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() with no code", err, presso.KindInvalid)

	putSigninCode(t, db, "h1", at(10*time.Minute))
	for i := range 3 {
		if got, err := takeAttempt(t, db, email, t0, 3); err != nil || got != "h1" {
			t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want h1, nil", i+1, got, err)
		}
	}
	_, err = takeAttempt(t, db, email, t0, 3)
	wantKind(t, "TakeSigninAttempt() after max attempts", err, presso.KindInvalid)

	// A new code replaces the old one and resets the attempts.
	putSigninCode(t, db, "h2", at(10*time.Minute))
	if got, err := takeAttempt(t, db, email, t0, 3); err != nil || got != "h2" {
		t.Fatalf("TakeSigninAttempt() after a new code = %q, %v; want h2, nil", got, err)
	}
	if got, err := takeAttempt(t, db, email, at(10*time.Minute-time.Millisecond), 3); err != nil || got != "h2" {
		t.Fatalf("TakeSigninAttempt() 1 ms before expiry = %q, %v; want h2, nil", got, err)
	}
	_, err = takeAttempt(t, db, email, at(10*time.Minute), 3)
	wantKind(t, "TakeSigninAttempt() at expiry", err, presso.KindInvalid)
}

func testSigninCodeConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	putSigninCode(t, db, "h3", at(10*time.Minute))
	const n, max = 12, 3
	errs := make([]error, n)
	hashes := make([]string, n)
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
		case errs[i] == nil && hashes[i] == "h3":
			okN++
		case presso.KindOf(errs[i]) != presso.KindInvalid:
			t.Fatalf("TakeSigninAttempt() #%d = %q, %v; want h3 or an invalid-code error", i, hashes[i], errs[i])
		}
	}
	if okN != max {
		t.Fatalf("%d concurrent TakeSigninAttempt(max %d): %d succeeded, want exactly %d", n, max, okN, max)
	}
}

func testSigninCodeDelete(t *testing.T, db *store.DB) {
	putSigninCode(t, db, "h4", at(10*time.Minute))
	if got, err := takeAttempt(t, db, signinEmail, t0, 3); err != nil || got != "h4" {
		t.Fatalf("TakeSigninAttempt() before DeleteSigninCode = %q, %v; want h4, nil", got, err)
	}
	tx(t, db, func(tx *store.Tx) error { return tx.DeleteSigninCode(t.Context(), signinEmail) })
	_, err := takeAttempt(t, db, signinEmail, t0, 3)
	wantKind(t, "TakeSigninAttempt() after DeleteSigninCode", err, presso.KindInvalid)
}
