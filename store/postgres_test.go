package store_test

import (
	"testing"

	"presso/store/storetest"
)

// TestPostgres runs the conformance suite, then each of its subtests alone
// (see checkAlone).
func TestPostgres(t *testing.T) {
	server := storetest.PostgresServer(t)
	runSuite(t, "postgres", func(t *testing.T) string { return storetest.FreshPostgres(t, server) })
}

// TestPostgresConcurrentOpen starts replicas on one new database at once:
// the advisory lock lets one migrate while the others wait and find it done.
func TestPostgresConcurrentOpen(t *testing.T) {
	concurrentOpen(t, storetest.FreshPostgres(t, storetest.PostgresServer(t)))
}
