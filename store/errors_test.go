package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"presso"
)

// class is what classify made of an error.
type class string

const (
	passed      class = "passed through"
	outageClass class = "unavailable"
	internal    class = "internal"
)

// errCase is an error and what classify, isUniqueViolation and isBusy
// must make of it.
type errCase struct {
	name   string
	err    error
	want   class
	unique bool
	busy   bool
}

func classOf(t *testing.T, in, got error) class {
	t.Helper()
	if got == in {
		return passed
	}
	var pe *presso.Error
	if errors.As(got, &pe) {
		if pe.Kind != presso.KindUnavailable || pe.Code != presso.CodeUnavailable || pe.Message != "the database is unavailable" {
			t.Fatalf("classify() = %+v, want kind unavailable, code %q, message %q", pe, presso.CodeUnavailable, "the database is unavailable")
		}
		if want := "store.Op: " + in.Error(); pe.Err == nil || pe.Err.Error() != want {
			t.Fatalf("classify() wraps %v, want %q", pe.Err, want)
		}
		return outageClass
	}
	if want := "store.Op: " + in.Error(); got.Error() != want {
		t.Fatalf("classify() = %q, want %q", got, want)
	}
	return internal
}

// TestClassify sorts real driver errors, provoked here, and constructed
// ones into outages and bugs, and recognises unique violations and busy
// errors by their codes alone.
func TestClassify(t *testing.T) {
	cases := []errCase{
		{"Nil", nil, passed, false, false},
		{"Canceled", fmt.Errorf("query: %w", context.Canceled), passed, false, false},
		{"NotFound", presso.NotFound("bar"), passed, false, false},
		{"DeadlineExceeded", fmt.Errorf("query: %w", context.DeadlineExceeded), outageClass, false, false},
		{"ConnectionRefused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, outageClass, false, false},
		{"ConnectionReset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, outageClass, false, false},
		{"BadConn", driver.ErrBadConn, outageClass, false, false},
		{"ServerClosed", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), outageClass, false, false},
		{"PostgresConnectionFailure", &pgconn.PgError{Code: "08006", Message: "connection failure"}, outageClass, false, false},
		{"PostgresAdminShutdown", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, outageClass, false, false},
		{"PostgresStartingUp", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, outageClass, false, false},
		{"PostgresQueryCanceled", &pgconn.PgError{Code: "57014", Message: "canceling statement due to user request"}, internal, false, false},
		{"PostgresUnique", &pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint"}, internal, true, false},
		{"PostgresDeadlock", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}, internal, false, false},
		{"PostgresSyntax", &pgconn.PgError{Code: "42601", Message: "syntax error"}, internal, false, false},
		// Message text means nothing: only codes count.
		{"LockedText", errors.New("database is locked (SQLITE_BUSY)"), internal, false, false},
		{"UniqueText", errors.New("UNIQUE constraint failed: bars.id; duplicate key value (SQLSTATE 23505)"), internal, false, false},
		{"Plain", errors.New("boom"), internal, false, false},
	}
	cases = append(cases, sqliteCases(t)...)
	cases = append(cases, postgresCases(t)...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classify("store.Op", c.err)
			if c.err == nil {
				if got != nil {
					t.Fatalf("classify(nil) = %v, want nil", got)
				}
				return
			}
			if k := classOf(t, c.err, got); k != c.want {
				t.Errorf("classify(%v) is %s, want %s", c.err, k, c.want)
			}
			if got := isUniqueViolation(c.err); got != c.unique {
				t.Errorf("isUniqueViolation(%v) = %v, want %v", c.err, got, c.unique)
			}
			if got := isBusy(c.err); got != c.busy {
				t.Errorf("isBusy(%v) = %v, want %v", c.err, got, c.busy)
			}
			// Wrapping once: a second classify keeps the first name.
			if again := classify("store.Outer", got); again != got {
				t.Errorf("classify() of a classified error = %v, want it unchanged: %v", again, got)
			}
		})
	}
}

// sqliteCases provokes SQLite's errors on a scratch file.
func sqliteCases(t *testing.T) []errCase {
	ctx := t.Context()
	db, c := conns(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "errors.db")+"?_pragma=busy_timeout(0)", 2)
	holder, other := c[0], c[1]
	execAll(t, holder,
		`CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT UNIQUE)`,
		`INSERT INTO t VALUES ('a', 'x'), ('b', 'y')`)
	must := func(what string, err error) error {
		t.Helper()
		if err == nil {
			t.Fatalf("%s = nil, want an error", what)
		}
		return err
	}
	_, pk := holder.ExecContext(ctx, `INSERT INTO t VALUES ('a', 'z')`)
	_, unique := holder.ExecContext(ctx, `INSERT INTO t VALUES ('c', 'x')`)
	_, syntax := holder.ExecContext(ctx, `SELEC 1`)
	_, noTable := holder.ExecContext(ctx, `SELECT * FROM nope`)

	// A table a pending read still uses cannot be dropped: SQLITE_LOCKED.
	rows, err := holder.QueryContext(ctx, `SELECT id FROM t`)
	if err != nil || !rows.Next() {
		t.Fatalf("SELECT id FROM t = %v", err)
	}
	_, locked := holder.ExecContext(ctx, `DROP TABLE t`)
	rows.Close()

	// A second connection cannot write while the first holds the write
	// lock, and with busy_timeout 0 it does not wait: SQLITE_BUSY.
	if _, err := holder.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	_, busy := other.ExecContext(ctx, `INSERT INTO t VALUES ('d', 'w')`)
	if _, err := holder.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}

	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, deadline := db.ExecContext(expired, `SELECT 1`)
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	_, canceled := db.ExecContext(cancelled, `SELECT 1`)

	return []errCase{
		{"SQLitePrimaryKey", must("duplicate primary key", pk), internal, true, false},
		{"SQLiteUnique", must("duplicate unique column", unique), internal, true, false},
		{"SQLiteSyntax", must("SELEC", syntax), internal, false, false},
		{"SQLiteNoTable", must("no such table", noTable), internal, false, false},
		{"SQLiteLocked", must("DROP TABLE in use", locked), outageClass, false, true},
		{"SQLiteBusy", must("write beside a write lock", busy), outageClass, false, true},
		{"SQLiteDeadline", must("expired context", deadline), outageClass, false, false},
		{"SQLiteCanceled", must("cancelled context", canceled), passed, false, false},
	}
}

