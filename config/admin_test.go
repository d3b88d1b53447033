package config_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"presso"
	"presso/config"
	"presso/internal/testkit"
	"presso/store"
	"presso/store/storetest"
	"presso/validator"
)

// The admin console's rules in the config service, on every engine: live
// drinks per code, the audit rows of every change, a new code now, ended
// bars, a drink's availability and copies.

// t0 is 10 s into a 300 s window: 2026-03-02T10:00:10Z.
var t0 = time.Date(2026, 3, 2, 10, 0, 10, 0, time.UTC)

// env is a config service and a validator on one fresh database.
type env struct {
	db    *store.DB
	clock *testkit.Clock
	cfg   *config.Service
	v     *validator.Validator
}

// engines runs fn once per engine, each on a fresh database with the demo
// bar. PostgreSQL runs when PRESSO_TEST_POSTGRES_URL is set.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.EachEngine(t, func(t *testing.T, eng storetest.Engine) {
		db := eng.Open(t)
		c := testkit.NewClock(t0)
		e := &env{db: db, clock: c, cfg: config.New(db, c.Now, func() {}), v: validator.New(db, c.Now, "https://coffee.test")}
		if err := e.cfg.Seed(t.Context(), config.DemoBar()); err != nil {
			t.Fatal(err)
		}
		fn(t, e)
	})
}

var (
	admin    = presso.Identity{ID: "stf_admin", Kind: "staff", Name: "ann", Role: presso.RoleAdmin}
	baristaX = presso.Identity{ID: "stf_bx", Kind: "staff", Name: "bob", Role: presso.RoleBarista, EventID: "demo"}
	baristaY = presso.Identity{ID: "stf_by", Kind: "staff", Name: "cy", Role: presso.RoleBarista, EventID: "other"}
	displayX = presso.Identity{ID: "stf_dx", Kind: "staff", Name: "tv", Role: presso.RoleDisplay, EventID: "demo"}
	customer = presso.Identity{ID: "cus_1", Kind: "customer", Name: "Dee", Role: presso.RoleCustomer}
)

func intp(v int) *int       { return &v }
func boolp(v bool) *bool    { return &v }
func strp(v string) *string { return &v }

// current is the bar's code now.
func (e *env) current(t *testing.T, id string) validator.Current {
	t.Helper()
	b, err := e.cfg.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.v.Current(t.Context(), b)
	if err != nil {
		t.Fatalf("Current(%s) = %v", id, err)
	}
	return c
}

// use redeems the code once, as a scan does.
func (e *env) use(t *testing.T, id, code string) error {
	t.Helper()
	b, err := e.cfg.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e.db.Tx(t.Context(), func(tx *store.Tx) error {
		_, err := validator.Use(t.Context(), tx, b, code, e.clock.Now())
		return err
	})
}

// audit is every audit row, oldest first, without seqs.
func (e *env) audit(t *testing.T) []store.AuditRow {
	t.Helper()
	rows, err := e.db.ListAudit(t.Context(), "*", 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]store.AuditRow, len(rows))
	for i, r := range rows {
		r.Seq = 0
		out[len(rows)-1-i] = r
	}
	return out
}

// wantAudit checks the rows written since the first n.
func (e *env) wantAudit(t *testing.T, n int, want ...store.AuditRow) {
	t.Helper()
	got := e.audit(t)
	if len(got) < n {
		t.Fatalf("audit has %d rows, fewer than the %d before", len(got), n)
	}
	got = got[n:]
	if want == nil {
		want = []store.AuditRow{}
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("new audit rows =\n  %s\nwant\n  %s", gj, wj)
	}
}

func row(who presso.Identity, at time.Time, action, event, target string, before, after map[string]any) store.AuditRow {
	return store.Audit(who, at, action, event, target, before, after)
}

