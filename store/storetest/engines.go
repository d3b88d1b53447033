package storetest

import (
	"path/filepath"
	"testing"

	"presso/store"
)

// Engine is a database engine the tests of other packages run on.
type Engine struct {
	Name string                    // "sqlite" or "postgres", the subtest's name
	DSN  func(t testing.TB) string // a fresh, empty database for one test
}

// SQLite is the engine of a file in the test's temporary directory.
func SQLite() Engine {
	return Engine{Name: "sqlite", DSN: func(t testing.TB) string { return filepath.Join(t.TempDir(), "presso.db") }}
}

// Engines are every engine: SQLite, and PostgreSQL, which skips (or fails
// under PRESSO_REQUIRE_ALL=1) when PRESSO_TEST_POSTGRES_URL is not set.
func Engines() []Engine {
	return []Engine{SQLite(), {Name: "postgres", DSN: func(t testing.TB) string {
		return FreshPostgres(t, PostgresServer(t))
	}}}
}

// EachEngine runs fn once per engine, as a subtest named after it.
func EachEngine(t *testing.T, fn func(t *testing.T, eng Engine)) {
	t.Helper()
	for _, eng := range Engines() {
		t.Run(eng.Name, func(t *testing.T) { fn(t, eng) })
	}
}

// Open opens a fresh database of the engine, migrated, and closes it when
// the test ends.
func (e Engine) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), e.DSN(t))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
