package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver; errors.go reads its errors
)

var sqliteEngine = engine{
	name:       "sqlite",
	migrations: "sqlite",
	// One writer connection serialises writers, so plain SELECTs are enough.
	claimDue:  `SELECT id FROM orders WHERE deadline_at IS NOT NULL AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2`,
	lockRelay: `SELECT id FROM relay_lock WHERE id = 1`,
	// One process relays; holding the only writer while publishing would
	// stall every other write.
	relayLock: false,
	// A read transaction in WAL mode already reads one snapshot.
	snapshot: sql.LevelDefault,
}

// openSQLite opens the file with one writer connection and a read pool.
// WAL lets readers run beside the writer; busy_timeout covers other
// processes (a backup, the load command's invariant check).
//
// temp_store is MEMORY for the sub-journal of group commit's savepoints
// (commit.go): it keeps the page images a failing call is rolled back to.
// One call touches more pages than the 64 KiB SQLite keeps in memory by
// default, so each group spilled to a temporary file it created, wrote
// page by page and deleted: 6 % of the CPU at 350 orders/s. In memory it
// holds one call's pages at a time (released with its savepoint); write
// syscalls per order fell from 180 to 105, CPU per order 0.91x and 0.95x
// at 350/s in two A/B runs.
func openSQLite(ctx context.Context, file string) (*DB, error) {
	if dir := filepath.Dir(file); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)"
	u := "file:" + (&url.URL{Path: file}).EscapedPath()
	w, err := sql.Open("sqlite", u+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := connectSQLite(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r, err := sql.Open("sqlite", u+"?"+pragmas+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// Every read connection stays open, and so keeps what it prepared.
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db := &DB{write: w, read: r, engine: sqliteEngine.with(newBarMemo()),
		writeStmts: newStmtCache(w, maxStmts), readStmts: newStmtCache(r, maxStmts)}
	db.conn = conn{q: pool{db: r, cache: db.readStmts}, e: &db.engine}
	db.writer = newWriter(w, db.writeStmts, &db.engine, &db.counts)
	return db, nil
}

// maxStmts bounds each SQLite statement cache. presso runs about a
// hundred different statements; texts built for a list of values (an IN
// of n ids) make more, and past the bound run unprepared.
const maxStmts = 400

// connectSQLite makes the writer's first connection. Turning a new file to
// WAL takes a lock that SQLite's busy handler does not wait for, so a
// process opening the same new file at that moment gets SQLITE_BUSY while
// connecting; it retries for up to the busy timeout.
func connectSQLite(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := w.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
