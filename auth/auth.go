// Package auth plays the part of Cognito: staff accounts with roles and
// hashed passwords, customer sign-in by one-time code sent by email (or by
// name alone, for bars that choose it), and server-side sessions. An
// identity only ever comes from a session, never from a request body.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"presso"
	"presso/store"
)

// SessionTTL is how long a session lasts.
const SessionTTL = 7 * 24 * time.Hour

const (
	codeTTL         = 10 * time.Minute
	codeMaxAttempts = 5
)

// Mailer sends a sign-in code. Nil means "no mail server": the code is
// logged for the operator instead.
type Mailer func(ctx context.Context, to, code string) error

// Service signs people in and out.
type Service struct {
	db      *store.DB
	now     func() time.Time
	dev     bool
	mail    Mailer
	log     *slog.Logger
	limits  *Limiter
	perAddr int           // sign-ins per client address per minute
	hashing chan struct{} // bounds concurrent password checks: each takes 19 MiB
}

// DefaultAddressLimit is how many sign-ins one client address may make a
// minute: generous, because a venue's phones often share one address.
const DefaultAddressLimit = 600

// New returns the auth service. Under dev, sign-in codes are also returned
// to the caller so a demo needs no mail server. perAddress bounds sign-ins
// per client address per minute (0: DefaultAddressLimit).
func New(db *store.DB, now func() time.Time, dev bool, mail Mailer, log *slog.Logger, perAddress int) *Service {
	if perAddress <= 0 {
		perAddress = DefaultAddressLimit
	}
	return &Service{db: db, now: now, dev: dev, mail: mail, log: log, limits: NewLimiter(now), perAddr: perAddress,
		hashing: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}

// RunCleanup deletes expired sessions, sign-in codes and unreachable
// name-only customers every interval until ctx ends, so sign-ins cannot
// grow the database without bound.
func (s *Service) RunCleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteExpiredSessions(ctx, s.now()) })
		if err != nil && ctx.Err() == nil {
			s.log.Warn("clean up expired sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Session is a signed-in session: the cookie token and who it is.
type Session struct {
	Token    string
	Identity presso.Identity
	Expires  time.Time
}

// HashToken is how session tokens are stored: a stolen database holds no
// usable session.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (s *Service) newSession(ctx context.Context, id presso.Identity) (Session, error) {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	sess := Session{Token: token, Identity: id, Expires: now.Add(SessionTTL)}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateSession(ctx, HashToken(token), id.ID, id.Kind, now, sess.Expires)
	})
	return sess, err
}

// Identify resolves a session token.
func (s *Service) Identify(ctx context.Context, token string) (presso.Identity, error) {
	if token == "" {
		return presso.Identity{}, presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
	}
	return s.db.SessionIdentity(ctx, HashToken(token), s.now())
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, HashToken(token)) })
}

// StaffSignIn checks a username and password.
func (s *Service) StaffSignIn(ctx context.Context, ip, username, password string) (Session, error) {
	// The per-name limit is per address too, so guessing at "admin" from
	// one place cannot lock the real admin out from another.
	if !s.limits.Allow("staff-ip:"+ip, s.perAddr/5, time.Minute) || !s.limits.Allow("staff-user:"+username+"@"+ip, 10, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many sign-in attempts: wait a minute")
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-time.After(5 * time.Second):
		return Session{}, presso.E(presso.KindUnavailable, presso.CodeBusy, "too many sign-ins at once: try again")
	case <-ctx.Done():
		return Session{}, ctx.Err()
	}
	st, err := s.db.StaffByUsername(ctx, username)
	if presso.IsKind(err, presso.KindNotFound) {
		CheckPassword(password, dummyHash) // spend the same time as a real check
		return Session{}, badCredentials()
	}
	if err != nil {
		return Session{}, err
	}
	if !CheckPassword(password, st.PasswordHash) {
		return Session{}, badCredentials()
	}
	return s.newSession(ctx, presso.Identity{ID: st.ID, Kind: "staff", Name: st.Username, Role: st.Role, EventID: st.EventID})
}

func badCredentials() error {
	return presso.E(presso.KindUnauthenticated, presso.CodeBadCredentials, "wrong username or password")
}

// NormalizeEmail checks and canonicalises an email address.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", presso.Invalid("email", "%q is not an email address", email)
	}
	return email, nil
}

// RequestCode creates a sign-in code for an email and sends it. Under dev
// the code is returned too.
func (s *Service) RequestCode(ctx context.Context, ip, email string) (string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if !s.limits.Allow("code-ip:"+ip, s.perAddr/2, time.Minute) || !s.limits.Allow("code-email:"+email, 3, time.Minute) {
		return "", presso.E(presso.KindLimited, presso.CodeRateLimited, "too many codes asked for: wait a minute")
	}
	code := presso.RandomString(6, "0123456789")
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.PutSigninCode(ctx, email, HashToken(email+":"+code), s.now().Add(codeTTL))
	})
	if err != nil {
		return "", err
	}
	if s.mail != nil {
		if err := s.mail(ctx, email, code); err != nil {
			return "", &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeMailFailed, Message: "the sign-in code could not be sent: try again", Err: err}
		}
	} else {
		// With no mail server configured the operator relays the code by hand.
		s.log.Info("sign-in code (no SMTP configured)", "email", email, "code", code)
	}
	if s.dev {
		return code, nil
	}
	return "", nil
}

