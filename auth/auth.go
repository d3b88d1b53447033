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
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"presso"
	"presso/store"
)

// Session lifetimes. A customer's session lasts SessionTTL. A staff
// session, which can see customers' names and work the orders, ends after
// StaffSessionIdle without use; each use moves that on (written at most
// once per staffSlide), and no staff session lasts longer than SessionTTL.
const (
	SessionTTL       = 7 * 24 * time.Hour
	StaffSessionIdle = 12 * time.Hour
	staffSlide       = StaffSessionIdle / 4
)

// E-mail codes: a code lives codeTTL and takes codeMaxAttempts guesses;
// one address is mailed at most mailsPerHour codes an hour and
// mailsPerDay a day (counted in the database, so every replica shares
// the count).
const (
	codeTTL         = 10 * time.Minute
	codeMaxAttempts = 5
	mailsPerHour    = 3
	mailsPerDay     = 10
)

// SessionsEnded is the detail type of the event a sign-out writes: the
// publisher ends the streams of the sessions it names and never shows it
// to a client.
const SessionsEnded = presso.AuthServiceSessionsEnded

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
	wake    func()        // tells the relay an event is waiting; nil to let it poll
	// sessions caches Identify's lookups (cache.go).
	sessions *sessionCache
	hashes   atomic.Int32 // password hashes running (memory.go)
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
		hashing: make(chan struct{}, 2*runtime.GOMAXPROCS(0)), sessions: newSessionCache(sessionCacheTTL, sessionCacheSize)}
}

// SetRelay makes the service wake the relay (bus.Relay.Notify) when it has
// written an event, so a sign-out ends its streams at once rather than at
// the relay's next poll.
func (s *Service) SetRelay(notify func()) { s.wake = notify }

// Wake tells the relay an event is waiting, after a transaction that
// called EndSessions has committed, and forgets the sessions it ended.
func (s *Service) Wake() {
	s.sessions.committed()
	if s.wake != nil {
		s.wake()
	}
}

// RunCleanup deletes expired sessions, sign-in codes and unreachable
// name-only customers every interval until ctx ends, so sign-ins cannot
// grow the database without bound. A read first says whether there is
// anything to delete, so a quiet interval takes no write transaction.
func (s *Service) RunCleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := s.now()
		found, err := s.db.AnyExpired(ctx, now)
		if err == nil && found {
			err = s.db.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteExpiredSessions(ctx, now) })
		}
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
// Expires is the latest it can last, for the cookie: a staff session
// unused for StaffSessionIdle ends before it.
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

// newSession starts a session for id; eventID binds a name sign-in to its
// bar. It runs in tx when one is given, else in a transaction of its own.
func (s *Service) newSession(ctx context.Context, tx *store.Tx, id presso.Identity, eventID string) (Session, error) {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	sess := Session{Token: token, Identity: id, Expires: now.Add(SessionTTL)}
	stored := store.Session{TokenHash: HashToken(token), UserID: id.ID, Kind: id.Kind, EventID: eventID, CreatedAt: now, ExpiresAt: sess.Expires}
	if id.Staff() {
		stored.ExpiresAt = now.Add(StaffSessionIdle)
	}
	if tx != nil {
		return sess, tx.PutSession(ctx, stored)
	}
	return sess, s.db.Tx(ctx, func(tx *store.Tx) error { return tx.PutSession(ctx, stored) })
}

// Identify resolves a session token. A staff session in use is moved on
// to StaffSessionIdle from now, at most once per staffSlide. What it finds
// is cached for a few seconds (cache.go); a session due to be moved on is
// always read again.
func (s *Service) Identify(ctx context.Context, token string) (presso.Identity, error) {
	if token == "" {
		return presso.Identity{}, presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
	}
	now := s.now()
	hash := HashToken(token)
	if e, ok := s.sessions.get(hash, now); ok && !slides(e.id, e.expires, now) {
		return e.id, nil
	}
	gen := s.sessions.begin()
	id, sess, err := s.db.SessionByToken(ctx, hash, now)
	if err != nil {
		return id, err
	}
	if slides(id, sess.ExpiresAt, now) {
		until := now.Add(StaffSessionIdle)
		if end := sess.CreatedAt.Add(SessionTTL); end.Before(until) {
			until = end
		}
		if until.After(sess.ExpiresAt) {
			if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.ExtendSession(ctx, sess.TokenHash, until) }); err != nil {
				s.log.Warn("extend a staff session", "err", err) // it still holds until its old expiry
				return id, nil
			}
			sess.ExpiresAt = until
		}
	}
	s.sessions.put(hash, cachedSession{id: id, expires: sess.ExpiresAt}, gen, now)
	return id, nil
}

