package orders_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestOnPostgres runs the order-flow tests again on PostgreSQL, when
// PRESSO_TEST_POSTGRES_URL names a server (see .ci/postgres.sh).
func TestOnPostgres(t *testing.T) {
	server := os.Getenv("PRESSO_TEST_POSTGRES_URL")
	if server == "" {
		if os.Getenv("PRESSO_REQUIRE_ALL") == "1" {
			t.Fatal("PRESSO_TEST_POSTGRES_URL is not set and PRESSO_REQUIRE_ALL=1")
		}
		t.Skip("PRESSO_TEST_POSTGRES_URL is not set")
	}
	postgresServer = server
	defer func() { postgresServer = "" }()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Timeouts", TestTimeouts},
		{"Races", TestRaces},
		{"CancelWhileChoosing", TestCancelWhileChoosingEndsWorkflow},
		{"CustomerCancelRules", TestCustomerCancelRules},
		{"OrderNumbers", TestOrderNumbers},
		{"DailyReset", TestDailyReset},
		{"StartRejections", TestStartRejections},
		{"CustomerLimit", TestCustomerLimit},
		{"Visibility", TestVisibility},
		{"FastBarista", TestFastBarista},
		{"EventPayloads", TestEventPayloads},
	} {
		t.Run(tc.name, tc.fn)
	}
}

var pgDBs atomic.Int64

// freshPostgres creates an empty database on server for one test and
// drops it afterwards.
func freshPostgres(t testing.TB, server string) string {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("presso_orders_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, pgDBs.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, _ := url.Parse(server)
	u.Path = "/" + name
	return u.String()
}
