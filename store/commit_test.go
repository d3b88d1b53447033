package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"presso"
)

// Group commit and admission on SQLite (commit.go, admit.go). Each test
// holds the writer with a transaction that waits, queues calls behind it,
// and lets go, so the queued calls are taken together as one group.

func openSQLiteTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "presso.db"))
	if err != nil {
		tb.Fatalf("Open() = %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// holdWriter runs a transaction that keeps the writer until release is
// called, which waits for it to commit.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	started, stop, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Tx(t.Context(), func(*Tx) error {
			close(started)
			<-stop
			return nil
		})
	}()
	<-started
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(stop)
			if err := <-done; err != nil {
				t.Errorf("the holding Tx() = %v, want nil", err)
			}
		})
	}
	t.Cleanup(release) // a test that fails first must not leave Close waiting
	return release
}

// waitQueued waits until n calls wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		db.writer.q.mu.Lock()
		got := db.writer.q.n
		db.writer.q.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued calls = %d, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func event(n int) presso.Envelope {
	return presso.NewEnvelope(presso.OrderManagerMakeOrder, "bar", time.UnixMilli(1_767_225_600_000).UTC(), map[string]any{"n": n})
}

// TestGroupCommitFailureLeavesNoTrace: of nine transitions that share one
// transaction, the three that fail leave nothing, and the six others
// commit; each caller hears its own outcome, and a caller told nil finds
// its write committed.
func TestGroupCommitFailureLeavesNoTrace(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	before := db.TxCounts()
	release := holdWriter(t, db)
	const n = 9
	boom := errors.New("boom")
	errs, seen := make([]error, n), make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("o%d", i)
			errs[i] = db.Tx(ctx, func(tx *Tx) error {
				if err := tx.AppendOutbox(ctx, event(i), id); err != nil {
					return err
				}
				if err := tx.AppendOutbox(ctx, event(i), id); err != nil {
					return err
				}
				if i%3 == 1 {
					return boom
				}
				return nil
			})
			evs, err := db.OrderEvents(ctx, id)
			if err != nil {
				t.Errorf("OrderEvents(%s) = %v", id, err)
			}
			seen[i] = len(evs)
		})
		waitQueued(t, db, i+1) // in this order
	}
	release()
	wg.Wait()
	for i := range n {
		wantErr, wantSeen := error(nil), 2
		if i%3 == 1 {
			wantErr, wantSeen = boom, 0
		}
		if !errors.Is(errs[i], wantErr) || (wantErr == nil && errs[i] != nil) {
			t.Errorf("Tx() #%d = %v, want %v", i, errs[i], wantErr)
		}
		if seen[i] != wantSeen {
			t.Errorf("events of o%d read right after its Tx returned = %d, want %d", i, seen[i], wantSeen)
		}
	}
	if got, want := pending(t, db), 12; got != want {
		t.Errorf("PendingOutbox() = %d, want %d", got, want)
	}
	got := db.TxCounts()
	want := TxCounts{Calls: before.Calls + n + 1, Begun: before.Begun + 2, Committed: before.Committed + 2,
		RolledBack: before.RolledBack, FailedInGroup: before.FailedInGroup + 3}
	if got != want {
		t.Errorf("TxCounts() = %+v, want %+v (the holder alone, then the nine in one transaction)", got, want)
	}
}

func pending(t *testing.T, db *DB) int {
	t.Helper()
	n, err := db.PendingOutbox(t.Context())
	if err != nil {
		t.Fatalf("PendingOutbox() = %v", err)
	}
	return n
}

// TestGroupCommitAllFail: a group whose every call fails is rolled back,
// and nothing of it remains.
func TestGroupCommitAllFail(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	before := db.TxCounts()
	release := holdWriter(t, db)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(tx *Tx) error {
				if err := tx.AppendOutbox(ctx, event(i), "o"); err != nil {
					return err
				}
				return boom
			})
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Errorf("Tx() #%d = %v, want boom", i, err)
		}
	}
	if got := pending(t, db); got != 0 {
		t.Errorf("PendingOutbox() = %d, want 0", got)
	}
	got := db.TxCounts()
	want := TxCounts{Calls: before.Calls + 4, Begun: before.Begun + 2, Committed: before.Committed + 1,
		RolledBack: before.RolledBack + 1, FailedInGroup: before.FailedInGroup + 3}
	if got != want {
		t.Errorf("TxCounts() = %+v, want %+v", got, want)
	}
}

