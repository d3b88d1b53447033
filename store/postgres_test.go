package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"presso/store"
	"presso/store/storetest"
)

// pgURL returns the server the PostgreSQL tests may create databases on,
// from PRESSO_TEST_POSTGRES_URL (see .ci/postgres.sh). Without it the tests
// skip, unless PRESSO_REQUIRE_ALL=1 says every engine must be tested.
func pgURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("PRESSO_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("PRESSO_REQUIRE_ALL") == "1" {
			t.Fatal("PRESSO_TEST_POSTGRES_URL is not set and PRESSO_REQUIRE_ALL=1: start one with eval \"$(.ci/postgres.sh start)\"")
		}
		t.Skip("PRESSO_TEST_POSTGRES_URL is not set: start a server with eval \"$(.ci/postgres.sh start)\"")
	}
	return u
}

var pgDBs atomic.Int64

// freshPostgres creates a new, empty database on the server and returns its
// URL; the database is dropped when the test ends.
func freshPostgres(t *testing.T, server string) string {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("open %s: %v", server, err)
	}
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("presso_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, pgDBs.Add(1))
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse PRESSO_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestPostgres(t *testing.T) {
	server := pgURL(t)
	storetest.Run(t, func(t *testing.T) *store.DB {
		dsn := freshPostgres(t, server)
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
}

// TestPostgresConcurrentOpen starts replicas on one new database at once:
// the advisory lock lets one migrate while the others wait and find it done.
func TestPostgresConcurrentOpen(t *testing.T) {
	concurrentOpen(t, freshPostgres(t, pgURL(t)))
}
