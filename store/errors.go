package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"presso"
)

// Every database error leaves the store through wrap, which sorts it into
// one of three: an error the store made on purpose (*presso.Error, such as
// not found) or a cancelled request passes through; an outage, which may
// go away by itself, becomes a 503 "unavailable"; anything else is a bug
// in a statement or the schema and stays a plain error naming the
// statement, which the web layer logs at Error as a 500.

// opError is a database error with the name of the statement that failed.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// wrap classifies *errp as the error of the statement op. Each store
// method defers it once; an error a store method it calls already named
// keeps that, the innermost, name.
func wrap(errp *error, op string) { *errp = classify(op, *errp) }

func classify(op string, err error) error {
	// Every store call ends here, nearly always with nil: return before
	// errors.As's targets, which escape, cost two allocations a call.
	if err == nil {
		return nil
	}
	var pe *presso.Error
	var oe *opError
	if errors.Is(err, context.Canceled) || errors.As(err, &pe) || errors.As(err, &oe) {
		return err
	}
	err = &opError{op: op, err: err}
	if outage(err) {
		return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeUnavailable,
			Message: "the database is unavailable", Err: err}
	}
	return err
}

// outage reports an error that says the database cannot be reached or
// cannot answer now, rather than that a statement is wrong.
func outage(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		// database/sql consumes the io.EOF that ends a result set, so one
		// coming from the driver means the server closed the connection.
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// Class 08 is a connection exception; 57P a server shutting down,
	// crashed or not yet accepting connections.
	if state := sqlState(err); strings.HasPrefix(state, "08") || strings.HasPrefix(state, "57P") {
		return true
	}
	return isBusy(err)
}

// isBusy reports SQLite's SQLITE_BUSY or SQLITE_LOCKED, in any of their
// extended forms: another connection holds the lock past busy_timeout.
func isBusy(err error) bool {
	code, ok := sqliteCode(err)
	return ok && (code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED)
}

// isUniqueViolation reports a primary-key or unique-constraint clash in
// either engine.
func isUniqueViolation(err error) bool {
	if code, ok := sqliteCode(err); ok {
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return sqlState(err) == "23505"
}

// retryable reports a PostgreSQL deadlock (40P01) or serialization
// failure (40001): the transaction did nothing and may simply run again.
func retryable(err error) bool {
	s := sqlState(err)
	return s == "40P01" || s == "40001"
}

// sqliteCode is the extended result code of a SQLite error.
func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// sqlState is the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// notFound turns sql.ErrNoRows into presso's not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return presso.NotFound(what)
	}
	return err
}