// postgresCases provokes PostgreSQL's errors: always an unreachable
// server, and on PRESSO_TEST_POSTGRES_URL a real one.
func postgresCases(t *testing.T) []errCase {
	ctx := t.Context()
	closed, err := sql.Open("pgx", closedPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	refused := closed.PingContext(ctx)
	if refused == nil {
		t.Fatal("Ping() on a closed port = nil, want an error")
	}
	cases := []errCase{{"PostgresRefused", refused, outageClass, false, false}}

	server := os.Getenv("PRESSO_TEST_POSTGRES_URL")
	if server == "" {
		return cases
	}
	db, conn := conns(t, "pgx", server, 1)
	c := conn[0]
	execAll(t, c, `CREATE TEMP TABLE t (id TEXT PRIMARY KEY)`, `INSERT INTO t VALUES ('a')`)
	_, unique := c.ExecContext(ctx, `INSERT INTO t VALUES ('a')`)
	_, syntax := c.ExecContext(ctx, `SELEC 1`)

	// A backend the server terminates (as a shutdown does) fails its next
	// statement with 57P01 or a closed connection.
	var pid int
	if err := c.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	var terminated error
	for range 50 {
		if _, terminated = c.ExecContext(ctx, `SELECT 1`); terminated != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, e := range []struct {
		what string
		err  error
	}{{"duplicate key", unique}, {"SELEC", syntax}, {"a terminated backend", terminated}} {
		if e.err == nil {
			t.Fatalf("%s = nil, want an error", e.what)
		}
	}
	return append(cases,
		errCase{"PostgresRealUnique", unique, internal, true, false},
		errCase{"PostgresRealSyntax", syntax, internal, false, false},
		errCase{"PostgresTerminated", terminated, outageClass, false, false},
	)
}

// conns opens a pool on dsn and n connections pinned from it, all closed
// when the test ends.
func conns(t *testing.T, driverName, dsn string, n int) (*sql.DB, []*sql.Conn) {
	t.Helper()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var cs []*sql.Conn
	for range n {
		c, err := db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return db, cs
}

func execAll(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// closedPostgres is a PostgreSQL URL on a loopback port nothing listens on.
func closedPostgres(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "postgres://postgres@" + addr + "/presso?sslmode=disable&connect_timeout=5"
}

// TestOpenUnreachable: a server that cannot be reached is an outage from
// Open on, so a starting replica reports 503 rather than a bug.
func TestOpenUnreachable(t *testing.T) {
	db, err := Open(t.Context(), closedPostgres(t))
	if err == nil {
		db.Close()
		t.Fatal("Open() on a closed port = nil, want an error")
	}
	var pe *presso.Error
	if !errors.As(err, &pe) || pe.Kind != presso.KindUnavailable || pe.Code != presso.CodeUnavailable {
		t.Fatalf("Open() on a closed port = %v, want kind unavailable, code %q", err, presso.CodeUnavailable)
	}
}

// TestStatementNamed: a statement the schema does not support fails as an
// internal error that names the store method, not as an outage.
func TestStatementNamed(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `DROP TABLE qr_codes`); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *Tx) error {
		_, _, err := tx.UseCode(ctx, "demo", "code", time.Now())
		return err
	})
	var pe *presso.Error
	if err == nil || errors.As(err, &pe) {
		t.Fatalf("UseCode() without its table = %v, want a plain internal error", err)
	}
	if want := "store.UseCode: SQL logic error: no such table: qr_codes (1)"; err.Error() != want {
		t.Fatalf("UseCode() without its table = %q, want %q", err, want)
	}
	bar := &presso.Bar{ID: "demo", Name: "Demo"}
	err = db.Tx(ctx, func(tx *Tx) error { return tx.CreateBar(ctx, bar, time.Now()) })
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *Tx) error { return tx.CreateBar(ctx, bar, time.Now()) })
	if !errors.As(err, &pe) || pe.Kind != presso.KindConflict || pe.Code != presso.CodeExists {
		t.Fatalf("CreateBar() twice = %v, want kind conflict, code %q", err, presso.CodeExists)
	}
}