// CustomerSignIn checks an emailed code and signs the customer in,
// creating the customer on first sign-in.
func (s *Service) CustomerSignIn(ctx context.Context, ip, email, code string) (Session, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Session{}, err
	}
	if !s.limits.Allow("verify-ip:"+ip, s.perAddr, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many attempts: wait a minute")
	}
	var cu store.Customer
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cu = store.Customer{} // the transaction may run again
		hash, err := tx.TakeSigninAttempt(ctx, email, s.now(), codeMaxAttempts)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(hash), []byte(HashToken(email+":"+strings.TrimSpace(code)))) != 1 {
			return nil // the attempt must stay counted, so commit and fail below
		}
		if err := tx.DeleteSigninCode(ctx, email); err != nil {
			return err
		}
		cu, err = tx.CustomerByEmail(ctx, email)
		if presso.IsKind(err, presso.KindNotFound) {
			name, _, _ := strings.Cut(email, "@")
			cu = store.Customer{ID: presso.NewID("cus"), Email: email, Name: name}
			err = tx.CreateCustomer(ctx, cu, s.now())
		}
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if cu.ID == "" {
		return Session{}, presso.Invalid("code", "that code is not right: check it, or ask for a new one")
	}
	return s.newSession(ctx, presso.Identity{ID: cu.ID, Kind: "customer", Name: cu.Name, Role: presso.RoleCustomer})
}

// NameSignIn signs a customer in by name alone, for bars in name mode. Each
// sign-in is a new customer: a name proves nothing.
func (s *Service) NameSignIn(ctx context.Context, ip string, bar *presso.Bar, name string) (Session, error) {
	if bar.SignInMode != "name" {
		return Session{}, presso.Invalid("name", "%s signs customers in by email code", bar.Name)
	}
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 40 {
		return Session{}, presso.Invalid("name", "a name of 1-40 characters is needed")
	}
	if !s.limits.Allow("name-ip:"+ip, s.perAddr, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many sign-ins: wait a minute")
	}
	cu := store.Customer{ID: presso.NewID("cus"), Name: name}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.CreateCustomer(ctx, cu, s.now()) }); err != nil {
		return Session{}, err
	}
	return s.newSession(ctx, presso.Identity{ID: cu.ID, Kind: "customer", Name: cu.Name, Role: presso.RoleCustomer})
}

// CreateStaff adds a staff account. Only admins may; baristas and displays
// belong to one bar.
func (s *Service) CreateStaff(ctx context.Context, who presso.Identity, username, password, role, eventID string) (presso.Identity, error) {
	if who.Role != presso.RoleAdmin {
		return presso.Identity{}, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can create staff accounts")
	}
	if !validUsername(username) {
		return presso.Identity{}, presso.Invalid("username", "a username is 1-32 letters, digits, '.', '-' or '_'")
	}
	if len(password) < 8 && !s.dev {
		return presso.Identity{}, presso.Invalid("password", "a password needs at least 8 characters")
	}
	switch role {
	case presso.RoleAdmin:
		eventID = ""
	case presso.RoleBarista, presso.RoleDisplay:
		if eventID == "" {
			return presso.Identity{}, presso.Invalid("eventId", "a %s belongs to one bar: give its eventId", role)
		}
		if _, err := s.db.GetBar(ctx, eventID); err != nil {
			return presso.Identity{}, presso.Invalid("eventId", "no bar %q", eventID)
		}
	default:
		return presso.Identity{}, presso.Invalid("role", "role must be admin, barista or display")
	}
	id := presso.Identity{ID: presso.NewID("stf"), Kind: "staff", Name: username, Role: role, EventID: eventID}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.CreateStaff(ctx, store.Staff{ID: id.ID, Username: username, PasswordHash: HashPassword(password), Role: role, EventID: eventID}, s.now())
	})
	return id, err
}

func validUsername(u string) bool {
	if u == "" || len(u) > 32 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// EnsureAccounts creates the first admin on an empty database and returns
// its generated password ("" if there were accounts already). Under dev it
// instead makes sure the fixed demo accounts exist with their known
// passwords.
func (s *Service) EnsureAccounts(ctx context.Context, demoBar string) (string, error) {
	n, err := s.db.CountStaff(ctx)
	if err != nil {
		return "", err
	}
	admin := presso.Identity{Kind: "staff", Role: presso.RoleAdmin}
	if s.dev {
		for _, a := range [][2]string{{"admin", presso.RoleAdmin}, {"barista", presso.RoleBarista}, {"display", presso.RoleDisplay}} {
			_, err := s.CreateStaff(ctx, admin, a[0], a[0], a[1], demoBar)
			if presso.IsKind(err, presso.KindConflict) {
				err = s.db.Tx(ctx, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, a[0], HashPassword(a[0])) })
			}
			if err != nil {
				return "", fmt.Errorf("demo account %s: %w", a[0], err)
			}
		}
		return "", nil
	}
	if n > 0 {
		return "", nil
	}
	password := presso.RandomString(20, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
	if _, err := s.CreateStaff(ctx, admin, "admin", password, presso.RoleAdmin, ""); err != nil {
		if presso.IsKind(err, presso.KindConflict) {
			return "", nil // another replica made it first
		}
		return "", err
	}
	return password, nil
}

// Password hashing: argon2id at OWASP's minimum settings (19 MiB, 2 passes),
// stored in the PHC string format.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// dummyHash lets an unknown username cost as much as a wrong password.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$8Yhh6m2yl9bGBb6VvbrCxHvBY+bXG2r/0y8ZZNyqL0c"

// HashPassword hashes a password with a fresh salt.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches a HashPassword hash.
func CheckPassword(password, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