// TestGroupCommitPanicAndGoexit: a fn that panics has its panic raised
// again in its own goroutine, and one that ends its goroutine
// (t.FailNow does) ends only that; both are rolled back, and the
// neighbours commit.
func TestGroupCommitPanicAndGoexit(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	release := holdWriter(t, db)
	var wg sync.WaitGroup
	var recovered any
	returned := make([]bool, 4)
	for i := range 4 {
		wg.Go(func() {
			defer func() {
				if i == 1 {
					recovered = recover()
				}
			}()
			err := db.Tx(ctx, func(tx *Tx) error {
				if err := tx.AppendOutbox(ctx, event(i), fmt.Sprintf("o%d", i)); err != nil {
					return err
				}
				switch i {
				case 1:
					panic("boom")
				case 2:
					runtime.Goexit()
				}
				return nil
			})
			if err != nil {
				t.Errorf("Tx() #%d = %v, want nil", i, err)
			}
			returned[i] = true
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	if recovered != "boom" {
		t.Errorf("recover() in the panicking caller = %v, want boom", recovered)
	}
	if want := []bool{true, false, false, true}; fmt.Sprint(returned) != fmt.Sprint(want) {
		t.Errorf("Tx returned in callers = %v, want %v", returned, want)
	}
	for i, want := range []int{1, 0, 0, 1} {
		evs, err := db.OrderEvents(ctx, fmt.Sprintf("o%d", i))
		if err != nil || len(evs) != want {
			t.Errorf("OrderEvents(o%d) = %d, %v, want %d", i, len(evs), err, want)
		}
	}
	// The writer carries on.
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.AppendOutbox(ctx, event(9), "o9") }); err != nil {
		t.Fatalf("Tx() after = %v, want nil", err)
	}
}

// TestGroupCommitBrokenTransaction: when the shared transaction itself
// ends under a call (here the call ends it; SQLite does so on a full
// disk), the calls that had run in it are lost, and every call not yet
// told its outcome is run again alone: the neighbours still commit, once.
func TestGroupCommitBrokenTransaction(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	release := holdWriter(t, db)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	runs := make([]int, 4)
	for i := range 4 {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(tx *Tx) error {
				runs[i]++
				if err := tx.AppendOutbox(ctx, event(i), fmt.Sprintf("o%d", i)); err != nil {
					return err
				}
				if i == 2 {
					_, err := tx.q.ExecContext(ctx, `ROLLBACK`)
					return err
				}
				return nil
			})
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	for i, wantErr := range []bool{false, false, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("Tx() #%d = %v, want an error: %v", i, errs[i], wantErr)
		}
	}
	if want := []int{2, 2, 2, 1}; fmt.Sprint(runs) != fmt.Sprint(want) {
		t.Errorf("runs of each fn = %v, want %v (the two before the break again, the breaker again alone, the last once)", runs, want)
	}
	for i, want := range []int{1, 1, 0, 1} {
		evs, err := db.OrderEvents(ctx, fmt.Sprintf("o%d", i))
		if err != nil || len(evs) != want {
			t.Errorf("OrderEvents(o%d) = %d, %v, want %d", i, len(evs), err, want)
		}
	}
}

// TestWriterPriority: in flight first, then unmarked calls, new work
// last, each lane in arrival order.
func TestWriterPriority(t *testing.T) {
	db := openSQLiteTest(t)
	db.writer.q.mu.Lock()
	db.writer.q.maxWait = time.Hour
	db.writer.q.mu.Unlock()
	ctx := t.Context()
	release := holdWriter(t, db)
	prios := []Priority{PriorityNew, PriorityNormal, PriorityInFlight, PriorityNew, PriorityInFlight, PriorityNormal}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i, p := range prios {
		wg.Go(func() {
			err := db.Tx(WithPriority(ctx, p), func(*Tx) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Errorf("Tx() #%d = %v, want nil", i, err)
			}
		})
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	if got, want := fmt.Sprint(order), fmt.Sprint([]int{2, 4, 1, 5, 0, 3}); got != want {
		t.Errorf("order the fns ran = %s, want %s", got, want)
	}
}

// TestAdmission: new work that waited past maxWait is turned away with
// busy and never runs, while work in flight queued with it runs; and once
// the writer is known to be slow, new work is turned away at once.
func TestAdmission(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	release := holdWriter(t, db)
	// Set while the writer is held: the writer updates perCall after each
	// batch, and a batch of Open's finishing late (a loaded CI machine)
	// must not make the new work below be refused before it is queued.
	setQueue(db, 20*time.Millisecond, 0)
	var ranNew, ranInFlight bool
	var newErr, inFlightErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		newErr = db.Tx(WithPriority(ctx, PriorityNew), func(*Tx) error { ranNew = true; return nil })
	})
	waitQueued(t, db, 1)
	wg.Go(func() {
		inFlightErr = db.Tx(WithPriority(ctx, PriorityInFlight), func(*Tx) error { ranInFlight = true; return nil })
	})
	waitQueued(t, db, 2)
	time.Sleep(40 * time.Millisecond)
	release()
	wg.Wait()
	checkBusy(t, "new work queued past maxWait", newErr, time.Now())
	if ranNew {
		t.Error("the refused new work ran")
	}
	if inFlightErr != nil || !ranInFlight {
		t.Errorf("work in flight: Tx() = %v, ran %v; want nil, true", inFlightErr, ranInFlight)
	}

	// 30 calls queued at 1 ms a call foresee 30 ms, past maxWait.
	release = holdWriter(t, db)
	setQueue(db, 20*time.Millisecond, time.Millisecond)
	for i := range 30 {
		wg.Go(func() { db.Tx(ctx, func(*Tx) error { return nil }) })
		waitQueued(t, db, i+1)
	}
	start := time.Now()
	err := db.Tx(WithPriority(ctx, PriorityNew), func(*Tx) error { ranNew = true; return nil })
	// Queued, it would wait for release below and never return: that it
	// returned at all says it was refused at once. The bound only keeps a
	// regression from hanging the test.
	if took := time.Since(start); took > time.Second {
		t.Errorf("refusing new work took %v, want it at once", took)
	}
	checkBusy(t, "new work behind a long queue", err, start)
	if ranNew {
		t.Error("the refused new work ran")
	}
	release()
	wg.Wait()
	if got := db.TxCounts().Refused; got != 2 {
		t.Errorf("TxCounts().Refused = %d, want 2", got)
	}
}

