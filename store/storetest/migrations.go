package storetest

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"presso"
	"presso/store"
)

// Schema migrations (store/migrations).

// rawDB opens the database behind db with database/sql directly, to inspect
// or tamper with what the store does not expose.
func rawDB(t *testing.T, db *store.DB) *sql.DB {
	t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[db.Engine()]
	raw, err := sql.Open(driver, db.DSN())
	if err != nil {
		t.Fatalf("sql.Open(%s) = %v", driver, err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func migrationRows(t *testing.T, raw *sql.DB) (count, max int) {
	t.Helper()
	if err := raw.QueryRowContext(t.Context(), `SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&count, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return count, max
}

// migrated checks schema_migrations of a new database, leaves a bar in it
// and closes it, for the tests to open it again. It returns the database
// opened directly, the schema version and what schema_migrations holds.
func migrated(t *testing.T, db *store.DB) (raw *sql.DB, version, count, max int) {
	t.Helper()
	version = db.SchemaVersion()
	raw = rawDB(t, db)
	count, max = migrationRows(t, raw)
	if max != version || count < 1 || count > version {
		t.Fatalf("schema_migrations holds %d rows up to version %d, want up to SchemaVersion() %d", count, max, version)
	}
	createBar(t, db, "kept")
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	return raw, version, count, max
}

func testMigrationsReopen(t *testing.T, db *store.DB) {
	ctx := t.Context()
	raw, version, count, max := migrated(t, db)
	for i := range 2 {
		db2, err := store.Open(ctx, db.DSN())
		if err != nil {
			t.Fatalf("Open() #%d of a migrated database = %v, want nil", i+2, err)
		}
		if got := db2.SchemaVersion(); got != version {
			t.Errorf("SchemaVersion() after reopening = %d, want %d", got, version)
		}
		if _, err := db2.GetBar(ctx, "kept"); err != nil {
			t.Errorf("GetBar() after reopening = %v, want the bar kept", err)
		}
		db2.Close()
		if c, m := migrationRows(t, raw); c != count || m != max {
			t.Fatalf("schema_migrations after reopening = %d rows up to %d, want %d up to %d", c, m, count, max)
		}
	}
}

func testMigrationsNewerSchema(t *testing.T, db *store.DB) {
	ctx := t.Context()
	raw, version, count, _ := migrated(t, db)
	newer := version + 1000
	if _, err := raw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		newer, fmt.Sprintf("%04d_future.sql", newer), t0.UnixMilli()); err != nil {
		t.Fatalf("insert a future migration: %v", err)
	}
	db2, err := store.Open(ctx, db.DSN())
	if err == nil {
		db2.Close()
		t.Fatalf("Open() of a database at version %d (binary knows %d) = nil, want an error", newer, version)
	}
	var pe *presso.Error
	if !errors.As(err, &pe) || pe.Code != presso.CodeSchemaTooNew {
		t.Fatalf("Open() of a newer schema = %v, want a schema_too_new error", err)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(newer)) || !strings.Contains(err.Error(), strconv.Itoa(version)) {
		t.Fatalf("Open() error = %q, want it to name versions %d and %d", err, newer, version)
	}
	// Refusing changed nothing.
	if c, m := migrationRows(t, raw); c != count+1 || m != newer {
		t.Fatalf("schema_migrations after a refused Open = %d rows up to %d, want %d up to %d", c, m, count+1, newer)
	}
}
