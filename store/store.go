// Package store keeps presso's state in SQL: bars, accounts, QR codes,
// counters, orders with their history, and the transactional outbox.
//
// Two engines sit behind the one DB type: SQLite (modernc.org/sqlite, the
// embedded default) and PostgreSQL (pgx). Most statements are written once,
// in one file per group of tables (bars.go, accounts.go, codes.go,
// orders.go, outbox.go), because both engines accept them as they are; the
// few that differ (schema, row locking) live in sqlite.go and postgres.go.
// errors.go sorts what the drivers report into outages and bugs. The
// conformance suite in storetest runs against both engines.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"presso"
)

//go:embed migrations
var migrationFS embed.FS

// engine is what differs between SQLite and PostgreSQL.
type engine struct {
	name       string
	migrations string // folder in migrationFS
	// claimDue selects due orders, skipping rows another replica holds.
	claimDue string
	// lockRelay takes the relay's lock row, or returns no row when another
	// replica holds it.
	lockRelay string
	// relayLock says whether the relay must hold lockRelay while it
	// publishes (see DB.RelayNeedsLock).
	relayLock bool
	// lockMigrations serialises migrations between replicas starting at once.
	lockMigrations string
	// snapshot is the isolation under which a read-only transaction sees
	// one snapshot for all its statements.
	snapshot sql.IsolationLevel
	// bars decodes bars' settings (bars.go); one per DB.
	bars *barMemo
}

// with is e with a DB's own state.
func (e engine) with(bars *barMemo) engine {
	e.bars = bars
	return e
}

// DB is a presso database. Reads go to a read pool; writes go through Tx.
type DB struct {
	conn
	dsn    string
	write  *sql.DB
	read   *sql.DB
	engine engine
	// writer runs SQLite's write transactions (see commit.go); nil on
	// PostgreSQL, where each Tx is a transaction of its own.
	writer *writer
	// writeStmts and readStmts are SQLite's statement caches (stmts.go).
	writeStmts, readStmts *stmtCache
	counts                txCounts
	// observeTx, if set, hears how long each Tx took and how often it was
	// run again (see ObserveTx).
	observeTx func(took time.Duration, retries int)
}

// Tx is one write transaction. Every order transition runs in exactly one.
type Tx struct {
	conn
	tx *sql.Tx
}

// queryer is what DB pools and transactions have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn carries the reads, which DB (on its read pool) and Tx share. Writes
// are methods of *Tx only, so nothing can write outside a transaction.
type conn struct {
	q queryer
	e *engine
}

// Open opens the database named by dsn: a postgres:// or postgresql:// URL,
// or otherwise a SQLite file path. It applies any pending migrations and
// refuses a schema newer than this binary knows.
func Open(ctx context.Context, dsn string) (db *DB, err error) {
	defer wrap(&err, "store.Open")
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	db.dsn = dsn
	if err := db.migrate(ctx, 0); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// DSN is the data source name the database was opened with, for tests:
// passing it to Open again opens the same database. It may hold a
// password.
func (db *DB) DSN() string { return db.dsn }

// Engine names the engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.engine.name }

// Close closes both pools, once the write transaction running (if any)
// is done.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.close()
	}
	db.writeStmts.close()
	db.readStmts.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) (err error) {
	defer wrap(&err, "store.Ping")
	var one int
	return db.write.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx runs fn in a write transaction and commits it if fn returns nil;
// the caller hears nil only once the commit succeeded, and fn's error, as
// it is, when fn fails. fn must not act outside the transaction before Tx
// returns, and must not keep tx: it may be run again, and share its
// transaction with other callers' fns. PostgreSQL runs each call in a
// transaction of its own, and runs one it aborts as a deadlock or
// serialization victim again, up to three times. SQLite runs calls that
// wait for its one writer together, each in a savepoint of one shared
// transaction (see commit.go): a fn that fails is rolled back to its
// savepoint and leaves no trace, while the others commit; the order they
// wait in, and new work turned away under overload, follow the
// Priority ctx carries (see admit.go).
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	start := time.Now()
	db.counts.calls.Add(1)
	if db.writer != nil {
		err := db.writer.do(ctx, fn)
		if db.observeTx != nil {
			db.observeTx(time.Since(start), 0)
		}
		return err
	}
	for attempt := 0; ; attempt++ {
		if err := db.tx(ctx, fn); !retryable(err) || attempt == 2 {
			if db.observeTx != nil {
				db.observeTx(time.Since(start), attempt)
			}
			return err
		}
	}
}

// ObserveTx makes observe hear of every Tx once it is done: how long it
// took, retries included, and how many times it was run again. Set it
// before the database is used.
func (db *DB) ObserveTx(observe func(took time.Duration, retries int)) { db.observeTx = observe }

// tx returns fn's error as it is: the store methods fn called have named
// and classified their own.
func (db *DB) tx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return classify("store.Begin", err)
	}
	db.counts.begun.Add(1)
	// A panic in fn (which net/http recovers) must not leave the
	// transaction open.
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			db.counts.rolledBack.Add(1)
			panic(p)
		}
	}()
	if err := fn(&Tx{conn: conn{q: &txq{tx: tx}, e: &db.engine}, tx: tx}); err != nil {
		tx.Rollback()
		db.counts.rolledBack.Add(1)
		return err
	}
	if err := tx.Commit(); err != nil {
		db.counts.rolledBack.Add(1)
		return classify("store.Commit", err)
	}
	db.counts.committed.Add(1)
	return nil
}

// SchemaVersion is the newest migration this binary knows for the
// engine, for tests.
func (db *DB) SchemaVersion() int {
	ms, _ := db.migrationFiles()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

type migration struct {
	version int
	name    string
}

func (db *DB) migrationFiles() ([]migration, error) {
	dir := path.Join("migrations", db.engine.migrations)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		ms = append(ms, migration{version: v, name: e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies every embedded migration newer than the database's
// version, in one transaction, up to version upTo (0: all of them; a
// test leaves a database at an older schema to upgrade it).
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := db.migrationFiles()
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *Tx) error {
		if db.engine.lockMigrations != "" {
			if _, err := tx.q.ExecContext(ctx, db.engine.lockMigrations); err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
		}
		if _, err := tx.q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		known := 0
		if len(ms) > 0 {
			known = ms[len(ms)-1].version
		}
		if current > known {
			return &presso.Error{Kind: presso.KindInternal, Code: presso.CodeSchemaTooNew,
				Message: fmt.Sprintf("database schema version %d is newer than this binary knows (%d): upgrade presso", current, known)}
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if upTo > 0 && m.version > upTo {
				break
			}
			body, err := migrationFS.ReadFile(path.Join("migrations", db.engine.migrations, m.name))
			if err != nil {
				return err
			}
			if _, err := tx.q.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// eachRow runs query and calls row on each result row; the first error
// stops it.
func eachRow(ctx context.Context, q queryer, query string, row func(*sql.Rows) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// collect appends the value scan makes of each row of query to list, and
// returns it; list says what no rows gives (nil or an empty list).
func collect[T any](ctx context.Context, q queryer, list []T, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	err := eachRow(ctx, q, query, func(rows *sql.Rows) error {
		v, err := scan(rows)
		list = append(list, v)
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	return list, nil
}

// scanner is a *sql.Row or *sql.Rows positioned on a row.
type scanner interface{ Scan(dest ...any) error }

// ms converts a time to the stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msPtr converts an optional time; nil stays NULL.
func msPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
