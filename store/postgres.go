package store

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

var postgresEngine = engine{
	name:       "postgres",
	migrations: "postgres",
	// SKIP LOCKED lets every replica sweep at once without firing a
	// deadline twice: a row another sweeper holds is simply passed over.
	claimDue:  `SELECT id FROM orders WHERE deadline_at IS NOT NULL AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
	lockRelay: `SELECT id FROM relay_lock WHERE id = 1 FOR UPDATE SKIP LOCKED`,
	// Replicas relay side by side; one at a time keeps the outbox order.
	relayLock:      true,
	lockMigrations: `SELECT pg_advisory_xact_lock(727377)`,
	// Read committed takes a new snapshot for each statement.
	snapshot: sql.LevelRepeatableRead,
}

// openPostgres opens one pool for reads and writes; PostgreSQL handles
// concurrent writers itself. pgx prepares each statement once per
// connection and keeps it in a cache of its own (cache_statement, 512
// statements), which is what presso wants: it is set here rather than
// left to pgx's default, unless the DSN names another mode (a PgBouncer
// in transaction mode needs one).
func openPostgres(dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}
	p := stdlib.OpenDB(*cfg)
	p.SetMaxOpenConns(20)
	p.SetMaxIdleConns(10)
	db := &DB{write: p, read: p, engine: postgresEngine.with(newBarMemo())}
	db.conn = conn{q: pool{db: p}, e: &db.engine}
	return db, nil
}
