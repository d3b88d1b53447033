package store

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite parses a statement again each time it is run from its text, and
// parsing was a seventh of the server's time under load. stmtCache keeps
// each statement a SQLite pool runs more than once prepared: a *sql.Stmt
// prepared on the pool, which database/sql then prepares once on each
// connection that runs it and reuses, and which a transaction borrows
// with Tx.StmtContext. Statements run once (a migration, an invariant
// check) are never prepared. PostgreSQL needs none of it: pgx keeps its
// own cache of prepared statements per connection (see openPostgres).
type stmtCache struct {
	db  *sql.DB
	max int // statements kept at most; past it, texts run unprepared

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	seen  map[string]bool // run once, not prepared yet
	later map[string]bool // seen again inside a transaction: prepare after it
	size  int             // len(stmts) + len(later), bounded by max
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, max: max, stmts: map[string]*sql.Stmt{}, seen: map[string]bool{}, later: map[string]bool{}}
}

// lookup returns the prepared statement for query, or nil when it is not
// (yet) prepared. A second sighting prepares it at once when now is true
// (a pool's connection is free to take), else after the transaction that
// holds the only writer connection ends (see prepareLater).
func (c *stmtCache) lookup(ctx context.Context, query string, now bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	s := c.stmts[query]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	if s = c.stmts[query]; s != nil || c.later[query] {
		c.mu.Unlock()
		return s
	}
	if !c.seen[query] || c.size >= c.max {
		if len(c.seen) >= 4*c.max {
			clear(c.seen) // one-off texts must not pile up
		}
		if c.size < c.max {
			c.seen[query] = true
		}
		c.mu.Unlock()
		return nil
	}
	delete(c.seen, query)
	c.size++
	if !now {
		c.later[query] = true
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.prepare(ctx, query)
}

// prepare prepares query on the pool and keeps it; a statement that fails
// to prepare runs unprepared, which reports the same error.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	s, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.later, query)
	if err != nil {
		c.size--
		return nil
	}
	c.stmts[query] = s
	return s
}

// prepareLater prepares the statements transactions asked for; it must run
// while no transaction holds the writer connection.
func (c *stmtCache) prepareLater(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.RLock()
	var qs []string
	for q := range c.later {
		qs = append(qs, q)
	}
	c.mu.RUnlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

// pool is a connection pool's queryer, through its statement cache.
type pool struct {
	db    *sql.DB
	cache *stmtCache // nil: no cache (PostgreSQL)
}

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.cache.lookup(ctx, query, true); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.cache.lookup(ctx, query, true); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.cache.lookup(ctx, query, true); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// txq is a write transaction's queryer: it runs the cache's statements on
// the transaction's connection, where they are already prepared.
type txq struct {
	tx    *sql.Tx
	cache *stmtCache
	// shared says the transaction may hold other callers' work (SQLite's
	// group commit): a caller's cancelled context must fail only its own
	// statements. SQLite answers an interrupted write by rolling back the
	// whole transaction, so statements run uncancellable, and a cancelled
	// caller is stopped before its next statement instead. It also spares
	// the driver a goroutine per statement watching the context.
	shared bool
	local  map[*sql.Stmt]*sql.Stmt // the cache's statements bound to tx
	// from and uncancelled are the last context made uncancellable and
	// the result: a call runs all its statements under one context, so it
	// needs one, not one a statement.
	from, uncancelled context.Context
}

// stmt returns query's statement bound to the transaction, or nil to run
// the text.
func (q *txq) stmt(ctx context.Context, query string) *sql.Stmt {
	s := q.cache.lookup(ctx, query, false)
	if s == nil {
		return nil
	}
	if ts := q.local[s]; ts != nil {
		return ts
	}
	if q.local == nil {
		q.local = map[*sql.Stmt]*sql.Stmt{}
	}
	ts := q.tx.StmtContext(ctx, s)
	q.local[s] = ts
	return ts
}

// context is what a statement runs under (see shared); a context already
// done is passed on as it is, and database/sql refuses it before the
// driver sees the statement.
func (q *txq) context(ctx context.Context) context.Context {
	if !q.shared || ctx.Err() != nil {
		return ctx
	}
	if ctx != q.from {
		q.from, q.uncancelled = ctx, context.WithoutCancel(ctx)
	}
	return q.uncancelled
}

func (q *txq) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = q.context(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q *txq) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = q.context(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *txq) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = q.context(ctx)
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
