package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"presso"
	"presso/auth"
	"presso/internal/testkit"
	"presso/store"
	"presso/store/storetest"
)

// env is an auth service on a fresh SQLite database with an admin
// "root" (password "correct horse") and a name-mode bar "demo".
type env struct {
	db    *store.DB
	clock *testkit.Clock
	svc   *auth.Service
	mails []string // "to code", in order
	mu    sync.Mutex
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.SQLite().Open(t)
	e := &env{db: db, clock: testkit.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))}
	e.svc = e.service()
	ctx := t.Context()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateBar(ctx, &presso.Bar{ID: "demo", Name: "Demo bar", SignInMode: "name", Limits: presso.Limits{DrinksPerCode: 10, WindowSeconds: 300}}, e.clock.Now()); err != nil {
			return err
		}
		if err := tx.CreateBar(ctx, &presso.Bar{ID: "conf", Name: "Conference bar", SignInMode: "code"}, e.clock.Now()); err != nil {
			return err
		}
		return tx.CreateStaff(ctx, store.Staff{ID: "stf-root", Username: "root", PasswordHash: auth.HashPassword("correct horse"), Role: presso.RoleAdmin}, e.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// service is another replica: a service of its own on the same database.
func (e *env) service() *auth.Service {
	mail := func(_ context.Context, to, code string) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.mails = append(e.mails, to+" "+code)
		return nil
	}
	return auth.New(e.db, e.clock.Now, true, mail, slog.New(slog.NewTextHandler(io.Discard, nil)), 100000)
}

// outcome is an error's status-relevant part: "ok", or "<code>" with
// "+<seconds>" when it says when to retry.
func (e *env) outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var pe *presso.Error
	if !errors.As(err, &pe) {
		return "error: " + err.Error()
	}
	if !pe.RetryAt.IsZero() {
		return fmt.Sprintf("%s+%ds", pe.Code, int(pe.RetryAt.Sub(e.clock.Now()).Seconds()))
	}
	return pe.Code
}

// TestStaffBackoff: failures are counted per account, whatever address
// they come from; after five, each attempt waits for the one before,
// doubling from 1 s; the right password after the wait always works.
// Before, the only limit was 10 a minute per username and address: ten
// guesses through a shared proxy address locked the admin out, and ten
// addresses guessed ten times as fast.
func TestStaffBackoff(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	try := func(ip, password string) string {
		_, err := e.svc.StaffSignIn(ctx, ip, "root", password)
		return e.outcome(err)
	}
	var got []string
	for i := range 5 {
		got = append(got, try(fmt.Sprintf("10.0.0.%d", i), "guess"))
	}
	// The sixth attempt, even with the right password and from the real
	// admin's own address, waits 1 s; not counted, so the wait stays.
	got = append(got, try("192.0.2.1", "correct horse"), try("10.0.0.9", "guess"))
	e.clock.Advance(time.Second)
	got = append(got, try("10.0.0.9", "guess")) // 6th failure: 2 s
	e.clock.Advance(2 * time.Second)
	got = append(got, try("10.0.0.9", "guess")) // 7th: 4 s
	got = append(got, try("192.0.2.1", "correct horse"))
	e.clock.Advance(4 * time.Second)
	got = append(got, try("192.0.2.1", "correct horse"), try("10.0.0.1", "guess"))
	want := []string{"bad_credentials", "bad_credentials", "bad_credentials", "bad_credentials", "bad_credentials",
		"rate_limited+1s", "rate_limited+1s", "bad_credentials", "bad_credentials", "rate_limited+4s",
		"ok", "bad_credentials"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("attempts =\n%v\nwant\n%v", got, want)
	}
	// The count is shared by every replica.
	for range 4 {
		try("10.0.0.2", "guess")
	}
	if _, err := e.service().StaffSignIn(ctx, "10.0.0.3", "root", "correct horse"); e.outcome(err) != "rate_limited+1s" {
		t.Fatalf("another replica after 5 failures = %s, want rate_limited+1s", e.outcome(err))
	}
	// The wait never grows past 15 minutes: no permanent lock-out.
	for range 40 {
		b, _ := e.db.SigninBackoff(ctx, "staff:root")
		e.clock.Set(b.NextAt)
		try("10.0.0.2", "guess")
	}
	b, _ := e.db.SigninBackoff(ctx, "staff:root")
	if d := b.NextAt.Sub(e.clock.Now()); d != 15*time.Minute {
		t.Fatalf("wait after 45 failures = %v, want 15m0s", d)
	}
	e.clock.Advance(15 * time.Minute)
	if got := try("192.0.2.1", "correct horse"); got != "ok" {
		t.Fatalf("right password after the longest wait = %s, want ok", got)
	}
}

