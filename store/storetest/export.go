package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Moving a bar between databases (store/export.go).

func testExportImport(t *testing.T, from, to *store.DB) {
	ctx := t.Context()
	exportFixture(t, from)
	createBar(t, to, "taken")
	exportedAt := at(time.Hour + truncated)
	x := checkExport(t, from, exportedAt)

	// Through JSON, as the export travels.
	j, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var back store.BarExport
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if err := to.ImportBar(ctx, &back, at(2*time.Hour)); err != nil {
		t.Fatalf("ImportBar() = %v", err)
	}
	y, err := to.ExportBar(ctx, "e1", exportedAt)
	if err != nil {
		t.Fatalf("ExportBar() after ImportBar = %v", err)
	}
	j2, _ := json.Marshal(y)
	if string(j2) != string(j) {
		t.Fatalf("ExportBar() after ImportBar =\n  %s\nwant\n  %s", j2, j)
	}
	checkImported(t, from, to)

	err = to.ImportBar(ctx, &back, t0)
	wantKind(t, "ImportBar() of a bar already there", err, presso.KindConflict)
	x.Bar = nil
	err = to.ImportBar(ctx, x, t0)
	wantKind(t, "ImportBar() of a malformed export", err, presso.KindInvalid)
}

// exportFixture writes bars e1 and e2 with customers, counters, orders of
// every kind (queued, completed, cancelled, a staff member's), their
// history and outbox events.
func exportFixture(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	createBar(t, db, "e1")
	createBar(t, db, "e2")
	tx(t, db, func(tx *store.Tx) error {
		for _, c := range []store.Customer{{ID: "cu-1", Email: "ada@example.com", Name: "Ada"}, {ID: "cu-2", Name: "Sam"}, {ID: "cu-3", Name: "Elsewhere"}} {
			if err := tx.CreateCustomer(ctx, c, t0); err != nil {
				return err
			}
		}
		for _, day := range []string{"", "2026-01-01"} {
			if _, err := tx.NextNumber(ctx, "e1", day); err != nil {
				return err
			}
		}
		if _, err := tx.NextNumber(ctx, "e2", ""); err != nil {
			return err
		}
		queued := order("o-q", "e1", "cu-1", presso.StateQueued, 1, at(time.Second))
		queued.Drink, queued.SubmittedAt, queued.Deadline = drink(), ptr(at(2*time.Second)), ptr(at(15*time.Minute))
		done := order("o-done", "e1", "cu-2", presso.StateCompleted, 2, t0)
		done.FinishedAt = ptr(at(time.Minute))
		gone := order("o-x", "e1", "cu-2", presso.StateCancelled, 0, at(3*time.Second))
		gone.FinishedAt = ptr(at(4 * time.Second))
		staff := order("o-staff", "e1", "st-1", presso.StateWaiting, 0, at(4*time.Second))
		staff.Exempt = true
		for _, o := range []*presso.Order{queued, done, gone, staff, order("o-other", "e2", "cu-3", presso.StateQueued, 1, t0)} {
			if err := tx.InsertOrder(ctx, o); err != nil {
				return err
			}
		}
		ok, err := tx.UpdateOrder(ctx, done, &presso.Order{ID: "o-done", State: presso.StateCompleted, Number: 2, FinishedAt: done.FinishedAt, Version: 2}, "2026-01-01")
		if err != nil || !ok {
			return fmt.Errorf("UpdateOrder(o-done) = %v, %v", ok, err)
		}
		if err := tx.AppendHistory(ctx, "o-q", 1, store.Step{At: at(time.Second), To: presso.StateWaiting, Trigger: "redeem", Actor: "cu-1"}); err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, "o-q", 2, store.Step{At: at(2 * time.Second), From: presso.StateWaiting, To: presso.StateQueued, Trigger: "submit", Actor: "cu-1"}); err != nil {
			return err
		}
		if err := tx.AppendHistory(ctx, "o-other", 1, store.Step{At: t0, To: presso.StateQueued, Trigger: "redeem", Actor: "cu-3"}); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, envelope(1, "e1"), "o-q"); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, envelope(2, "e1"), ""); err != nil {
			return err
		}
		return tx.AppendOutbox(ctx, envelope(3, "e2"), "o-other")
	})
}