// slides reports whether a session of id expiring at expires is due to be
// moved on now: a staff session used within staffSlide of its last move.
func slides(id presso.Identity, expires, now time.Time) bool {
	return id.Staff() && expires.Sub(now) <= StaffSessionIdle-staffSlide
}

// SignOut ends a session and, in the same transaction, writes the event
// that ends the streams it opened.
func (s *Service) SignOut(ctx context.Context, token string) error {
	hash := HashToken(token)
	ended := false
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		found, err := tx.DeleteSession(ctx, hash)
		if err != nil || !found {
			return err
		}
		ended = true
		return s.sessionsEnded(ctx, tx, hash, "")
	})
	s.sessions.forget(hash, "")
	if err == nil && ended {
		s.Wake()
	}
	return err
}

// EndSessions ends every session of a user in the caller's transaction
// (an admin disabling an account or setting its password, a staff member
// signing out everywhere) and writes the event that ends their streams.
// Call Wake once tx has committed.
func (s *Service) EndSessions(ctx context.Context, tx *store.Tx, userID string) error {
	if userID == "" {
		return presso.Invalid("userId", "no user to sign out")
	}
	if _, err := tx.DeleteUserSessions(ctx, userID); err != nil {
		return err
	}
	s.sessions.forgetLater(userID)
	return s.sessionsEnded(ctx, tx, "", userID)
}

// SignOutEverywhere ends every session of the caller's staff account, on
// every device, with their streams.
func (s *Service) SignOutEverywhere(ctx context.Context, who presso.Identity) error {
	if !who.Staff() {
		return presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff accounts can sign out everywhere: sign out instead")
	}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return s.EndSessions(ctx, tx, who.ID) }); err != nil {
		return err
	}
	s.Wake()
	return nil
}

// sessionsEnded writes the AuthService.SessionsEnded event for one session
// (by its token hash) or every session of a user. It belongs to no bar:
// its subject is presso._.AuthService.SessionsEnded.
func (s *Service) sessionsEnded(ctx context.Context, tx *store.Tx, sessionHash, userID string) error {
	env := presso.NewEnvelope(SessionsEnded, "_", s.now(), map[string]any{"sessionHash": sessionHash, "userId": userID})
	return tx.AppendOutbox(ctx, env, "")
}

// StaffSignIn checks a username and password. Failures are counted per
// account in the database, whatever address they come from (see
// staffWait): after a few, each attempt waits for the one before, so
// guessing is slow everywhere and the real owner, with the right password,
// gets in once the wait is over.
func (s *Service) StaffSignIn(ctx context.Context, ip, username, password string) (Session, error) {
	if !s.limits.Allow("staff-ip:"+ip, s.perAddr/5, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many sign-in attempts: wait a minute")
	}
	if !validUsername(username) {
		return Session{}, badCredentials() // no such account can exist: nothing to count or keep
	}
	key := "staff:" + username
	if err := s.takeTurn(ctx, key, staffWait, "too many failed sign-ins for this account"); err != nil {
		return Session{}, err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return Session{}, err
	}
	defer release()
	st, err := s.db.StaffByUsername(ctx, username)
	if presso.IsKind(err, presso.KindNotFound) {
		s.checkPassword(password, dummyHash) // spend the same time as a real check
		return Session{}, badCredentials()
	}
	if err != nil {
		return Session{}, err
	}
	if !s.checkPassword(password, st.PasswordHash) {
		return Session{}, badCredentials()
	}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.ClearBackoff(ctx, key) }); err != nil {
		return Session{}, err
	}
	if st.Disabled {
		return Session{}, disabled()
	}
	return s.staffSession(ctx, st)
}

func badCredentials() error {
	return presso.E(presso.KindUnauthenticated, presso.CodeBadCredentials, "wrong username or password")
}

// Back-off policies: the wait the n-th failure in a row imposes on the
// next attempt. Five attempts are judged at once; then the wait doubles
// from 1 s (staff) or 30 s (an e-mail's codes) up to a cap, never a lock.
func staffWait(n int) time.Duration { return backoff(n, 5, time.Second, 15*time.Minute) }
func emailWait(n int) time.Duration { return backoff(n, 5, 30*time.Second, time.Hour) }

func backoff(n, free int, base, limit time.Duration) time.Duration {
	if n < free {
		return 0
	}
	if n-free >= 30 {
		return limit
	}
	return min(base<<(n-free), limit)
}

