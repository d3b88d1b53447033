package store

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"presso"
)

// TestSQLiteUpgradeLeanWrites opens a database left at schema 8 with
// events and history in it: 0009 rebuilds outbox and order_history, and
// every row, every seq and what is still unpublished must come through,
// with new events numbered after the old ones.
func TestSQLiteUpgradeLeanWrites(t *testing.T) {
	ctx := t.Context()
	file := filepath.Join(t.TempDir(), "presso.db")
	old, err := openSQLite(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.migrate(ctx, 8); err != nil {
		t.Fatalf("migrate(8) = %v", err)
	}
	var version, lean int
	if err := old.read.QueryRowContext(ctx, `SELECT (SELECT MAX(version) FROM schema_migrations),
		(SELECT COUNT(*) FROM sqlite_schema WHERE name = 'order_history' AND sql LIKE '%WITHOUT ROWID')`).Scan(&version, &lean); err != nil || version != 8 || lean != 0 {
		t.Fatalf("after migrate(8): version %d, order_history WITHOUT ROWID %d, %v; want 8, 0", version, lean, err)
	}
	err = old.Tx(ctx, func(tx *Tx) error {
		// Seqs 1, 2 and 5: AUTOINCREMENT had left gaps where
		// transactions rolled back. 5 is not published yet.
		for _, e := range []struct {
			seq       int64
			id        string
			published any
		}{{1, "ev1", 100}, {2, "ev2", 100}, {5, "ev5", nil}} {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO outbox (seq, id, event_id, order_id, detail_type, payload, created_at, published_at)
				VALUES ($1, $2, 'demo', 'o1', 'OrderManager.MakeOrder', '{}', 50, $3)`, e.seq, e.id, e.published); err != nil {
				return err
			}
		}
		for seq, to := range []string{"waiting", "queued", "making"} {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO order_history (order_id, seq, at, from_state, to_state, trigger, actor)
				VALUES ('o1', $1, $2, 'x', $3, 'go', 'u1')`, seq+1, 1000*(seq+1), to); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("filling the schema 8 database: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(t.Context(), file)
	if err != nil {
		t.Fatalf("Open() of a schema 8 database = %v", err)
	}
	defer db.Close()
	env := presso.Envelope{ID: "ev6", EventID: "demo", DetailType: "OrderManager.MakeOrder", Time: time.UnixMilli(60)}
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.AppendOutbox(ctx, env, "o1") }); err != nil {
		t.Fatalf("AppendOutbox() after the upgrade = %v", err)
	}
	evs, err := db.OrderEvents(ctx, "o1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.ID+"@"+strconv.FormatInt(e.Seq, 10))
	}
	if g, want := strings.Join(got, " "), "ev1@1 ev2@2 ev5@5 ev6@6"; g != want {
		t.Fatalf("OrderEvents(o1) after the upgrade = %s, want %s", g, want)
	}
	un, err := db.Unpublished(ctx, 10)
	if err != nil || len(un) != 2 || un[0].ID != "ev5" || un[1].ID != "ev6" {
		t.Fatalf("Unpublished() after the upgrade = %v, %v; want ev5, ev6", un, err)
	}
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.AppendOutbox(ctx, env, "o1") }); err == nil {
		t.Fatalf("AppendOutbox() of ev6 again after the upgrade = nil, want an error: ids stay unique")
	}
	steps, err := db.History(ctx, "o1")
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, s := range steps {
		got = append(got, string(s.To)+"@"+strconv.FormatInt(s.At.UnixMilli(), 10))
	}
	if g, want := strings.Join(got, " "), "waiting@1000 queued@2000 making@3000"; g != want {
		t.Fatalf("History(o1) after the upgrade = %s, want %s", g, want)
	}
	var withoutRowid int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'order_history' AND sql LIKE '%WITHOUT ROWID'`).Scan(&withoutRowid); err != nil || withoutRowid != 1 {
		t.Fatalf("order_history WITHOUT ROWID: %d, %v; want 1", withoutRowid, err)
	}
}
