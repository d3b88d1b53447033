package storetest

import (
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"presso"
	"presso/store"
)

// Screen pairings (store/pairing.go).

// newPairing is a pairing of e1 made at created, live for five minutes.
func newPairing(name string, created time.Time) store.Pairing {
	return store.Pairing{CodeHash: "code-" + name, TokenHash: "token-" + name, EventID: "e1", CreatedBy: "st-root",
		CreatedAt: created, ExpiresAt: created.Add(5 * time.Minute)}
}

func createPairing(t *testing.T, db *store.DB, p store.Pairing) {
	t.Helper()
	tx(t, db, func(tx *store.Tx) error { return tx.CreatePairing(t.Context(), p) })
}

func usePairing(t *testing.T, db *store.DB, by, hash string, now time.Time) (p store.Pairing, ok bool, err error) {
	t.Helper()
	err = db.Tx(t.Context(), func(tx *store.Tx) (err error) {
		p, ok, err = tx.UsePairing(t.Context(), by, hash, now)
		return err
	})
	return p, ok, err
}

func wantPairing(t *testing.T, what string, got store.Pairing, gotOK bool, err error, want store.Pairing, wantOK bool) {
	t.Helper()
	if err != nil || gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %+v (used at %s), %v, %v; want %+v (used at %s), %v, nil", what, got, fmtTime(got.UsedAt), gotOK, err,
			want, fmtTime(want.UsedAt), wantOK)
	}
}

func testPairingUseOnce(t *testing.T, db *store.DB) {
	p := newPairing("a", t0)
	createPairing(t, db, p)
	createPairing(t, db, newPairing("b", t0))
	used := p
	used.UsedAt = ptr(at(time.Minute))
	got, ok, err := usePairing(t, db, store.PairingByCode, "code-a", at(time.Minute+truncated))
	wantPairing(t, "UsePairing(by code)", got, ok, err, used, true)
	got, ok, err = usePairing(t, db, store.PairingByCode, "code-a", at(2*time.Minute))
	wantPairing(t, "UsePairing(by code) again", got, ok, err, used, false)
	// The link of a pairing whose code was used is used too.
	got, ok, err = usePairing(t, db, store.PairingByToken, "token-a", at(2*time.Minute))
	wantPairing(t, "UsePairing(by token) after the code", got, ok, err, used, false)
	// The other pairing is untouched, and its link works.
	b := newPairing("b", t0)
	b.UsedAt = ptr(at(3 * time.Minute))
	got, ok, err = usePairing(t, db, store.PairingByToken, "token-b", at(3*time.Minute))
	wantPairing(t, "UsePairing(b by token)", got, ok, err, b, true)
}

func testPairingExpired(t *testing.T, db *store.DB) {
	p := newPairing("a", t0)
	createPairing(t, db, p)
	got, ok, err := usePairing(t, db, store.PairingByCode, "code-a", at(5*time.Minute))
	wantPairing(t, "UsePairing() at its expiry", got, ok, err, p, false)
	// Still unused: a live pairing is used one millisecond earlier.
	q := newPairing("q", t0)
	createPairing(t, db, q)
	q.UsedAt = ptr(at(5*time.Minute - time.Millisecond))
	got, ok, err = usePairing(t, db, store.PairingByToken, "token-q", at(5*time.Minute-time.Millisecond))
	wantPairing(t, "UsePairing() a millisecond before its expiry", got, ok, err, q, true)
}

func testPairingUnknown(t *testing.T, db *store.DB) {
	createPairing(t, db, newPairing("a", t0))
	for _, c := range []struct{ by, hash string }{
		{store.PairingByCode, "code-nope"},
		{store.PairingByToken, "token-nope"},
		{store.PairingByCode, "token-a"}, // a token is not a code
		{store.PairingByToken, "code-a"},
	} {
		_, _, err := usePairing(t, db, c.by, c.hash, at(time.Minute))
		wantKind(t, "UsePairing("+c.by+", "+c.hash+")", err, presso.KindNotFound)
	}
}

func testPairingConcurrent(t *testing.T, db *store.DB) {
	createPairing(t, db, newPairing("a", t0))
	var won, lost atomic.Int32
	concurrently(8, func(i int) {
		by, hash := store.PairingByCode, "code-a"
		if i%2 == 1 {
			by, hash = store.PairingByToken, "token-a"
		}
		_, ok, err := usePairing(t, db, by, hash, at(time.Minute))
		switch {
		case err != nil:
			t.Errorf("UsePairing() = %v", err)
		case ok:
			won.Add(1)
		default:
			lost.Add(1)
		}
	})
	if won.Load() != 1 || lost.Load() != 7 {
		t.Fatalf("8 concurrent uses: %d won, %d lost; want 1 and 7", won.Load(), lost.Load())
	}
}

// testPairingForget: a new pairing forgets those expired over a day ago,
// and keeps the rest to answer "used" or "expired".
func testPairingForget(t *testing.T, db *store.DB) {
	old := newPairing("old", t0)
	recent := newPairing("recent", at(time.Hour))
	createPairing(t, db, old)
	createPairing(t, db, recent)
	createPairing(t, db, newPairing("new", old.ExpiresAt.Add(24*time.Hour)))
	_, _, err := usePairing(t, db, store.PairingByCode, "code-old", at(48*time.Hour))
	wantKind(t, "UsePairing() of a pairing expired over a day ago", err, presso.KindNotFound)
	got, ok, err := usePairing(t, db, store.PairingByCode, "code-recent", at(48*time.Hour))
	wantPairing(t, "UsePairing() of a pairing expired under a day ago", got, ok, err, recent, false)
}