// takeTurn counts an attempt for key before it is judged, or refuses it
// with when to try again while key must wait.
func (s *Service) takeTurn(ctx context.Context, key string, wait func(int) time.Duration, why string) error {
	var retry time.Time
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		retry, err = tx.TakeSigninTurn(ctx, key, s.now(), wait)
		return err
	})
	if err != nil || retry.IsZero() {
		return err
	}
	return turnRefused(s.now(), retry, why)
}

func turnRefused(now, retry time.Time, why string) error {
	secs := int(retry.Sub(now).Seconds() + 0.999)
	return &presso.Error{Kind: presso.KindLimited, Code: presso.CodeRateLimited, RetryAt: retry,
		Message: fmt.Sprintf("%s: try again in %d s", why, secs)}
}

// NormalizeEmail checks and canonicalises an email address.
func NormalizeEmail(email string) (string, error) {
	if len(email) > 320 {
		return "", presso.Invalid("email", "that is not an email address")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", presso.Invalid("email", "%q is not an email address", email)
	}
	return email, nil
}

// RequestCode creates a sign-in code for an email and sends it. Codes
// mailed before stay valid, so whoever asks for one cannot void someone
// else's; an address is mailed at most mailsPerHour codes an hour and
// mailsPerDay a day. Under dev the code is returned too.
func (s *Service) RequestCode(ctx context.Context, ip, email string) (string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if !s.limits.Allow("code-ip:"+ip, s.perAddr/2, time.Minute) {
		return "", presso.E(presso.KindLimited, presso.CodeRateLimited, "too many codes asked for: wait a minute")
	}
	code := presso.RandomString(6, "0123456789")
	now := s.now()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, w := range []struct {
			key   string
			every time.Duration
			max   int
		}{{"mail-h:" + email, time.Hour, mailsPerHour}, {"mail-d:" + email, 24 * time.Hour, mailsPerDay}} {
			start := now.Truncate(w.every)
			ok, err := tx.CountRate(ctx, w.key, start, start.Add(w.every), w.max)
			if err != nil {
				return err
			}
			if !ok {
				return &presso.Error{Kind: presso.KindLimited, Code: presso.CodeRateLimited, RetryAt: start.Add(w.every),
					Message: fmt.Sprintf("this address was sent %d codes in the last %s already: use one of them, or wait", w.max, every(w.every))}
			}
		}
		return tx.AddSigninCode(ctx, email, HashToken(email+":"+code), now, now.Add(codeTTL))
	})
	if err != nil {
		return "", err
	}
	if s.mail != nil {
		if err := s.mail(ctx, email, code); err != nil {
			return "", &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeMailFailed, Message: "the sign-in code could not be sent: try again", Err: err}
		}
	} else {
		// With no mail server configured the operator relays the code by
		// hand. It is a warning, so no customer's e-mail is at info.
		s.log.Warn("sign-in code (no SMTP configured)", "email", email, "code", code)
	}
	if s.dev {
		return code, nil
	}
	return "", nil
}

func every(d time.Duration) string {
	if d == time.Hour {
		return "hour"
	}
	return "day"
}

// CustomerSignIn checks an emailed code and signs the customer in,
// creating the customer on first sign-in. A guess is judged against every
// live code of the address; guesses are counted per address across codes,
// with a back-off (emailWait), in the database.
func (s *Service) CustomerSignIn(ctx context.Context, ip, email, code string) (Session, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Session{}, err
	}
	if !s.limits.Allow("verify-ip:"+ip, s.perAddr, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many attempts: wait a minute")
	}
	key := "email:" + email
	want := []byte(HashToken(email + ":" + strings.TrimSpace(code)))
	var sess Session
	gen := s.sessions.begin()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		sess = Session{} // the transaction may run again
		now := s.now()
		// No live code: nothing to judge, so nothing is counted.
		if n, err := tx.LiveSigninCodes(ctx, email, now, codeMaxAttempts); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return presso.E(presso.KindInvalid, presso.CodeInvalidCode, "no valid sign-in code for this email: ask for a new one")
		}
		retry, err := tx.TakeSigninTurn(ctx, key, now, emailWait)
		if err != nil {
			return err
		}
		if !retry.IsZero() {
			return turnRefused(now, retry, "too many wrong codes for this address")
		}
		hashes, err := tx.TakeSigninAttempt(ctx, email, now, codeMaxAttempts)
		if err != nil {
			return err
		}
		match := 0
		for _, h := range hashes {
			match |= subtle.ConstantTimeCompare([]byte(h), want)
		}
		if match != 1 {
			return nil // the attempt must stay counted, so commit and fail below
		}
		if err := tx.DeleteSigninCode(ctx, email); err != nil {
			return err
		}
		if err := tx.ClearBackoff(ctx, key); err != nil {
			return err
		}
		cu, err := tx.CustomerByEmail(ctx, email)
		if presso.IsKind(err, presso.KindNotFound) {
			// No name until they give one (CustomerSignInAs): the screens
			// never show anything taken from the address.
			cu = store.Customer{ID: presso.NewID("cus"), Email: email}
			err = tx.CreateCustomer(ctx, cu, now)
		}
		if err != nil {
			return err
		}
		sess, err = s.newSession(ctx, tx, presso.Identity{ID: cu.ID, Kind: "customer", Name: cu.Name, Role: presso.RoleCustomer}, "")
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if sess.Token == "" {
		return Session{}, presso.Invalid("code", "that code is not right: check it, or ask for a new one")
	}
	s.remember(sess, gen)
	return sess, nil
}