// TestLiveDrinksPerCode: a new drinksPerCode moves the live code's uses
// by the difference at once, never below zero nor above the new limit,
// and a refused change moves nothing.
func TestLiveDrinksPerCode(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.current(t, "demo")
		if c.Remaining != 10 || c.DrinksPerCode != 10 {
			t.Fatalf("first code = %d of %d, want 10 of 10", c.Remaining, c.DrinksPerCode)
		}
		for range 3 {
			if err := e.use(t, "demo", c.Code); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			name      string
			limit     int
			remaining int
		}{
			{"raised 10 to 15", 15, 12},
			{"lowered 15 to 5", 5, 2},
			{"lowered 5 to 1, not below zero", 1, 0},
			{"raised 1 to 4", 4, 3},
			{"raised 4 to 10", 10, 9},
		}
		for _, s := range steps {
			e.clock.Advance(time.Second)
			if _, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Limits: &config.LimitsPatch{DrinksPerCode: intp(s.limit)}}); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			got := e.current(t, "demo")
			if got.Code != c.Code || got.Remaining != s.remaining || got.DrinksPerCode != s.limit {
				t.Fatalf("%s: code %s %d of %d, want %s %d of %d", s.name, got.Code, got.Remaining, got.DrinksPerCode, c.Code, s.remaining, s.limit)
			}
		}
		// A refused change (0 is out of range) moves nothing.
		n := len(e.audit(t))
		_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Limits: &config.LimitsPatch{DrinksPerCode: intp(0)}})
		if got := field(err); got != "limits.drinksPerCode" {
			t.Fatalf("drinksPerCode 0: field %q, want limits.drinksPerCode", got)
		}
		if got := e.current(t, "demo"); got.Remaining != 9 || got.DrinksPerCode != 10 {
			t.Fatalf("after a refused change: %d of %d, want 9 of 10", got.Remaining, got.DrinksPerCode)
		}
		e.wantAudit(t, n)
		// The next window starts full at the new limit.
		e.clock.Advance(5 * time.Minute)
		if got := e.current(t, "demo"); got.Code == c.Code || got.Remaining != 10 {
			t.Fatalf("next window = %s %d, want a new code with 10", got.Code, got.Remaining)
		}
	})
}

