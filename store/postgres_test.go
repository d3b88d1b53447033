package store_test

import (
	"testing"

	"presso/store"
	"presso/store/storetest"
)

// TestPostgres runs the conformance suite, then each of its subtests alone
// (see checkAlone).
func TestPostgres(t *testing.T) {
	server := storetest.PostgresServer(t)
	var suite verdicts
	storetest.Run(t, func(t *testing.T) *store.DB {
		suite.record(t)
		dsn := storetest.FreshPostgres(t, server)
		db, err := store.Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if got := db.Engine(); got != "postgres" {
			t.Fatalf("Engine() = %q, want postgres", got)
		}
		return db
	})
	checkAlone(t, &suite)
}

// TestPostgresConcurrentOpen starts replicas on one new database at once:
// the advisory lock lets one migrate while the others wait and find it done.
func TestPostgresConcurrentOpen(t *testing.T) {
	concurrentOpen(t, storetest.FreshPostgres(t, storetest.PostgresServer(t)))
}
