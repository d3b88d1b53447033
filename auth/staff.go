package auth

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"presso"
	"presso/store"
)

// Staff management: the staff list, changes to an account (role, bar,
// disabled, a new password) with last-admin protection, a staff member's
// own password, and the offline reset.

// Password rules for every password a person chooses.
const (
	minPassword = 8
	maxPassword = 128
)

// passwordAlphabet is what generated passwords are drawn from: no 0/O,
// 1/l/I, so they can be read out and typed.
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// CheckNewPassword applies the password rules to a new password for the
// account username; field names the input in the 400.
func CheckNewPassword(username, password, field string) error {
	n := utf8.RuneCountInString(password)
	if n < minPassword || n > maxPassword {
		return presso.Invalid(field, "a password needs %d to %d characters", minPassword, maxPassword)
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		return presso.Invalid(field, "a password must not contain the account's name")
	}
	return nil
}

// ListStaff is every staff account, without hashes: admins only.
func (s *Service) ListStaff(ctx context.Context, who presso.Identity) ([]store.StaffAccount, error) {
	if who.Role != presso.RoleAdmin {
		return nil, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can list staff accounts")
	}
	return s.db.ListStaff(ctx)
}

// StaffPatch changes some of an account; nil fields stay as they are.
type StaffPatch struct {
	Role     *string `json:"role"`
	EventID  *string `json:"eventId"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

// UpdateStaff applies a patch to the account username: admins only. It
// refuses to disable or demote the last enabled admin. Disabling the
// account, a new password, or a new role or bar ends its sessions (and
// with them its open streams) in the same transaction.
func (s *Service) UpdateStaff(ctx context.Context, who presso.Identity, username string, p StaffPatch) (store.StaffAccount, error) {
	if who.Role != presso.RoleAdmin {
		return store.StaffAccount{}, presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can change staff accounts")
	}
	if p.Role == nil && p.EventID == nil && p.Disabled == nil && p.Password == nil {
		return store.StaffAccount{}, presso.Invalid("body", "send at least one of role, eventId, disabled and password")
	}
	var hash string
	if p.Password != nil {
		if err := CheckNewPassword(username, *p.Password, "password"); err != nil {
			return store.StaffAccount{}, err
		}
		hash = s.hashPassword(*p.Password) // before the transaction: it takes a while
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		st, err := tx.StaffByUsername(ctx, username)
		if err != nil {
			return err
		}
		next, err := s.patched(ctx, tx, st, p)
		if err != nil {
			return err
		}
		if err := s.keepAnAdmin(ctx, tx, st, next); err != nil {
			return err
		}
		if err := tx.UpdateStaff(ctx, next); err != nil {
			return err
		}
		if hash != "" {
			if err := tx.SetStaffPassword(ctx, username, hash); err != nil {
				return err
			}
		}
		rows := staffRows(who, s.now(), st, next, hash != "")
		for _, r := range rows {
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
		}
		if hash != "" || next.Disabled && !st.Disabled || next.Role != st.Role || next.EventID != st.EventID {
			return s.EndSessions(ctx, tx, st.ID)
		}
		return nil
	})
	if err != nil {
		return store.StaffAccount{}, err
	}
	s.Wake()
	return s.db.StaffAccountByUsername(ctx, username)
}

// patched is st with the patch applied and checked, naming the first bad
// field: a role the three known ones, an admin without a bar, a barista
// or display with an existing one.
func (s *Service) patched(ctx context.Context, tx *store.Tx, st store.Staff, p StaffPatch) (store.Staff, error) {
	next := st
	if p.Role != nil {
		switch *p.Role {
		case presso.RoleAdmin, presso.RoleBarista, presso.RoleDisplay:
			next.Role = *p.Role
		default:
			return next, presso.Invalid("role", "role must be admin, barista or display")
		}
		if next.Role == presso.RoleAdmin && p.EventID == nil {
			next.EventID = ""
		}
	}
	if p.EventID != nil {
		next.EventID = *p.EventID
	}
	if p.Disabled != nil {
		next.Disabled = *p.Disabled
	}
	if next.Role == presso.RoleAdmin {
		if next.EventID != "" {
			return next, presso.Invalid("eventId", "an admin belongs to every bar: leave eventId empty")
		}
		return next, nil
	}
	if next.EventID == "" {
		return next, presso.Invalid("eventId", "a %s belongs to one bar: give its eventId", next.Role)
	}
	if _, err := tx.GetBar(ctx, next.EventID); presso.IsKind(err, presso.KindNotFound) {
		return next, presso.Invalid("eventId", "no bar %q", next.EventID)
	} else if err != nil {
		return next, err
	}
	return next, nil
}

// keepAnAdmin refuses a change that would leave no enabled admin. The
// enabled admins are locked first, so two admins disabling each other at
// once cannot both succeed.
func (s *Service) keepAnAdmin(ctx context.Context, tx *store.Tx, st, next store.Staff) error {
	wasAdmin := st.Role == presso.RoleAdmin && !st.Disabled
	staysAdmin := next.Role == presso.RoleAdmin && !next.Disabled
	if !wasAdmin || staysAdmin {
		return nil
	}
	if err := tx.LockAdmins(ctx); err != nil {
		return err
	}
	n, err := tx.CountEnabledAdmins(ctx, st.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return presso.E(presso.KindConflict, presso.CodeLastAdmin, "%s is the last enabled admin: make another admin first", st.Username)
	}
	return nil
}

// staffRows are the audit rows of an account's change: "staff.update"
// with the fields that changed, and "staff.password" (never the password).
func staffRows(who presso.Identity, now time.Time, st, next store.Staff, password bool) []store.AuditRow {
	event := next.EventID
	if event == "" {
		event = st.EventID
	}
	if next.Role == presso.RoleAdmin {
		event = ""
	}
	b, a := map[string]any{}, map[string]any{}
	if st.Role != next.Role {
		b["role"], a["role"] = st.Role, next.Role
	}
	if st.EventID != next.EventID {
		b["eventId"], a["eventId"] = st.EventID, next.EventID
	}
	if st.Disabled != next.Disabled {
		b["disabled"], a["disabled"] = st.Disabled, next.Disabled
	}
	var rows []store.AuditRow
	if len(a) > 0 {
		rows = append(rows, store.Audit(who, now, "staff.update", event, st.Username, b, a))
	}
	if password {
		rows = append(rows, store.Audit(who, now, "staff.password", event, st.Username, nil, nil))
	}
	return rows
}

// ChangePassword sets the caller's own password, after checking the
// current one. Every session of the account ends; the caller gets a new
// one, so this browser stays signed in.
func (s *Service) ChangePassword(ctx context.Context, who presso.Identity, current, next string) (Session, error) {
	if !who.Staff() {
		return Session{}, presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff accounts have a password")
	}
	if !s.limits.Allow("password:"+who.ID, 10, time.Minute) {
		return Session{}, presso.E(presso.KindLimited, presso.CodeRateLimited, "too many password changes: wait a minute")
	}
	if err := CheckNewPassword(who.Name, next, "new"); err != nil {
		return Session{}, err
	}
	if next == current {
		return Session{}, presso.Invalid("new", "the new password is the current one")
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return Session{}, err
	}
	defer release()
	st, err := s.db.StaffByUsername(ctx, who.Name)
	if err != nil {
		return Session{}, err
	}
	if st.ID != who.ID || !s.checkPassword(current, st.PasswordHash) {
		return Session{}, presso.Invalid("current", "that is not your current password")
	}
	hash := s.hashPassword(next)
	var sess Session
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetStaffPassword(ctx, st.Username, hash); err != nil {
			return err
		}
		if err := s.EndSessions(ctx, tx, st.ID); err != nil {
			return err
		}
		now := s.now()
		if err := tx.AppendAudit(ctx, store.Audit(who, now, "staff.password", st.EventID, st.Username, nil, nil)); err != nil {
			return err
		}
		sess, err = s.newSession(ctx, tx, who, "")
		return err
	})
	if err == nil {
		s.Wake()
	}
	return sess, err
}

// hashSlot waits for one of the bounded password-hashing slots.
func (s *Service) hashSlot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-time.After(5 * time.Second):
		return nil, presso.E(presso.KindUnavailable, presso.CodeBusy, "too many password checks at once: try again")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ResetPassword gives the account username a new generated password and
// ends its sessions, for `presso reset-password` (no one is signed in to
// do it). The password is returned once and stored only as a hash.
func (s *Service) ResetPassword(ctx context.Context, username string) (string, error) {
	password := presso.RandomString(20, passwordAlphabet)
	hash := s.hashPassword(password)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		st, err := tx.StaffByUsername(ctx, username)
		if err != nil {
			return err
		}
		if err := tx.SetStaffPassword(ctx, username, hash); err != nil {
			return err
		}
		if err := s.EndSessions(ctx, tx, st.ID); err != nil {
			return err
		}
		event := st.EventID
		if st.Role == presso.RoleAdmin {
			event = ""
		}
		by := presso.Identity{Kind: "system", Name: "reset-password"}
		return tx.AppendAudit(ctx, store.Audit(by, s.now(), "staff.password", event, username, nil, nil))
	})
	if err != nil {
		return "", err
	}
	s.Wake()
	return password, nil
}

// staffSession signs st in: it records the sign-in and stores the session
// in one transaction, and only while the account is enabled and its hash
// is the one just checked, so a sign-in racing a disable or a password
// change cannot outlive it.
func (s *Service) staffSession(ctx context.Context, st store.Staff) (Session, error) {
	id := presso.Identity{ID: st.ID, Kind: "staff", Name: st.Username, Role: st.Role, EventID: st.EventID}
	var sess Session
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		ok, err := tx.RecordSignIn(ctx, st.ID, st.PasswordHash, now)
		if err != nil {
			return err
		}
		if !ok {
			return badCredentials()
		}
		sess, err = s.newSession(ctx, tx, id, "")
		return err
	})
	return sess, err
}

// disabled is the answer to a disabled account that gave the right
// password (or a pairing for a disabled display).
func disabled() error {
	return presso.E(presso.KindForbidden, presso.CodeAccountDisabled, "this account is disabled: ask an admin")
}
