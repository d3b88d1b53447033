package storetest

import (
	"sync"
	"testing"

	"presso/store"
)

// The deployment's settings (store/settings.go).

func setting(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	v, err := db.Setting(t.Context(), name)
	if err != nil {
		t.Fatalf("Setting(%s) = %v", name, err)
	}
	return v
}

// testSettingMissing: a name never stored reads as "", without an error.
func testSettingMissing(t *testing.T, db *store.DB) {
	if got := setting(t, db, "nothing"); got != "" {
		t.Fatalf("Setting(nothing) = %q, want \"\"", got)
	}
}

// testSettingSet: SetSetting writes and then replaces, and other names are
// left alone; inside the transaction the new value is read back.
func testSettingSet(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.SetSetting(ctx, "a", "1"); err != nil {
			return err
		}
		return tx.SetSetting(ctx, "b", "x")
	})
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.SetSetting(ctx, "a", "2"); err != nil {
			return err
		}
		if got, err := tx.Setting(ctx, "a"); err != nil || got != "2" {
			t.Errorf("tx.Setting(a) after SetSetting(a, 2) = %q, %v, want 2", got, err)
		}
		return nil
	})
	if got := setting(t, db, "a"); got != "2" {
		t.Errorf("Setting(a) = %q, want 2", got)
	}
	if got := setting(t, db, "b"); got != "x" {
		t.Errorf("Setting(b) = %q, want x", got)
	}
}

// testSettingInit: InitSetting stores a value only where there is none and
// returns the kept one.
func testSettingInit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var first, second string
	tx(t, db, func(tx *store.Tx) (err error) {
		first, err = tx.InitSetting(ctx, "key", "one")
		return err
	})
	tx(t, db, func(tx *store.Tx) (err error) {
		second, err = tx.InitSetting(ctx, "key", "two")
		return err
	})
	if first != "one" || second != "one" {
		t.Fatalf("InitSetting(key, one) then (key, two) = %q, %q, want one, one", first, second)
	}
	if got := setting(t, db, "key"); got != "one" {
		t.Fatalf("Setting(key) = %q, want one", got)
	}
}

// testSettingInitRace: 8 transactions that each offer their own value at
// once all come back with the same one, the one stored.
func testSettingInitRace(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(tx *store.Tx) (err error) {
				got[i], err = tx.InitSetting(ctx, "key", string(rune('a'+i)))
				return err
			})
		})
	}
	wg.Wait()
	stored := setting(t, db, "key")
	if len(stored) != 1 || stored[0] < 'a' || stored[0] >= 'a'+n {
		t.Fatalf("Setting(key) after %d racing InitSetting = %q, want one of theirs", n, stored)
	}
	for i := range n {
		if errs[i] != nil || got[i] != stored {
			t.Errorf("InitSetting #%d = %q, %v, want %q, nil", i, got[i], errs[i], stored)
		}
	}
}