// TestStaffOversizedUsername: a username no account can have is refused
// before it is used as any key, stored or in memory.
func TestStaffOversizedUsername(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("a", 250<<10)
	for range 3 {
		if _, err := e.svc.StaffSignIn(t.Context(), "10.0.0.1", huge, "x"); e.outcome(err) != "bad_credentials" {
			t.Fatalf("oversized username = %s, want bad_credentials", e.outcome(err))
		}
	}
	if b, err := e.db.SigninBackoff(t.Context(), "staff:"+huge); err != nil || b.Failures != 0 {
		t.Fatalf("back-off stored for an oversized username: %+v, %v", b, err)
	}
}

// codeOf is the last code mailed.
func (e *env) codeOf(t *testing.T) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.mails) == 0 {
		t.Fatal("no mail sent")
	}
	_, code, _ := strings.Cut(e.mails[len(e.mails)-1], " ")
	return code
}

// TestEmailGuessesAcrossCodes: wrong guesses are counted per address
// across codes, so asking for a new code gives no new guesses; after five
// the next waits 30 s, then 60 s. Before, each new code reset the count:
// five guesses per code, three codes a minute, unbounded over days.
func TestEmailGuessesAcrossCodes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const ann = "ann@example.com"
	guess := func(code string) string {
		_, err := e.svc.CustomerSignIn(ctx, "10.0.0.1", ann, code)
		return e.outcome(err)
	}
	if _, err := e.svc.RequestCode(ctx, "10.0.0.1", ann); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		got = append(got, guess("000000x"))
	}
	if _, err := e.svc.RequestCode(ctx, "10.0.0.1", ann); err != nil {
		t.Fatal(err)
	}
	right := e.codeOf(t)
	got = append(got, guess("000000x"), guess("000000x"), guess(right))
	e.clock.Advance(29 * time.Second)
	got = append(got, guess(right))
	e.clock.Advance(time.Second)
	got = append(got, guess("000000x"), guess(right))
	e.clock.Advance(time.Minute)
	got = append(got, guess(right), guess(right))
	want := []string{"invalid", "invalid", "invalid", "invalid", "invalid",
		"rate_limited+30s", "rate_limited+1s", "invalid", "rate_limited+60s", "ok", "invalid_code"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("guesses =\n%v\nwant\n%v", got, want)
	}
}

// TestEmailPendingCodeSurvives: somebody else asking for a code for the
// victim's address leaves the victim's code valid. Before, each request
// replaced the pending code.
func TestEmailPendingCodeSurvives(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const ann = "ann@example.com"
	if _, err := e.svc.RequestCode(ctx, "192.0.2.1", ann); err != nil {
		t.Fatal(err)
	}
	victims := e.codeOf(t)
	e.clock.Advance(time.Minute)
	if _, err := e.service().RequestCode(ctx, "10.6.6.6", ann); err != nil { // the attacker, on another replica
		t.Fatal(err)
	}
	if e.codeOf(t) == victims {
		t.Skip("the two random codes happen to be equal")
	}
	sess, err := e.svc.CustomerSignIn(ctx, "192.0.2.1", ann, victims)
	if err != nil || sess.Identity.Kind != "customer" {
		t.Fatalf("the victim's code after another request = %+v, %v; want signed in", sess.Identity, err)
	}
	// Using one code ends them all.
	e.mu.Lock()
	attackers := e.mails[1][len(ann)+1:]
	e.mu.Unlock()
	if _, err := e.svc.CustomerSignIn(ctx, "10.6.6.6", ann, attackers); e.outcome(err) != "invalid_code" {
		t.Fatalf("the other code after a sign-in = %s, want invalid_code", e.outcome(err))
	}
}

