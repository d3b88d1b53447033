package orders_test

import (
	"testing"

	"presso/store/storetest"
)

// TestOnPostgres runs the order-flow tests again on PostgreSQL, when
// PRESSO_TEST_POSTGRES_URL names a server (see .ci/postgres.sh).
func TestOnPostgres(t *testing.T) {
	postgresServer = storetest.PostgresServer(t)
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
		{"NumberAcrossMidnight", TestNumberAcrossMidnight},
		{"StartRejections", TestStartRejections},
		{"CustomerLimit", TestCustomerLimit},
		{"Visibility", TestVisibility},
		{"FastBarista", TestFastBarista},
		{"Unmake", TestUnmake},
		{"Collect", TestCollect},
		{"SweepSkipsAFailingOrder", TestSweepSkipsAFailingOrder},
		{"NewOrderWhileLastEnds", TestNewOrderWhileLastEnds},
		{"WindowChange", TestWindowChange},
		{"EventPayloads", TestEventPayloads},
	} {
		t.Run(tc.name, tc.fn)
	}
}