// TestAuditOfBarChanges: the exact rows each change writes.
func TestAuditOfBarChanges(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		seeded := e.audit(t)
		if want := []store.AuditRow{row(presso.Identity{}, t0, "bar.create", "demo", "demo", nil, map[string]any{"name": "Demo bar"})}; !reflect.DeepEqual(seeded, want) {
			t.Fatalf("seed audit = %+v, want %+v", seeded, want)
		}
		menu := config.DefaultMenu()[:2]
		type change struct {
			name string
			who  presso.Identity
			do   func() error
			want func(at time.Time) []store.AuditRow
			// A refused change: its kind, and for a 400 the field it names.
			refused presso.Kind
			field   string
		}
		changes := []change{
			{name: "settings", who: admin, do: func() error {
				_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Name: strp("Main bar"), Limits: &config.LimitsPatch{DrinksPerCode: intp(12)},
					WelcomeText: strp("Hi")})
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{row(admin, at, "bar.update", "demo", "demo",
					map[string]any{"name": "Demo bar", "limits.drinksPerCode": float64(10), "welcomeText": ""},
					map[string]any{"name": "Main bar", "limits.drinksPerCode": float64(12), "welcomeText": "Hi"})}
			}},
			{name: "close by a barista", who: baristaX, do: func() error {
				_, err := e.cfg.Update(ctx, baristaX, "demo", config.Patch{Open: boolp(false)})
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{row(baristaX, at, "bar.close", "demo", "demo", map[string]any{"open": true}, map[string]any{"open": false})}
			}},
			{name: "open, end and a menu in one patch", who: admin, do: func() error {
				_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Open: boolp(true), Ended: boolp(true), Menu: &menu})
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{
					row(admin, at, "bar.open", "demo", "demo", map[string]any{"open": false}, map[string]any{"open": true}),
					row(admin, at, "bar.end", "demo", "demo", map[string]any{"ended": false}, map[string]any{"ended": true}),
					row(admin, at, "menu.save", "demo", "demo",
						map[string]any{"drinks": []any{"americano", "flat-white", "cappuccino", "single-espresso", "double-espresso"}},
						map[string]any{"drinks": []any{"americano", "flat-white"}}),
				}
			}},
			{name: "reopen", who: admin, do: func() error {
				_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Ended: boolp(false)})
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{row(admin, at, "bar.reopen", "demo", "demo", map[string]any{"ended": true}, map[string]any{"ended": false})}
			}},
			{name: "a patch that changes nothing", who: admin, do: func() error {
				_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Name: strp("Main bar")})
				return err
			}, want: func(time.Time) []store.AuditRow { return nil }},
			{name: "availability", who: baristaX, do: func() error {
				_, err := e.cfg.SetAvailable(ctx, baristaX, "demo", "flat-white", false)
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{row(baristaX, at, "menu.availability", "demo", "flat-white", map[string]any{"available": true}, map[string]any{"available": false})}
			}},
			{name: "rotation", who: baristaX, do: func() error {
				_, err := e.cfg.RotateQR(ctx, baristaX, "demo")
				return err
			}, want: func(at time.Time) []store.AuditRow {
				end := time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC) // of the window it ended
				return []store.AuditRow{row(baristaX, at, "qr.rotate", "demo", "demo",
					map[string]any{"windowEnd": end.Format(time.RFC3339Nano)},
					map[string]any{"windowStart": at.Format(time.RFC3339Nano), "windowEnd": at.Add(5 * time.Minute).Format(time.RFC3339Nano)})}
			}},
			{name: "copy", who: admin, do: func() error {
				_, err := e.cfg.Copy(ctx, admin, "demo", "copy", "The copy", false)
				return err
			}, want: func(at time.Time) []store.AuditRow {
				return []store.AuditRow{row(admin, at, "bar.create", "copy", "copy", nil, map[string]any{"name": "The copy", "copyFrom": "demo"})}
			}},
			{name: "a refused setting", who: admin, refused: presso.KindInvalid, field: "readySeconds", do: func() error {
				_, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Name: strp("Never"), ReadySeconds: intp(1)})
				return err
			}},
			{name: "a refused copy", who: admin, refused: presso.KindInvalid, field: "copyFrom", do: func() error {
				_, err := e.cfg.Copy(ctx, admin, "nope", "copy2", "Copy", false)
				return err
			}},
			{name: "a refused availability", who: displayX, refused: presso.KindForbidden, do: func() error {
				_, err := e.cfg.SetAvailable(ctx, displayX, "demo", "flat-white", true)
				return err
			}},
		}
		for _, c := range changes {
			e.clock.Advance(time.Second)
			n := len(e.audit(t))
			before, _ := e.cfg.List(ctx)
			err := c.do()
			if c.refused != presso.KindInternal {
				if presso.KindOf(err) != c.refused || err == nil || c.field != "" && field(err) != c.field {
					t.Fatalf("%s: error %v (field %q), want kind %d field %q", c.name, err, field(err), c.refused, c.field)
				}
				after, _ := e.cfg.List(ctx)
				if a, b := jsonOf(t, after), jsonOf(t, before); a != b {
					t.Fatalf("%s changed the bars:\n%s\n%s", c.name, b, a)
				}
				e.wantAudit(t, n)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			e.wantAudit(t, n, c.want(e.clock.Now())...)
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRotate: a new code now ends the old one at once, starts a whole
// window, and every replica (another validator on the same database)
// serves it; the windows after it follow on from it.
func TestRotate(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		old := e.current(t, "demo")
		if err := e.use(t, "demo", old.Code); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(20 * time.Second) // 10:00:30
		if _, err := e.cfg.RotateQR(ctx, displayX, "demo"); presso.KindOf(err) != presso.KindForbidden {
			t.Fatalf("RotateQR by a display = %v, want forbidden", err)
		}
		if got := e.current(t, "demo"); got.Code != old.Code {
			t.Fatalf("a refused rotation changed the code")
		}
		if _, err := e.cfg.RotateQR(ctx, baristaX, "demo"); err != nil {
			t.Fatal(err)
		}
		rotated := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
		got := e.current(t, "demo")
		if got.Code == old.Code || !got.WindowStart.Equal(rotated) || !got.WindowEnd.Equal(rotated.Add(5*time.Minute)) || got.Remaining != 10 {
			t.Fatalf("after the rotation = %+v, want a new code for [10:00:30, 10:05:30) with 10 uses", got)
		}
		other := validator.New(e.db, e.clock.Now, "https://coffee.test")
		b, _ := e.cfg.Get(ctx, "demo")
		if c, err := other.Current(ctx, b); err != nil || c.Code != got.Code {
			t.Fatalf("another replica's code = %s, %v; want %s", c.Code, err, got.Code)
		}
		err := e.use(t, "demo", old.Code)
		if pe, ok := err.(*presso.Error); !ok || pe.Code != presso.CodeCodeExpired {
			t.Fatalf("the old code after a rotation = %v, want code_expired", err)
		}
		// The 10:05 boundary is not one any more: the next window starts at 10:05:30.
		e.clock.Advance(4*time.Minute + 59*time.Second) // 10:05:29
		if c := e.current(t, "demo"); c.Code != got.Code {
			t.Fatalf("at 10:05:29 the code is %s, want the rotated one", c.Code)
		}
		e.clock.Advance(time.Second)
		next := e.current(t, "demo")
		if next.Code == got.Code || !next.WindowStart.Equal(rotated.Add(5*time.Minute)) {
			t.Fatalf("at 10:05:30 = %+v, want a new window from 10:05:30", next)
		}
		// The ConfigChanged it sent names the reason.
		events, err := e.db.Unpublished(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-1]
		var env struct{ Detail map[string]any }
		json.Unmarshal(last.Payload, &env)
		if last.DetailType != presso.ConfigServiceConfigChanged || env.Detail["reason"] != "qr_rotated" {
			t.Fatalf("last event = %s %v, want ConfigChanged with reason qr_rotated", last.DetailType, env.Detail["reason"])
		}
	})
}

