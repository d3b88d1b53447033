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
	"reflect"
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
	run(t, open, suite(open))
}

// suite is the whole suite, one table: every group and leaf by name. The
// leaves live in the file of their tables (db.go, bars.go, codes.go, …).
func suite(open func(t *testing.T) *store.DB) []test {
	return []test{
		{name: "Basics", fn: testBasics},
		{name: "Tx", group: []test{
			{name: "CommitAndReadYourWrites", fn: testTxCommit},
			{name: "ErrorRollsBack", fn: testTxError},
			{name: "PanicRollsBack", fn: testTxPanic},
		}},
		{name: "Bars", group: []test{
			{name: "Create", fn: testBarCreate},
			{name: "Duplicate", fn: testBarDuplicate},
			{name: "NotFound", fn: testBarNotFound},
			{name: "Update", fn: testBarUpdate},
			{name: "List", fn: testBarList},
			{name: "EmptyConfig", fn: testBarEmptyConfig},
		}},
		{name: "Capacity", group: []test{
			{name: "Concurrent", fn: testCapacityConcurrent},
			{name: "Closed", fn: testCapacityClosed},
			{name: "UnknownBar", fn: testCapacityUnknownBar},
			{name: "ReleaseNeverBelowZero", fn: testCapacityReleaseNeverBelowZero},
		}},
		{name: "CustomerLimit", group: []test{
			{name: "Concurrent", fn: testCustomerLimitConcurrent},
			{name: "Uncount", fn: testCustomerLimitUncount},
			{name: "Separate", fn: testCustomerLimitSeparate},
			{name: "MaxThree", fn: testCustomerLimitMaxThree},
			{name: "UncountNeverBelowZero", fn: testCustomerLimitUncountNeverBelowZero},
			{name: "MaxZero", fn: testCustomerLimitMaxZero},
		}},
		{name: "Codes", group: []test{
			{name: "EnsureConcurrent", fn: testCodeEnsureConcurrent},
			{name: "EnsureExisting", fn: testCodeEnsureExisting},
			{name: "EnsureSeparate", fn: testCodeEnsureSeparate},
			{name: "UseConcurrent", fn: testCodeUseConcurrent},
			{name: "SoldOut", fn: testCodeSoldOut},
			{name: "Expired", fn: testCodeExpired},
			{name: "Unknown", fn: testCodeUnknown},
			{name: "ByValue", fn: testCodeByValue},
		}},
		{name: "NextNumber", fn: testNextNumber},
		{name: "Orders", group: []test{
			{name: "RoundTrip", fn: testOrderRoundTrip},
			{name: "RoundTripNil", fn: testOrderRoundTripNil},
			{name: "Head", fn: testOrderHead},
			{name: "DrinkWithoutModifiers", fn: testOrderDrinkWithoutModifiers},
			{name: "NotFound", fn: testOrderNotFound},
			{name: "DuplicateID", fn: testOrderDuplicateID},
			{name: "Update", fn: testOrderUpdate},
			{name: "ConcurrentUpdates", fn: testOrderConcurrentUpdates},
			{name: "Walkup", fn: testOrderWalkup},
			{name: "Called", fn: testOrderCalled},
			{name: "InsertNumbered", fn: testOrderInsertNumbered},
		}},
		{name: "OrderNumbersUnique", fn: testOrderNumbersUnique},
		{name: "ListOrders", group: listOrdersTests()},
		{name: "UserOrders", fn: testUserOrders},
		{name: "QueuePosition", fn: testQueuePosition},
		{name: "Deadlines", group: []test{
			{name: "Claim", fn: testDeadlinesClaim},
			{name: "ConcurrentSweepers", fn: testDeadlinesConcurrentSweepers},
			{name: "SkipLocked", fn: testDeadlinesSkipLocked},
		}},
		{name: "History", fn: testHistory},
		{name: "Outbox", group: []test{
			{name: "Append", fn: testOutboxAppend},
			{name: "DuplicateID", fn: testOutboxDuplicateID},
			{name: "MarkPublished", fn: testOutboxMarkPublished},
			{name: "LockRelay", fn: testOutboxLockRelay},
		}},
		{name: "Relay", group: []test{
			{name: "ReadBesideWriter", fn: testRelayReadBesideWriter},
			{name: "LockReleased", fn: testRelayLockReleased},
		}},
		{name: "Staff", fn: testStaff},
		{name: "Customers", fn: testCustomers},
		{name: "CustomerName", fn: testCustomerName},
		{name: "Sessions", fn: testSessions},
		{name: "SigninCodes", group: []test{
			{name: "Attempts", fn: testSigninCodeAttempts},
			{name: "Several", fn: testSigninCodeSeveral},
			{name: "Concurrent", fn: testSigninCodeConcurrent},
			{name: "Delete", fn: testSigninCodeDelete},
		}},
		// Security (issue 8).
		{name: "SessionBar", fn: testSessionBar},
		{name: "SessionExtend", fn: testSessionExtend},
		{name: "SessionsOfUser", fn: testSessionsOfUser},
		{name: "Limits", group: []test{
			{name: "BackoffTurns", fn: testBackoffTurns},
			{name: "BackoffForget", fn: testBackoffForget},
			{name: "BackoffConcurrent", fn: testBackoffConcurrent},
			{name: "BackoffSweep", fn: testBackoffSweep},
			{name: "RateCounts", fn: testRateCounts},
			{name: "RateConcurrent", fn: testRateConcurrent},
			{name: "RateSweep", fn: testRateSweep},
		}},
		// The admin console (issue 9).
		{name: "StaffAccounts", group: []test{
			{name: "List", fn: testStaffList},
			{name: "Update", fn: testStaffUpdate},
			{name: "RecordSignIn", fn: testStaffRecordSignIn},
			{name: "EnabledAdmins", fn: testStaffEnabledAdmins},
			{name: "LastAdminRace", fn: testStaffLastAdminRace},
		}},
		{name: "Audit", group: []test{
			{name: "AppendAndList", fn: testAuditList},
			{name: "Pages", fn: testAuditPages},
			{name: "RolledBack", fn: testAuditRolledBack},
		}},
		{name: "Pairings", group: []test{
			{name: "UseOnce", fn: testPairingUseOnce},
			{name: "Expired", fn: testPairingExpired},
			{name: "Unknown", fn: testPairingUnknown},
			{name: "Concurrent", fn: testPairingConcurrent},
			{name: "Forget", fn: testPairingForget},
		}},
		{name: "QRControl", group: []test{
			{name: "AdjustUses", fn: testAdjustCodeUses},
			{name: "AdjustOnlyTheLiveCode", fn: testAdjustOnlyLive},
			{name: "EndCodes", fn: testEndCodes},
			{name: "QREpoch", fn: testQREpoch},
			{name: "DayCounts", fn: testDayCounts},
		}},
		{name: "Migrations", group: []test{
			{name: "ReopenIsIdempotent", fn: testMigrationsReopen},
			{name: "NewerSchemaRefused", fn: testMigrationsNewerSchema},
		}},
		{name: "Settings", group: []test{
			{name: "MissingIsEmpty", fn: testSettingMissing},
			{name: "SetReplaces", fn: testSettingSet},
			{name: "InitKeepsFirst", fn: testSettingInit},
			{name: "InitRace", fn: testSettingInitRace},
		}},
		{name: "ExportImport", fn: func(t *testing.T, from *store.DB) { testExportImport(t, from, open(t)) }},
		{name: "Stats", group: []test{
			{name: "BarStats", fn: testBarStats},
			{name: "Percentile", fn: testPercentile},
			{name: "RecentCompletions", fn: testRecentCompletions},
			{name: "QueueLoad", fn: testQueueLoad},
			{name: "OrdersBetween", fn: testOrdersBetween},
			{name: "InFlight", fn: testInFlight},
			{name: "OutboxBacklog", fn: testOutboxBacklog},
			{name: "StepAt", fn: testStepAt},
			{name: "ActorNames", fn: testActorNames},
		}},
	}
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

// txValue runs fn in one write transaction and returns what it returns,
// and fails the test if it fails.
func txValue[T any](t *testing.T, db *store.DB, fn func(tx *store.Tx) (T, error)) T {
	t.Helper()
	v, err := txTry(t, db, fn)
	if err != nil {
		t.Fatalf("Tx() = %v, want nil", err)
	}
	return v
}

// txTry runs fn in one write transaction and returns what it returns, and
// the error, for the tests of what the store refuses.
func txTry[T any](t *testing.T, db *store.DB, fn func(tx *store.Tx) (T, error)) (T, error) {
	var v T
	err := db.Tx(t.Context(), func(tx *store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

// wantEqual fails unless got and want are deeply equal.
func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s =\n  %+v\nwant\n  %+v", what, got, want)
	}
}

// wantKind fails unless err is a *presso.Error of kind k.
func wantKind(t *testing.T, what string, err error, k presso.Kind) {
	t.Helper()
	if got := presso.KindOf(err); err == nil || got != k {
		t.Fatalf("%s: error = %v (kind %d), want kind %d", what, err, got, k)
	}
}

// race runs fn(tx, i) for i in [0, n), each in a write transaction of its
// own, all released at once, and returns the results by i. A transaction
// that fails fails the test, naming what it ran: in these races the losers
// are told so by the result, not by an error.
func race[T any](t *testing.T, db *store.DB, what string, n int, fn func(tx *store.Tx, i int) (T, error)) []T {
	t.Helper()
	got := make([]T, n)
	errs := make([]error, n)
	concurrently(n, func(i int) {
		errs[i] = db.Tx(t.Context(), func(tx *store.Tx) error {
			var err error
			got[i], err = fn(tx, i)
			return err
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s #%d = %v", what, i, err)
		}
	}
	return got
}

// wins counts the true results of a race.
func wins(oks []bool) int {
	n := 0
	for _, ok := range oks {
		if ok {
			n++
		}
	}
	return n
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
