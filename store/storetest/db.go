package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// The DB itself and its transactions (store/store.go).

func testBasics(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if got := db.Engine(); got != "sqlite" && got != "postgres" {
		t.Fatalf("Engine() = %q, want sqlite or postgres", got)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	if got := db.SchemaVersion(); got < 1 {
		t.Fatalf("SchemaVersion() = %d, want >= 1", got)
	}
	if got := db.DSN(); got == "" {
		t.Fatalf("DSN() = %q, want the DSN Open was given", got)
	}
}

func testTxCommit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx *store.Tx) error {
		if err := tx.CreateBar(ctx, newBar("committed"), t0); err != nil {
			return err
		}
		if _, err := tx.GetBar(ctx, "committed"); err != nil {
			t.Errorf("tx.GetBar() inside the creating Tx = %v, want nil", err)
		}
		// The read pool must not see uncommitted writes.
		_, err := db.GetBar(ctx, "committed")
		if presso.KindOf(err) != presso.KindNotFound {
			t.Errorf("db.GetBar() before commit = %v, want not found", err)
		}
		return nil
	})
	if _, err := db.GetBar(ctx, "committed"); err != nil {
		t.Fatalf("db.GetBar() after commit = %v, want nil", err)
	}
}

func testTxError(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateBar(ctx, newBar("rolled"), t0); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx() = %v, want the error fn returned", err)
	}
	_, err = db.GetBar(ctx, "rolled")
	wantKind(t, "GetBar() of a rolled-back bar", err, presso.KindNotFound)
}

func testTxPanic(t *testing.T, db *store.DB) {
	ctx := t.Context()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recover() = %v, want the panic value boom", r)
			}
		}()
		db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateBar(ctx, newBar("panicked"), t0); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	// The next transaction must not wait for the abandoned one.
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := db.Tx(tctx, func(tx *store.Tx) error { return tx.CreateBar(tctx, newBar("after-panic"), t0) })
	if err != nil {
		t.Fatalf("Tx() after a panicking Tx = %v, want nil", err)
	}
	if _, err := db.GetBar(ctx, "after-panic"); err != nil {
		t.Fatalf("GetBar() of the bar created after the panic = %v, want nil", err)
	}
	_, err = db.GetBar(ctx, "panicked")
	wantKind(t, "GetBar() of a bar created by a panicking Tx", err, presso.KindNotFound)
}