// TestEnded: an ended bar takes no scans and shows no codes, and leaves
// the lists of everyone but admins; reopening undoes it.
func TestEnded(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		code := e.current(t, "demo").Code
		if _, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Ended: boolp(true)}); err != nil {
			t.Fatal(err)
		}
		b, _ := e.cfg.Get(ctx, "demo")
		if _, err := e.v.Current(ctx, b); presso.KindOf(err) != presso.KindExpired || err.(*presso.Error).Code != presso.CodeBarEnded {
			t.Fatalf("Current() of an ended bar = %v, want bar_ended", err)
		}
		if err := e.use(t, "demo", code); presso.KindOf(err) != presso.KindExpired || err.(*presso.Error).Code != presso.CodeBarEnded {
			t.Fatalf("Use() at an ended bar = %v, want bar_ended", err)
		}
		for _, c := range []struct {
			who  presso.Identity
			want int
		}{{presso.Identity{}, 0}, {customer, 0}, {baristaX, 0}, {admin, 1}} {
			bars, err := e.cfg.ListFor(ctx, c.who)
			if err != nil || len(bars) != c.want {
				t.Fatalf("ListFor(%q) = %d bars, %v; want %d", c.who.Role, len(bars), err, c.want)
			}
		}
		listed, err := e.cfg.ListCounts(ctx, admin)
		if err != nil || len(listed) != 1 || listed[0].State != "ended" {
			t.Fatalf("ListCounts() = %+v, %v; want demo ended", listed, err)
		}
		if _, err := e.cfg.Update(ctx, admin, "demo", config.Patch{Ended: boolp(false)}); err != nil {
			t.Fatal(err)
		}
		if err := e.use(t, "demo", e.current(t, "demo").Code); err != nil {
			t.Fatalf("a scan after reopening = %v", err)
		}
	})
}