// checkExport exports e1 of the fixture and checks what the export holds:
// its own orders, events and history, its counters and its customers.
func checkExport(t *testing.T, from *store.DB, exportedAt time.Time) *store.BarExport {
	t.Helper()
	ctx := t.Context()
	x, err := from.ExportBar(ctx, "e1", exportedAt)
	if err != nil {
		t.Fatalf("ExportBar() = %v", err)
	}
	if !x.ExportedAt.Equal(exportedAt) || x.Format != 1 || x.Bar.ID != "e1" {
		t.Fatalf("ExportBar() = format %d bar %s at %v, want 1 e1 %v", x.Format, x.Bar.ID, x.ExportedAt, exportedAt)
	}
	var got []string
	for _, o := range x.Orders {
		got = append(got, o.ID)
	}
	for _, c := range []struct{ what, got, want string }{
		{"orders", strings.Join(got, ","), "o-done,o-q,o-x,o-staff"},
		{"events", fmt.Sprint(len(x.Events)), "2"},
		{"history", fmt.Sprint(len(x.History)), "2"},
		{"counters", fmt.Sprintf("%+v", x.Counters), "[{Day: Value:1} {Day:2026-01-01 Value:1}]"},
		{"customers", fmt.Sprintf("%+v", x.Customers), "[{ID:cu-1 Email:ada@example.com Name:Ada} {ID:cu-2 Email: Name:Sam}]"},
	} {
		if c.got != c.want {
			t.Fatalf("ExportBar() %s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if _, err := from.ExportBar(ctx, "nope", t0); presso.KindOf(err) != presso.KindNotFound {
		t.Fatalf("ExportBar(nope) = %v, want not found", err)
	}
	return x
}

// checkImported checks the imported bar on to against the original on from:
// the same orders; events published; capacity, limits, counters and the
// daily numbers rebuilt.
func checkImported(t *testing.T, from, to *store.DB) {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"o-q", "o-done", "o-staff"} {
		a, b := getOrder(t, from, id), getOrder(t, to, id)
		wantOrder(t, "GetOrder("+id+") after ImportBar", b, a)
	}
	// Imported events count as published; capacity and limits are rebuilt.
	if got := pending(t, to); got != 0 {
		t.Fatalf("PendingOutbox() after ImportBar = %d, want 0", got)
	}
	if got := active(t, to, "e1"); got != 2 {
		t.Fatalf("ActiveOrders() after ImportBar = %d, want 2 (o-q, o-staff)", got)
	}
	if countOrder(t, to, "e1", "cu-1", "2026-01-01", 1) {
		t.Fatalf("CountCustomerOrder(cu-1) after ImportBar = true, want false: o-q counts")
	}
	if !countOrder(t, to, "e1", "cu-2", "2026-01-01", 2) || countOrder(t, to, "e1", "cu-2", "2026-01-01", 2) {
		t.Fatalf("CountCustomerOrder(cu-2, max 2) after ImportBar: want one more allowed (o-done counts, o-x does not)")
	}
	n := txValue(t, to, func(tx *store.Tx) (int64, error) { return tx.NextNumber(ctx, "e1", "") })
	if n != 2 {
		t.Fatalf("NextNumber() after ImportBar = %d, want 2: counters carry over", n)
	}
	// The daily number stays unique on the new side.
	o := getOrder(t, to, "o-staff")
	prev := o.Version
	o.Number, o.Version = 2, prev+1
	if ok, err := updateOrder(t, to, o, prev, "2026-01-01"); err == nil || ok {
		t.Fatalf("UpdateOrder() to a number taken on the imported day = %v, %v; want false and an error", ok, err)
	}
}