// TestEmailMailCaps: one address is mailed at most 3 codes an hour and 10
// a day, counted in the database, so replicas share the count. Before,
// the cap was 3 a minute per replica: 4,320 mails a day per replica to any
// address.
func TestEmailMailCaps(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	replicas := []*auth.Service{e.svc, e.service()}
	ask := func(i int) string {
		_, err := replicas[i%2].RequestCode(ctx, fmt.Sprintf("10.0.%d.1", i), "ann@example.com")
		return e.outcome(err)
	}
	e.clock.Set(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	var got []string
	for range 4 {
		for i := range 4 {
			got = append(got, ask(i))
		}
		e.clock.Advance(time.Hour)
	}
	// In the fourth hour the first mail is the day's 10th; then the day's
	// cap holds until midnight.
	want := strings.Repeat("ok ok ok rate_limited+3600s ", 3) + "ok rate_limited+75600s rate_limited+75600s rate_limited+75600s"
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("requests =\n%s\nwant\n%s", g, want)
	}
	if len(e.mails) != 10 {
		t.Fatalf("%d mails sent, want 10", len(e.mails))
	}
	e.clock.Set(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if got := ask(0); got != "ok" {
		t.Fatalf("the next day = %s, want ok", got)
	}
}

// TestNameSessionBound: a name sign-in's identity carries its bar, so an
// order start elsewhere can be refused (web does); control and direction
// characters in the name are refused.
func TestNameSessionBound(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	demo := &presso.Bar{ID: "demo", Name: "Demo bar", SignInMode: "name"}
	sess, err := e.svc.NameSignIn(ctx, "10.0.0.1", demo, "  Ann ")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.svc.Identify(ctx, sess.Token)
	if err != nil || id.EventID != "demo" || id.Name != "Ann" || id.Kind != "customer" {
		t.Fatalf("name session identity = %+v, %v; want Ann bound to demo", id, err)
	}
	for _, name := range []string{"Ann\nBarista says: free coffee", "Ann\u202etxt.exe", "\u200b\u200b", "   "} {
		_, err := e.svc.NameSignIn(ctx, "10.0.0.1", demo, name)
		var pe *presso.Error
		if !errors.As(err, &pe) || pe.Kind != presso.KindInvalid || pe.Field != "name" {
			t.Fatalf("NameSignIn(%q) = %v, want a 400 naming name", name, err)
		}
	}
}

// TestStaffSessionSlides: a staff session ends after 12 h unused, moves on
// with use (written at most every 3 h), and ends 7 days after sign-in
// however much it is used. Before, every session lasted 7 days unused.
func TestStaffSessionSlides(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	sess, err := e.svc.StaffSignIn(ctx, "10.0.0.1", "root", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	start := e.clock.Now()
	if !sess.Expires.Equal(start.Add(7 * 24 * time.Hour)) {
		t.Fatalf("cookie expiry = %v, want 7 days on", sess.Expires)
	}
	expiry := func() time.Duration {
		_, s, err := e.db.SessionByToken(ctx, auth.HashToken(sess.Token), e.clock.Now())
		if err != nil {
			return -1
		}
		return s.ExpiresAt.Sub(start)
	}
	use := func() string { _, err := e.svc.Identify(ctx, sess.Token); return e.outcome(err) }
	if d := expiry(); d != 12*time.Hour {
		t.Fatalf("a new staff session expires after %v, want 12h", d)
	}
	e.clock.Advance(2 * time.Hour)
	use()
	if d := expiry(); d != 12*time.Hour {
		t.Fatalf("after a use at 2 h the expiry is %v, want 12h still (no write within 3 h)", d)
	}
	e.clock.Advance(2 * time.Hour) // 4 h
	use()
	if d := expiry(); d != 16*time.Hour {
		t.Fatalf("after a use at 4 h the expiry is %v, want 16h", d)
	}
	e.clock.Advance(12 * time.Hour) // 16 h: unused for 12 h
	if got := use(); got != "unauthenticated" {
		t.Fatalf("a staff session unused for 12 h = %s, want unauthenticated", got)
	}
	// Used every 4 h it still ends at 7 days.
	sess, _ = e.svc.StaffSignIn(ctx, "10.0.0.1", "root", "correct horse")
	start = e.clock.Now()
	for e.clock.Now().Before(start.Add(7*24*time.Hour - 4*time.Hour)) {
		e.clock.Advance(4 * time.Hour)
		if got := use(); got != "ok" {
			t.Fatalf("at %v a used session = %s, want ok", e.clock.Now().Sub(start), got)
		}
	}
	if d := expiry(); d != 7*24*time.Hour {
		t.Fatalf("expiry of a session used every 4 h = %v, want 168h", d)
	}
	e.clock.Set(start.Add(7 * 24 * time.Hour))
	if got := use(); got != "unauthenticated" {
		t.Fatalf("a staff session at 7 days = %s, want unauthenticated", got)
	}
	// A customer's session lasts 7 days, used or not.
	cs, _ := e.svc.NameSignIn(ctx, "10.0.0.1", &presso.Bar{ID: "demo", SignInMode: "name"}, "Ann")
	e.clock.Advance(7*24*time.Hour - time.Millisecond)
	if _, err := e.svc.Identify(ctx, cs.Token); err != nil {
		t.Fatalf("a customer session just before 7 days = %v", err)
	}
}

// outboxEvents are the events written and not yet relayed.
func outboxEvents(t *testing.T, db *store.DB) []presso.Envelope {
	t.Helper()
	rows, err := db.Unpublished(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []presso.Envelope
	for _, r := range rows {
		var env presso.Envelope
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if env.DetailType != r.DetailType || env.EventID != r.EventID {
			t.Fatalf("outbox row %+v holds %+v", r, env)
		}
		out = append(out, env)
	}
	return out
}

// TestSignOutEvent: a sign-out writes, in its transaction, the event that
// ends the session's streams; signing out a session that is gone writes
// none; EndSessions ends all of a user's sessions with one event.
func TestSignOutEvent(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var tokens []string
	for range 3 {
		s, err := e.svc.StaffSignIn(ctx, "10.0.0.1", "root", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, s.Token)
	}
	woken := 0
	e.svc.SetRelay(func() { woken++ })
	if err := e.svc.SignOut(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SignOut(ctx, tokens[0]); err != nil { // again: nothing to end
		t.Fatal(err)
	}
	err := e.db.Tx(ctx, func(tx *store.Tx) error { return e.svc.EndSessions(ctx, tx, "stf-root") })
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if _, err := e.svc.Identify(ctx, tok); e.outcome(err) != "unauthenticated" {
			t.Fatalf("a session after EndSessions = %s, want unauthenticated", e.outcome(err))
		}
	}
	got := outboxEvents(t, e.db)
	if len(got) != 2 || woken != 1 {
		t.Fatalf("%d events written, relay woken %d times; want 2 and 1: %+v", len(got), woken, got)
	}
	for i, want := range []map[string]any{
		{"sessionHash": auth.HashToken(tokens[0]), "userId": "", "eventId": "_"},
		{"sessionHash": "", "userId": "stf-root", "eventId": "_"},
	} {
		g := got[i]
		if g.DetailType != "AuthService.SessionsEnded" || g.Source != "AuthService" || g.EventID != "_" ||
			g.Subject() != "presso._.AuthService.SessionsEnded" || fmt.Sprint(g.Detail) != fmt.Sprint(want) {
			t.Errorf("event %d = %+v, want AuthService.SessionsEnded with %v", i, g, want)
		}
	}
}

// TestOrderStartCount: at a bar in name mode one address may start at
// most limit orders with one code; a start whose transaction fails leaves
// no count; codes, addresses and bars in code mode are counted apart or
// not at all.
func TestOrderStartCount(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	demo := &presso.Bar{ID: "demo", SignInMode: "name", Limits: presso.Limits{DrinksPerCode: 10, WindowSeconds: 300}}
	conf := &presso.Bar{ID: "conf", SignInMode: "code"}
	if count := e.svc.OrderStartCount("10.0.0.1", conf, "CODE1", 5); count != nil {
		t.Fatal("OrderStartCount at a bar in code mode is not nil; want nothing counted")
	}
	if count := e.svc.OrderStartCount("10.0.0.1", demo, "CODE1", 0); count != nil {
		t.Fatal("OrderStartCount with limit 0 is not nil; want nothing counted")
	}
	// take runs one start's transaction: the count, then the rest of the
	// start, which fails when fail is set.
	take := func(ip, code string, fail bool) string {
		count := e.svc.OrderStartCount(ip, demo, code, 5)
		err := e.db.Tx(ctx, func(tx *store.Tx) error {
			if err := count(ctx, tx); err != nil {
				return err
			}
			if fail {
				return presso.E(presso.KindConflict, presso.CodeSoldOut, "sold out")
			}
			return nil
		})
		return e.outcome(err)
	}
	var got []string
	for range 6 {
		got = append(got, take("10.0.0.1", "CODE1", false))
	}
	got = append(got, take("10.0.0.2", "CODE1", false), take("10.0.0.1", "CODE2", false))
	want := "ok ok ok ok ok rate_limited ok ok"
	if strings.Join(got, " ") != want {
		t.Fatalf("starts = %v, want %s", got, want)
	}
	// Failed starts leave no count: five of them, then five that succeed.
	got = nil
	for range 5 {
		got = append(got, take("10.0.0.2", "CODE3", true))
	}
	for range 6 {
		got = append(got, take("10.0.0.2", "CODE3", false))
	}
	want = "sold_out sold_out sold_out sold_out sold_out ok ok ok ok ok rate_limited"
	if strings.Join(got, " ") != want {
		t.Fatalf("starts after failed ones = %v, want %s", got, want)
	}
}

// TestSessionCachedAtSignIn: a customer's new session is cached as it
// commits, exactly as Identify would read it from the database, so the
// calls after a sign-in read no session (here: the row is gone, and only
// the replica that signed the customer in still knows it, until the
// cache's ten seconds are up).
func TestSessionCachedAtSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	demo, err := e.db.GetBar(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	byName, err := e.svc.NameSignIn(ctx, "10.0.0.1", demo, "Ann")
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.svc.RequestCode(ctx, "10.0.0.1", "bea@example.com")
	if err != nil {
		t.Fatal(err)
	}
	byEmail, err := e.svc.CustomerSignIn(ctx, "10.0.0.1", "bea@example.com", code)
	if err != nil {
		t.Fatal(err)
	}
	other := e.service()
	var want []presso.Identity
	for _, sess := range []auth.Session{byName, byEmail} {
		id, err := other.Identify(ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.DeleteExpiredSessions(ctx, e.clock.Now().Add(365*24*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(9 * time.Second)
	for i, sess := range []auth.Session{byName, byEmail} {
		if got, err := e.svc.Identify(ctx, sess.Token); err != nil || got != want[i] {
			t.Errorf("session %d from the sign-in's cache = %+v, %v; want %+v as the database had it", i, got, err, want[i])
		}
		if _, err := e.service().Identify(ctx, sess.Token); e.outcome(err) != "unauthenticated" {
			t.Errorf("session %d on a replica that never saw it = %s, want unauthenticated (the row is gone)", i, e.outcome(err))
		}
	}
	e.clock.Advance(2 * time.Second)
	if _, err := e.svc.Identify(ctx, byName.Token); e.outcome(err) != "unauthenticated" {
		t.Errorf("past the cache's ten seconds = %s, want unauthenticated", e.outcome(err))
	}
}