// TestListCounts: today's orders by state, in each bar's own time zone.
func TestListCounts(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		// 10:00 UTC on 2 March is already 3 March on Kiritimati (UTC+14).
		if _, err := e.cfg.Copy(ctx, admin, "demo", "nz", "Kiritimati", true); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cfg.Update(ctx, admin, "nz", config.Patch{Timezone: strp("Pacific/Kiritimati")}); err != nil {
			t.Fatal(err)
		}
		orders := []*presso.Order{
			{ID: "o1", EventID: "demo", UserID: "u", State: presso.StateQueued, Day: "2026-03-02", CreatedAt: t0, Version: 1},
			{ID: "o2", EventID: "demo", UserID: "u", State: presso.StateCompleted, Number: 1, Day: "2026-03-02", CreatedAt: t0, Version: 1},
			{ID: "o3", EventID: "demo", UserID: "u", State: presso.StateCompleted, Number: 2, Day: "2026-03-01", CreatedAt: t0, Version: 1},
			{ID: "o4", EventID: "nz", UserID: "u", State: presso.StateMaking, Number: 1, Day: "2026-03-03", CreatedAt: t0, Version: 1},
			{ID: "o5", EventID: "nz", UserID: "u", State: presso.StateCancelled, Day: "2026-03-02", CreatedAt: t0, Version: 1},
		}
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			for _, o := range orders {
				if err := tx.InsertOrder(ctx, o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := e.cfg.ListCounts(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		zero := func(m map[presso.State]int) map[presso.State]int {
			out := map[presso.State]int{"waiting": 0, "queued": 0, "making": 0, "completed": 0, "cancelled": 0, "timed_out": 0}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		want := map[string]map[presso.State]int{
			"demo": zero(map[presso.State]int{"queued": 1, "completed": 1}),
			"nz":   zero(map[presso.State]int{"making": 1}),
		}
		if len(got) != 2 {
			t.Fatalf("ListCounts() = %d bars, want 2", len(got))
		}
		for _, l := range got {
			if !reflect.DeepEqual(l.Today, want[l.ID]) {
				t.Errorf("%s today = %v, want %v", l.ID, l.Today, want[l.ID])
			}
		}
		if got[0].State != "open" || got[1].State != "open" {
			t.Errorf("states = %s, %s; want open, open", got[0].State, got[1].State)
		}
		if _, err := e.cfg.ListCounts(ctx, baristaX); presso.KindOf(err) != presso.KindForbidden {
			t.Fatalf("ListCounts() by a barista = %v, want forbidden", err)
		}
	})
}

// TestSetAvailable: who may mark a drink, and what a refusal leaves.
func TestSetAvailable(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if _, err := e.cfg.Copy(ctx, admin, "demo", "other", "Other", true); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			who  presso.Identity
			bar  string
			drnk string
			kind presso.Kind // -1: allowed
		}{
			{"barista of the bar", baristaX, "demo", "cappuccino", -1},
			{"admin", admin, "other", "cappuccino", -1},
			{"barista of another bar", baristaY, "demo", "americano", presso.KindForbidden},
			{"display of the bar", displayX, "demo", "americano", presso.KindForbidden},
			{"customer", customer, "demo", "americano", presso.KindForbidden},
			{"unknown drink", baristaX, "demo", "latte", presso.KindNotFound},
			{"unknown bar", admin, "nope", "americano", presso.KindNotFound},
		}
		for _, c := range cases {
			before, _ := e.cfg.List(ctx)
			b, err := e.cfg.SetAvailable(ctx, c.who, c.bar, c.drnk, false)
			if c.kind >= 0 {
				if presso.KindOf(err) != c.kind || err == nil {
					t.Fatalf("%s: SetAvailable() = %v, want kind %d", c.name, err, c.kind)
				}
				if after, _ := e.cfg.List(ctx); jsonOf(t, after) != jsonOf(t, before) {
					t.Fatalf("%s: a refused change changed the bars", c.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			for _, d := range b.Menu {
				if want := d.ID != c.drnk; d.Available != want {
					t.Fatalf("%s: %s available = %v, want %v", c.name, d.ID, d.Available, want)
				}
			}
		}
	})
}

// TestCopy: a copy has every setting and the menu of its source, its own
// id and name, none of its codes, and shares no menu with it.
func TestCopy(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if _, err := e.cfg.Update(ctx, admin, "demo", config.Patch{WelcomeText: strp("Welcome"), Language: strp("de"),
			Limits: &config.LimitsPatch{MaxQueue: intp(7)}, Ended: boolp(true)}); err != nil {
			t.Fatal(err)
		}
		src, _ := e.cfg.Get(ctx, "demo")
		cp, err := e.cfg.Copy(ctx, admin, "demo", "tomorrow", "Tomorrow", false)
		if err != nil {
			t.Fatal(err)
		}
		want := *src
		want.ID, want.Name, want.Open, want.Ended, want.CreatedAt = "tomorrow", "Tomorrow", false, false, cp.CreatedAt
		if a, b := jsonOf(t, cp), jsonOf(t, &want); a != b {
			t.Fatalf("copy =\n  %s\nwant\n  %s", a, b)
		}
		if _, err := e.cfg.SetAvailable(ctx, admin, "tomorrow", "americano", false); err != nil {
			t.Fatal(err)
		}
		if s, _ := e.cfg.Get(ctx, "demo"); !s.Menu[0].Available {
			t.Fatalf("a change to the copy's menu changed the source's")
		}
		_, err = e.cfg.Copy(ctx, admin, "demo", "tomorrow", "Again", false)
		if presso.KindOf(err) != presso.KindConflict {
			t.Fatalf("a copy onto a taken id = %v, want conflict", err)
		}
		_, err = e.cfg.Copy(ctx, baristaX, "demo", "b", "B", false)
		if presso.KindOf(err) != presso.KindForbidden {
			t.Fatalf("a copy by a barista = %v, want forbidden", err)
		}
	})
}

