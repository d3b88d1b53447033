package store_test

import (
	"path/filepath"
	"sync"
	"testing"

	"presso/store"
	"presso/store/storetest"
)

// TestSQLite runs the conformance suite, then each of its subtests alone
// (see checkAlone).
func TestSQLite(t *testing.T) {
	runSuite(t, "sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "presso.db") })
}

// runSuite runs the conformance suite on fresh databases of engine, each
// opened at dsn(t), then each of its subtests alone (see checkAlone).
func runSuite(t *testing.T, engine string, dsn func(t *testing.T) string) {
	var suite verdicts
	storetest.Run(t, func(t *testing.T) *store.DB {
		suite.record(t)
		db, err := store.Open(t.Context(), dsn(t))
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if got := db.Engine(); got != engine {
			t.Fatalf("Engine() = %q, want %s", got, engine)
		}
		return db
	})
	checkAlone(t, &suite)
}

// TestSQLiteConcurrentOpen starts several processes' worth of Open on one
// new file at once: each must migrate or find it migrated, never fail.
func TestSQLiteConcurrentOpen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "dir", "presso.db")
	concurrentOpen(t, file)
}

func concurrentOpen(t *testing.T, dsn string) {
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(t.Context(), dsn)
			if err == nil {
				_, err = db.ListBars(t.Context())
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open() #%d = %v, want nil", i, err)
		}
	}
}
