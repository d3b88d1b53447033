package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"presso"
	"presso/store"
)

// Screen pairing: an admin makes a one-time code and link for a bar's
// display; whoever uses it first, within PairingTTL, is signed in as that
// bar's display account, which the first pairing creates. A TV is signed
// in without anyone typing a password on a remote.

// PairingTTL is how long a pairing code or link can be used.
const PairingTTL = 5 * time.Minute

// pairingAlphabet has no 0/O or 1/I/L: the code is read off a laptop and
// typed on a remote.
const (
	pairingAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	pairingLength   = 8 // about 40 bits, against a tenth of the sign-ins per address a minute, for 5 minutes
)

// Pairing is a new pairing as the admin sees it, once: the code and the
// link's token are stored only as hashes.
type Pairing struct {
	EventID   string
	Code      string // "ABCD-EFGH"
	Token     string
	ExpiresAt time.Time
}

// DisplayUsername is the display account of a bar.
func DisplayUsername(eventID string) string { return "display-" + eventID }

// CreatePairing makes a pairing for the bar's display: admins only.
func (s *Service) CreatePairing(ctx context.Context, who presso.Identity, eventID string) (Pairing, error) {
	if who.Role != presso.RoleAdmin {
		return Pairing{}, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can pair a screen")
	}
	code := presso.RandomString(pairingLength, pairingAlphabet)
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	p := Pairing{EventID: eventID, Code: code[:4] + "-" + code[4:], Token: token, ExpiresAt: now.Add(PairingTTL)}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetBar(ctx, eventID); err != nil {
			return err
		}
		err := tx.CreatePairing(ctx, store.Pairing{CodeHash: pairingHash(code), TokenHash: HashToken(token), EventID: eventID,
			CreatedBy: who.ID, CreatedAt: now, ExpiresAt: p.ExpiresAt})
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.Audit(who, now, "screen.pair", eventID, eventID, nil,
			map[string]any{"expiresAt": p.ExpiresAt.UTC()}))
	})
	return p, err
}

// pairingHash is how a pairing code is stored; its own prefix keeps it
// apart from the token hashes.
func pairingHash(code string) string { return HashToken("pair:" + code) }

// NormalizePairingCode is the code as stored: upper case, without the
// dash or spaces people type; "" when it cannot be a pairing code.
func NormalizePairingCode(code string) string {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(code) != pairingLength || strings.Trim(code, pairingAlphabet) != "" {
		return ""
	}
	return code
}

// PairByCode signs the caller in as the display of the bar whose pairing
// code this is. It answers which bar.
func (s *Service) PairByCode(ctx context.Context, ip, code string) (Session, string, error) {
	if !s.limits.Allow("pair-ip:"+ip, s.perAddr/10, time.Minute) {
		return Session{}, "", presso.E(presso.KindLimited, presso.CodeRateLimited, "too many pairing attempts: wait a minute")
	}
	norm := NormalizePairingCode(code)
	if norm == "" {
		return Session{}, "", unknownPairing()
	}
	return s.pair(ctx, store.PairingByCode, pairingHash(norm))
}

// PairByToken is PairByCode for the pairing link's token.
func (s *Service) PairByToken(ctx context.Context, ip, token string) (Session, string, error) {
	if !s.limits.Allow("pair-ip:"+ip, s.perAddr/10, time.Minute) {
		return Session{}, "", presso.E(presso.KindLimited, presso.CodeRateLimited, "too many pairing attempts: wait a minute")
	}
	if token == "" || len(token) > 64 {
		return Session{}, "", unknownPairing()
	}
	return s.pair(ctx, store.PairingByToken, HashToken(token))
}

// pair uses the pairing and signs its display in, all in one transaction:
// a refusal (a disabled display, say) leaves the pairing unused.
func (s *Service) pair(ctx context.Context, by, hash string) (Session, string, error) {
	var sess Session
	var event string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		p, ok, err := tx.UsePairing(ctx, by, hash, now)
		switch {
		case presso.IsKind(err, presso.KindNotFound):
			return unknownPairing()
		case err != nil:
			return err
		case !ok && p.UsedAt != nil:
			return presso.E(presso.KindConflict, presso.CodePairingUsed, "this pairing was used already: make a new one in the console")
		case !ok:
			return presso.E(presso.KindExpired, presso.CodePairingExpired, "this pairing has expired: make a new one in the console")
		}
		st, err := s.displayAccount(ctx, tx, p.EventID, now)
		if err != nil {
			return err
		}
		if _, err := tx.RecordSignIn(ctx, st.ID, st.PasswordHash, now); err != nil {
			return err
		}
		id := presso.Identity{ID: st.ID, Kind: "staff", Name: st.Username, Role: st.Role, EventID: st.EventID}
		err = tx.AppendAudit(ctx, store.Audit(id, now, "screen.paired", p.EventID, p.EventID, nil,
			map[string]any{"username": st.Username}))
		if err != nil {
			return err
		}
		event = p.EventID
		sess, err = s.newSession(ctx, tx, id, "")
		return err
	})
	return sess, event, err
}

// displayAccount is the bar's display account, created on first use. It
// has no usable password (the stored hash is not one CheckPassword
// accepts) until an admin gives it one.
func (s *Service) displayAccount(ctx context.Context, tx *store.Tx, eventID string, now time.Time) (store.Staff, error) {
	name := DisplayUsername(eventID)
	st, err := tx.StaffByUsername(ctx, name)
	if presso.IsKind(err, presso.KindNotFound) {
		st = store.Staff{ID: presso.NewID("stf"), Username: name, PasswordHash: "!pairing-only:" + presso.RandomString(22, passwordAlphabet),
			Role: presso.RoleDisplay, EventID: eventID}
		if err := tx.CreateStaff(ctx, st, now); err != nil {
			return st, err
		}
		by := presso.Identity{Kind: "system", Name: "pairing"}
		return st, tx.AppendAudit(ctx, store.Audit(by, now, "staff.create", eventID, name, nil,
			map[string]any{"role": presso.RoleDisplay, "eventId": eventID}))
	}
	if err != nil {
		return st, err
	}
	if st.Role != presso.RoleDisplay || st.EventID != eventID {
		return st, presso.E(presso.KindConflict, presso.CodeExists, "the account %s is not this bar's display: rename it to pair screens", name)
	}
	if st.Disabled {
		return st, disabled()
	}
	return st, nil
}

func unknownPairing() error {
	return &presso.Error{Kind: presso.KindInvalid, Code: presso.CodeInvalidCode, Field: "code",
		Message: "this is not a pairing code: check it, or make a new one in the console"}
}
