package load

import (
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/orders"
	"presso/store"
	"presso/store/storetest"
	"presso/validator"
)

// TestLoadCheckSQLite and TestLoadCheckPostgres run the invariant check on a
// database that real orders went through, then on the same database with
// planted faults, on both engines.
func TestLoadCheckSQLite(t *testing.T) {
	checkScenario(t, filepath.Join(t.TempDir(), "presso.db"))
}

func TestLoadCheckPostgres(t *testing.T) {
	checkScenario(t, storetest.FreshPostgres(t, storetest.PostgresServer(t)))
}

func TestLoadCheckMissingFile(t *testing.T) {
	_, err := Check(t.Context(), filepath.Join(t.TempDir(), "nope", "presso.db"))
	if err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Fatalf("Check(missing) = %v, want no database", err)
	}
}

func checkScenario(t *testing.T, dsn string) {
	ctx := t.Context()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := time.Now().Add(-time.Hour) // orders from an hour ago: deadlines long past
	now := func() time.Time { return clock }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.New(db, now, func() {})
	bar := config.DemoBar()
	bar.Limits.MaxPerCustomer = 10
	if err := cfg.Seed(ctx, bar); err != nil {
		t.Fatal(err)
	}
	bar, _ = db.GetBar(ctx, "demo")
	proc := orders.New(db, now, func() {}, log)
	ann := presso.Identity{ID: "cus_ann", Kind: "customer", Name: "Ann", Role: presso.RoleCustomer}
	staff := presso.Identity{ID: "stf_b", Kind: "staff", Name: "B", Role: presso.RoleBarista, EventID: "demo"}
	start := func() *presso.Order {
		code, err := validator.New(db, now, "http://x").Current(ctx, bar)
		if err != nil {
			t.Fatal(err)
		}
		o, err := proc.Start(ctx, ann, "demo", code.Code)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	fire := func(o *presso.Order, tr orders.Trigger) {
		var in orders.SubmitInput
		who := staff
		if tr == orders.TriggerSubmit {
			in, who = orders.SubmitInput{Drink: "americano"}, ann
		}
		if _, err := proc.Fire(ctx, who, o.ID, tr, in); err != nil {
			t.Fatal(err)
		}
	}
	done, cancelled, timedOut := start(), start(), start()
	fire(done, orders.TriggerSubmit)
	fire(done, orders.TriggerMake)
	fire(done, orders.TriggerComplete)
	fire(cancelled, orders.TriggerCancel)
	clock = time.Now()
	if n, err := proc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	relayAll(t, db)

	rep, err := check(ctx, dsn, checkGrace, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Orders != 3 || rep.States["completed"] != 1 || rep.States["cancelled"] != 1 || rep.States["timed_out"] != 1 {
		t.Fatalf("clean database: %+v", rep)
	}

	// Plant faults: an order stuck past its deadline (with its events not
	// relayed), a second ending for a completed order, and a capacity
	// counter off by one.
	clock = time.Now().Add(-time.Hour)
	stuck := start()
	clock = time.Now()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AppendHistory(ctx, done.ID, 5, store.Step{At: clock, From: presso.StateCompleted, To: presso.StateCancelled, Trigger: "cancel", Actor: "x"}); err != nil {
			return err
		}
		o, err := tx.GetOrder(ctx, timedOut.ID)
		if err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, presso.NewEnvelope(presso.OrderManagerOrderCompleted, "demo", clock, map[string]any{"orderId": o.ID}), o.ID); err != nil {
			return err
		}
		return tx.ReleaseCapacity(ctx, "demo")
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = check(ctx, dsn, checkGrace, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rep.Violations {
		got = append(got, v.Check+" "+v.Subject)
	}
	slices.Sort(got)
	want := []string{
		"capacity counter bar demo",
		"history length " + done.ID,
		"history end " + done.ID,
		"outbox pending outbox",
		"stuck " + stuck.ID,
		"terminal events " + timedOut.ID,
		"terminal transitions " + done.ID,
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, v := range rep.Violations {
		if v.Detail == "" {
			t.Errorf("%s has no detail", v)
		}
	}
}

// relayAll marks every outbox event published, as the relay would.
func relayAll(t *testing.T, db *store.DB) {
	ctx := t.Context()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for {
			b, err := tx.Unpublished(ctx, 100)
			if err != nil || len(b) == 0 {
				return err
			}
			var seqs []int64
			for _, e := range b {
				seqs = append(seqs, e.Seq)
			}
			if err := tx.MarkPublished(ctx, seqs, time.Now()); err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
