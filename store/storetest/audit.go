package storetest

import (
	"errors"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// The audit (store/audit.go).

// auditFixture writes four rows: three at e1 (one by presso itself) and
// one of no bar.
func auditFixture(t *testing.T, db *store.DB) []store.AuditRow {
	t.Helper()
	admin := presso.Identity{ID: "st-root", Name: "root"}
	rows := []store.AuditRow{
		store.Audit(presso.Identity{}, at(truncated), "bar.create", "e1", "e1", nil, map[string]any{"name": "Bar e1"}),
		store.Audit(admin, at(time.Second+truncated), "bar.update", "e1", "e1",
			map[string]any{"limits.drinksPerCode": 10, "name": "Bar e1"}, map[string]any{"limits.drinksPerCode": 12, "name": "Main"}),
		store.Audit(admin, at(2*time.Second), "staff.create", "", "ann", nil, map[string]any{"role": "admin", "eventId": ""}),
		store.Audit(admin, at(3*time.Second), "menu.save", "e1", "e1",
			map[string]any{"drinks": []string{"latte"}}, map[string]any{"drinks": []string{"latte", "tea"}}),
	}
	tx(t, db, func(tx *store.Tx) error {
		for _, r := range rows {
			if err := tx.AppendAudit(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
	return rows
}

// stored is the row as ListAudit returns it: its seq, the time at
// millisecond precision, and the summaries as JSON gives them back.
func storedAudit(seq int64, at time.Time, id, name, action, event, target string, before, after map[string]any) store.AuditRow {
	return store.AuditRow{Seq: seq, At: at, ActorID: id, ActorName: name, Action: action, EventID: event, Target: target,
		Before: before, After: after}
}

func listAudit(t *testing.T, db *store.DB, event string, before int64, limit int) []store.AuditRow {
	t.Helper()
	rows, err := db.ListAudit(t.Context(), event, before, limit)
	if err != nil {
		t.Fatalf("ListAudit(%s, %d, %d) = %v", event, before, limit, err)
	}
	return rows
}

func testAuditList(t *testing.T, db *store.DB) {
	if got := listAudit(t, db, "*", 0, 10); got == nil || len(got) != 0 {
		t.Fatalf("ListAudit() on an empty database = %#v, want an empty list", got)
	}
	auditFixture(t, db)
	all := listAudit(t, db, "*", 0, 10)
	if len(all) != 4 {
		t.Fatalf("ListAudit(*) = %d rows, want 4", len(all))
	}
	s := all[3].Seq // the first row's seq; the others follow it in order
	for i, r := range all {
		if r.Seq != s+int64(3-i) {
			t.Fatalf("ListAudit(*) seqs = %d at %d, want newest first from %d", r.Seq, i, s+3)
		}
	}
	want := []store.AuditRow{
		storedAudit(s+3, at(3*time.Second), "st-root", "root", "menu.save", "e1", "e1",
			map[string]any{"drinks": []any{"latte"}}, map[string]any{"drinks": []any{"latte", "tea"}}),
		storedAudit(s+2, at(2*time.Second), "st-root", "root", "staff.create", "", "ann", nil, map[string]any{"role": "admin", "eventId": ""}),
		storedAudit(s+1, at(time.Second), "st-root", "root", "bar.update", "e1", "e1",
			map[string]any{"limits.drinksPerCode": float64(10), "name": "Bar e1"}, map[string]any{"limits.drinksPerCode": float64(12), "name": "Main"}),
		storedAudit(s, t0, "", "presso", "bar.create", "e1", "e1", nil, map[string]any{"name": "Bar e1"}),
	}
	wantEqual(t, "ListAudit(*)", all, want)
	wantEqual(t, "ListAudit(e1)", listAudit(t, db, "e1", 0, 10), []store.AuditRow{want[0], want[2], want[3]})
	wantEqual(t, "ListAudit(\"\")", listAudit(t, db, "", 0, 10), []store.AuditRow{want[1]})
	wantEqual(t, "ListAudit(e2)", listAudit(t, db, "e2", 0, 10), []store.AuditRow{})
}

func testAuditPages(t *testing.T, db *store.DB) {
	auditFixture(t, db)
	all := listAudit(t, db, "*", 0, 10)
	first := listAudit(t, db, "*", 0, 2)
	wantEqual(t, "ListAudit(*, limit 2)", first, all[:2])
	second := listAudit(t, db, "*", first[1].Seq, 2)
	wantEqual(t, "ListAudit(*, before the first page, limit 2)", second, all[2:])
	wantEqual(t, "ListAudit(*, before the last row)", listAudit(t, db, "*", all[3].Seq, 2), []store.AuditRow{})
	wantEqual(t, "ListAudit(e1, before the newest, limit 1)", listAudit(t, db, "e1", all[0].Seq, 1), []store.AuditRow{all[2]})
}

// testAuditRolledBack: a change that fails takes its audit row with it.
func testAuditRolledBack(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AppendAudit(ctx, store.Audit(presso.Identity{ID: "st-root", Name: "root"}, t0, "bar.close", "e1", "e1",
			map[string]any{"open": true}, map[string]any{"open": false})); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx() = %v, want boom", err)
	}
	wantEqual(t, "ListAudit(*) after a rolled-back change", listAudit(t, db, "*", 0, 10), []store.AuditRow{})
}
