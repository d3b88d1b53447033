// Package storetest is the conformance suite for presso's store: one set of
// tests that every engine (SQLite, PostgreSQL) must pass unchanged. An
// engine's test file calls Run with a function that opens a fresh, empty,
// migrated database.
//
// The suite is split like the store, one file per group of tables. Every
// leaf subtest opens its own database and builds the state it needs, so
// `go test -run` on any one of them gives the verdict the whole suite gives
// (store/alone_test.go checks that).
//
// Writes go through DB.Tx, as in the services; reads are checked through
// both the DB (the read pool) and a Tx. Concurrency tests start many
// goroutines that each run their own transaction, and assert exact counts,
// so a check-then-act race in any statement shows up as a wrong number.
package storetest

import (
	"sync"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// test is one subtest of the suite: either a leaf, whose fn gets a fresh,
// empty database of its own, or a group of tests.
type test struct {
	name  string
	fn    func(t *testing.T, db *store.DB)
	group []test
}

// Run runs the whole suite. open must return a fresh, empty database opened
// with store.Open, and close it (and remove it) when the test ends.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	run(t, open, []test{
		{name: "Basics", fn: testBasics},
		{name: "Tx", group: txTests()},
		{name: "Bars", group: barTests()},
		{name: "Capacity", group: capacityTests()},
		{name: "CustomerLimit", group: customerLimitTests()},
		{name: "Codes", group: codeTests()},
		{name: "NextNumber", fn: testNextNumber},
		{name: "Orders", group: orderTests()},
		{name: "OrderNumbersUnique", fn: testOrderNumbersUnique},
		{name: "ListOrders", group: listOrdersTests()},
		{name: "UserOrders", fn: testUserOrders},
		{name: "QueuePosition", fn: testQueuePosition},
		{name: "Deadlines", group: deadlineTests()},
		{name: "History", fn: testHistory},
		{name: "Outbox", group: outboxTests()},
		{name: "Relay", group: relayTests()},
		{name: "Staff", fn: testStaff},
		{name: "Customers", fn: testCustomers},
		{name: "CustomerName", fn: testCustomerName},
		{name: "Sessions", fn: testSessions},
		{name: "SigninCodes", group: signinCodeTests()},
		// Security (issue 8).
		{name: "SessionBar", fn: testSessionBar},
		{name: "SessionExtend", fn: testSessionExtend},
		{name: "SessionsOfUser", fn: testSessionsOfUser},
		{name: "Limits", group: limitTests()},
		// The admin console (issue 9).
		{name: "StaffAccounts", group: staffTests()},
		{name: "Audit", group: auditTests()},
		{name: "Pairings", group: pairingTests()},
		{name: "QRControl", group: qrControlTests()},
		{name: "Migrations", group: migrationTests()},
		{name: "Settings", group: settingTests()},
		{name: "ExportImport", fn: func(t *testing.T, from *store.DB) { testExportImport(t, from, open(t)) }},
		{name: "Stats", group: statsTests()},
	})
}

func run(t *testing.T, open func(t *testing.T) *store.DB, tests []test) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fn == nil {
				run(t, open, tc.group)
				return
			}
			tc.fn(t, open(t))
		})
	}
}

// t0 is the suite's "now": a whole millisecond, as stored.
var t0 = time.UnixMilli(1_767_225_600_123).UTC() // 2026-01-01T00:00:00.123Z

// truncated is added to times the suite writes, to check they are stored at
// millisecond precision (this part cut off) and come back in UTC.
const truncated = 456789 * time.Nanosecond

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

// tx runs fn in one write transaction and fails the test if it fails.
func tx(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.Tx(t.Context(), fn); err != nil {
		t.Fatalf("Tx() = %v, want nil", err)
	}
}

// wantKind fails unless err is a *presso.Error of kind k.
func wantKind(t *testing.T, what string, err error, k presso.Kind) {
	t.Helper()
	if got := presso.KindOf(err); err == nil || got != k {
		t.Fatalf("%s: error = %v (kind %d), want kind %d", what, err, got, k)
	}
}

// concurrently runs fn(i) for i in [0, n) in n goroutines released at once.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}
