package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases
)

// PostgresServer returns the server named by PRESSO_TEST_POSTGRES_URL (see
// .ci/postgres.sh). Without it the test is skipped, or fails when
// PRESSO_REQUIRE_ALL=1 says every engine must be tested.
func PostgresServer(t testing.TB) string {
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

var databases atomic.Int64

// FreshPostgres creates a new, empty database on server for one test and
// returns its URL; the database is dropped when the test ends.
func FreshPostgres(t testing.TB, server string) string {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("open %s: %v", server, err)
	}
	name := fmt.Sprintf("presso_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, databases.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
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