// TestImport: the console's import takes a `presso export` of a new bar,
// checks its settings, and writes its audit row with it.
func TestImport(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		x, err := e.cfg.Export(ctx, admin, "demo")
		if err != nil {
			t.Fatal(err)
		}
		x.Bar.ID, x.Events = "moved", nil // the events' ids are demo's, which stays here
		if _, err := e.cfg.Export(ctx, baristaX, "demo"); presso.KindOf(err) != presso.KindForbidden {
			t.Fatalf("Export() by a barista = %v, want forbidden", err)
		}
		n := len(e.audit(t))
		bad := *x
		badBar := *x.Bar
		badBar.Name = ""
		bad.Bar = &badBar
		for _, c := range []struct {
			name string
			who  presso.Identity
			x    *store.BarExport
			kind presso.Kind
		}{
			{"by a barista", baristaX, x, presso.KindForbidden},
			{"a bar without a name", admin, &bad, presso.KindInvalid},
			{"not an export", admin, &store.BarExport{Format: 2}, presso.KindInvalid},
		} {
			if err := e.cfg.Import(ctx, c.who, c.x); presso.KindOf(err) != c.kind || err == nil {
				t.Fatalf("Import(%s) = %v, want kind %d", c.name, err, c.kind)
			}
		}
		e.wantAudit(t, n)
		if _, err := e.cfg.Get(ctx, "moved"); presso.KindOf(err) != presso.KindNotFound {
			t.Fatalf("a refused import made the bar: %v", err)
		}
		if err := e.cfg.Import(ctx, admin, x); err != nil {
			t.Fatal(err)
		}
		e.wantAudit(t, n, row(admin, t0, "bar.import", "moved", "moved", nil, map[string]any{"orders": float64(0), "events": float64(0)}))
		if got, err := e.cfg.Get(ctx, "moved"); err != nil || got.Name != "Demo bar" {
			t.Fatalf("the imported bar = %+v, %v", got, err)
		}
		if err := e.cfg.Import(ctx, admin, x); presso.KindOf(err) != presso.KindConflict {
			t.Fatalf("a second import = %v, want conflict", err)
		}
	})
}
