package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// The staff list, account changes, sign-in records and the last-admin
// lock (store/staff.go).

// staffFixture creates an admin, a disabled admin, a barista of e1 and a
// display of e1, each a minute apart.
func staffFixture(t *testing.T, db *store.DB) []store.Staff {
	t.Helper()
	accounts := []store.Staff{
		{ID: "st-root", Username: "root", PasswordHash: "h-root", Role: presso.RoleAdmin},
		{ID: "st-old", Username: "old", PasswordHash: "h-old", Role: presso.RoleAdmin, Disabled: true},
		{ID: "st-bob", Username: "bob", PasswordHash: "h-bob", Role: presso.RoleBarista, EventID: "e1"},
		{ID: "st-tv", Username: "tv", PasswordHash: "h-tv", Role: presso.RoleDisplay, EventID: "e1"},
	}
	tx(t, db, func(tx *store.Tx) error {
		for i, a := range accounts {
			if err := tx.CreateStaff(t.Context(), a, at(time.Duration(i)*time.Minute+truncated)); err != nil {
				return err
			}
		}
		return nil
	})
	return accounts
}

func testStaffList(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got, err := db.ListStaff(ctx); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ListStaff() on an empty database = %#v, %v; want an empty list", got, err)
	}
	staffFixture(t, db)
	want := []store.StaffAccount{
		{ID: "st-bob", Username: "bob", Role: presso.RoleBarista, EventID: "e1", CreatedAt: at(2 * time.Minute)},
		{ID: "st-old", Username: "old", Role: presso.RoleAdmin, Disabled: true, CreatedAt: at(time.Minute)},
		{ID: "st-root", Username: "root", Role: presso.RoleAdmin, CreatedAt: t0},
		{ID: "st-tv", Username: "tv", Role: presso.RoleDisplay, EventID: "e1", CreatedAt: at(3 * time.Minute)},
	}
	got, err := db.ListStaff(ctx)
	if err != nil {
		t.Fatalf("ListStaff() = %v", err)
	}
	wantEqual(t, "ListStaff()", got, want)
	one, err := db.StaffAccountByUsername(ctx, "old")
	if err != nil || !reflect.DeepEqual(one, want[1]) {
		t.Fatalf("StaffAccountByUsername(old) = %+v, %v; want %+v", one, err, want[1])
	}
	_, err = db.StaffAccountByUsername(ctx, "nope")
	wantKind(t, "StaffAccountByUsername(nope)", err, presso.KindNotFound)
	old, err := db.StaffByUsername(ctx, "old")
	if want := (store.Staff{ID: "st-old", Username: "old", PasswordHash: "h-old", Role: presso.RoleAdmin, Disabled: true}); err != nil || old != want {
		t.Fatalf("StaffByUsername(old) = %+v, %v; want %+v", old, err, want)
	}
}

func testStaffUpdate(t *testing.T, db *store.DB) {
	ctx := t.Context()
	accounts := staffFixture(t, db)
	bob := accounts[2]
	bob.Role, bob.EventID, bob.Disabled = presso.RoleDisplay, "e2", true
	tx(t, db, func(tx *store.Tx) error { return tx.UpdateStaff(ctx, bob) })
	got, err := db.StaffByUsername(ctx, "bob")
	if err != nil || got != bob {
		t.Fatalf("StaffByUsername(bob) after UpdateStaff = %+v, %v; want %+v", got, err, bob)
	}
	// UpdateStaff leaves the hash alone; the others are untouched.
	for _, a := range []store.Staff{accounts[0], accounts[1], accounts[3]} {
		if got, err := db.StaffByUsername(ctx, a.Username); err != nil || got != a {
			t.Fatalf("StaffByUsername(%s) = %+v, %v; want it unchanged %+v", a.Username, got, err, a)
		}
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return tx.UpdateStaff(ctx, store.Staff{ID: "st-nope", Role: presso.RoleAdmin})
	})
	wantKind(t, "UpdateStaff(st-nope)", err, presso.KindNotFound)
}