// NameSignIn signs a customer in by name alone, for bars in name mode. Each
// sign-in is a new customer (a name proves nothing), and its session is
// bound to the bar: it cannot order anywhere else.
func (s *Service) NameSignIn(ctx context.Context, ip string, bar *presso.Bar, name string) (Session, error) {
	if bar.SignInMode != "name" {
		return Session{}, presso.Invalid("name", "%s signs customers in by email code", bar.Name)
	}
	name, err := presso.CleanName("name", name)
	if err != nil {
		return Session{}, err
	}
	if !s.limits.Allow("name-ip:"+ip, s.perAddr, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many sign-ins: wait a minute")
	}
	cu := store.Customer{ID: presso.NewID("cus"), Name: name}
	var sess Session
	gen := s.sessions.begin()
	// A customer signing in is new work, like the scan that follows: under
	// overload it is turned away at once rather than let in to be refused
	// at the scan, after a write that only made the writer later still for
	// the orders already under way.
	err = s.db.Tx(store.WithPriority(ctx, store.PriorityNew), func(tx *store.Tx) error {
		if err := tx.CreateCustomer(ctx, cu, s.now()); err != nil {
			return err
		}
		var err error
		sess, err = s.newSession(ctx, tx, presso.Identity{ID: cu.ID, Kind: "customer", Name: cu.Name, Role: presso.RoleCustomer, EventID: bar.ID}, bar.ID)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	s.remember(sess, gen)
	return sess, nil
}

// remember caches a customer's new session once it has committed, as
// Identify would find it: the scan that follows a sign-in (and every call
// after it) then reads no session from the database, one read an order.
// Staff sessions are left to Identify, which moves them on as they are
// used.
func (s *Service) remember(sess Session, gen uint64) {
	s.sessions.put(HashToken(sess.Token), cachedSession{id: sess.Identity, expires: sess.Expires}, gen, s.now())
}

// OrderStartCount is how, at a bar in name mode, one order start from
// the client address ip with code is counted against limit per code:
// fresh name sign-ins cost nothing, so without it one photographed QR
// code lets one machine take every use of a window. The count is in the
// database (replicas share it) and is made by the returned func inside
// the start's own transaction, so a start refused for another reason
// leaves no count. Other bars, and limit below 1, count nothing (nil).
func (s *Service) OrderStartCount(ip string, bar *presso.Bar, code string, limit int) func(context.Context, *store.Tx) error {
	if bar.SignInMode != "name" || limit < 1 {
		return nil
	}
	key := "order-ip:" + bar.ID + ":" + HashToken(code)[:16] + ":" + ip
	window := time.Duration(max(bar.Limits.WindowSeconds, 60)) * time.Second
	return func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.CountRate(ctx, key, time.UnixMilli(0), s.now().Add(2*window), limit)
		if err != nil {
			return err
		}
		if !ok {
			return presso.E(presso.KindLimited, presso.CodeRateLimited,
				"%d orders from this network with this code already: the next code is on the display soon", limit)
		}
		return nil
	}
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
	if !s.dev { // the demo accounts' passwords are their names
		if err := CheckNewPassword(username, password, "password"); err != nil {
			return presso.Identity{}, err
		}
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
	hash := s.hashPassword(password)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		if err := tx.CreateStaff(ctx, store.Staff{ID: id.ID, Username: username, PasswordHash: hash, Role: role, EventID: eventID}, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.Audit(who, now, "staff.create", eventID, username, nil, map[string]any{"role": role, "eventId": eventID}))
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
				err = s.db.Tx(ctx, func(tx *store.Tx) error { return tx.SetStaffPassword(ctx, a[0], s.hashPassword(a[0])) })
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