// setQueue sets the writer queue's maxWait and its foreseen time per call.
func setQueue(db *DB, maxWait, perCall time.Duration) {
	db.writer.q.mu.Lock()
	db.writer.q.maxWait, db.writer.q.perCall = maxWait, perCall
	db.writer.q.mu.Unlock()
}

func checkBusy(t *testing.T, what string, err error, now time.Time) {
	t.Helper()
	var pe *presso.Error
	if !errors.As(err, &pe) || pe.Kind != presso.KindUnavailable || pe.Code != presso.CodeBusy {
		t.Fatalf("%s: Tx() = %v, want unavailable %s", what, err, presso.CodeBusy)
	}
	if d := pe.RetryAt.Sub(now); d < retryAfter/2 || d > 2*retryAfter {
		t.Errorf("%s: RetryAt in %v, want about %v", what, d, retryAfter)
	}
	if !Overloaded(err) {
		t.Errorf("%s: Overloaded(%v) = false, want true", what, err)
	}
}

// TestWriterCancelWhileQueued: a call whose context ends while it waits
// is withdrawn and never runs.
func TestWriterCancelWhileQueued(t *testing.T) {
	db := openSQLiteTest(t)
	release := holdWriter(t, db)
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	done := make(chan error, 1)
	go func() { done <- db.Tx(ctx, func(*Tx) error { ran = true; return nil }) }()
	waitQueued(t, db, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Tx() = %v, want context.Canceled", err)
	}
	release()
	if ran {
		t.Error("the withdrawn call ran")
	}
}

// TestStatementCache: a statement run twice is prepared once and reused,
// on the read pool and in write transactions; one run once is not kept.
func TestStatementCache(t *testing.T) {
	db := openSQLiteTest(t)
	ctx := t.Context()
	for range 3 {
		if _, err := db.OrderEvents(ctx, "o1"); err != nil {
			t.Fatalf("OrderEvents() = %v", err)
		}
		if err := db.Tx(ctx, func(tx *Tx) error { return tx.AppendOutbox(ctx, event(1), "o1") }); err != nil {
			t.Fatalf("Tx() = %v", err)
		}
	}
	if _, err := db.read.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if !cached(db.readStmts, orderEventsSQL) {
		t.Error("OrderEvents' statement is not prepared on the read pool after three runs")
	}
	if cached(db.writeStmts, orderEventsSQL) {
		t.Error("OrderEvents' statement is prepared on the writer, which never ran it")
	}
	var insert string
	db.writeStmts.mu.RLock()
	for q := range db.writeStmts.stmts {
		if strings.Contains(q, "INSERT INTO outbox (") {
			insert = q
		}
	}
	db.writeStmts.mu.RUnlock()
	if insert == "" {
		t.Errorf("AppendOutbox's statement is not prepared on the writer after three runs (cached: %d)", len(db.writeStmts.stmts))
	}
	if _, err := db.PendingOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	if cached(db.readStmts, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`) {
		t.Error("a statement run once is prepared")
	}
}

func cached(c *stmtCache, query string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query] != nil
}