func testStaffRecordSignIn(t *testing.T, db *store.DB) {
	ctx := t.Context()
	staffFixture(t, db)
	record := func(id, hash string, now time.Time) bool {
		t.Helper()
		return txValue(t, db, func(tx *store.Tx) (bool, error) {
			return tx.RecordSignIn(ctx, id, hash, now)
		})
	}
	cases := []struct {
		name, id, hash string
		want           bool
	}{
		{"enabled, the checked hash", "st-bob", "h-bob", true},
		{"the hash changed since the check", "st-root", "h-stale", false},
		{"disabled", "st-old", "h-old", false},
		{"unknown", "st-nope", "h", false},
	}
	for _, c := range cases {
		if got := record(c.id, c.hash, at(time.Hour+truncated)); got != c.want {
			t.Errorf("RecordSignIn(%s: %s) = %v, want %v", c.name, c.id, got, c.want)
		}
	}
	list, err := db.ListStaff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		var want *time.Time
		if a.ID == "st-bob" {
			want = ptr(at(time.Hour))
		}
		if !reflect.DeepEqual(a.LastSignInAt, want) {
			t.Errorf("%s LastSignInAt = %s, want %s", a.Username, fmtTime(a.LastSignInAt), fmtTime(want))
		}
	}
}

func testStaffEnabledAdmins(t *testing.T, db *store.DB) {
	ctx := t.Context()
	staffFixture(t, db)
	count := func(except string) int {
		t.Helper()
		n, err := db.CountEnabledAdmins(ctx, except)
		if err != nil {
			t.Fatalf("CountEnabledAdmins(%s) = %v", except, err)
		}
		return n
	}
	// root is the only enabled admin: old is disabled, bob and tv are not admins.
	if got := count("st-bob"); got != 1 {
		t.Fatalf("CountEnabledAdmins(except bob) = %d, want 1", got)
	}
	if got := count("st-root"); got != 0 {
		t.Fatalf("CountEnabledAdmins(except root) = %d, want 0", got)
	}
	before, _ := db.ListStaff(ctx)
	tx(t, db, func(tx *store.Tx) error { return tx.LockAdmins(ctx) })
	after, _ := db.ListStaff(ctx)
	wantEqual(t, "ListStaff() after LockAdmins", after, before)
}

// testStaffLastAdminRace: two admins each disable the other at once,
// checking under LockAdmins that another enabled admin remains. Exactly
// one may win, leaving one enabled admin.
func testStaffLastAdminRace(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for round := range 10 {
		a := store.Staff{ID: fmt.Sprintf("st-a%d", round), Username: fmt.Sprintf("a%d", round), PasswordHash: "h", Role: presso.RoleAdmin}
		b := store.Staff{ID: fmt.Sprintf("st-b%d", round), Username: fmt.Sprintf("b%d", round), PasswordHash: "h", Role: presso.RoleAdmin}
		tx(t, db, func(tx *store.Tx) error {
			if round > 0 { // the last round's survivor steps aside, so a and b are the only enabled admins
				if err := tx.LockAdmins(ctx); err != nil {
					return err
				}
				for _, id := range []string{fmt.Sprintf("st-a%d", round-1), fmt.Sprintf("st-b%d", round-1)} {
					if err := tx.UpdateStaff(ctx, store.Staff{ID: id, Role: presso.RoleAdmin, Disabled: true}); err != nil {
						return err
					}
				}
			}
			if err := tx.CreateStaff(ctx, a, t0); err != nil {
				return err
			}
			return tx.CreateStaff(ctx, b, t0)
		})
		errLast := errors.New("last admin")
		var won, refused atomic.Int32
		pairs := [][2]store.Staff{{a, b}, {b, a}}
		concurrently(2, func(i int) {
			self, other := pairs[i][0], pairs[i][1]
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.LockAdmins(ctx); err != nil {
					return err
				}
				n, err := tx.CountEnabledAdmins(ctx, other.ID)
				if err != nil {
					return err
				}
				if n == 0 {
					return errLast
				}
				other.Disabled = true
				return tx.UpdateStaff(ctx, other)
			})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, errLast):
				refused.Add(1)
			default:
				t.Errorf("round %d: %s disabling %s: %v", round, self.Username, other.Username, err)
			}
		})
		if won.Load() != 1 || refused.Load() != 1 {
			t.Fatalf("round %d: %d won, %d refused; want 1 and 1", round, won.Load(), refused.Load())
		}
		if n, err := db.CountEnabledAdmins(ctx, ""); err != nil || n != 1 {
			t.Fatalf("round %d: CountEnabledAdmins() = %d, %v; want 1", round, n, err)
		}
	}
}
