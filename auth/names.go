package auth

import (
	"context"
	"strings"

	"presso"
	"presso/store"
)

// CustomerSignInAs is CustomerSignIn for a customer who also gives the
// first name to be called out by (empty or blank: the customer keeps the
// name they have, or none). The name is checked before the code, so a
// bad name uses no attempt, and it replaces the stored one: the screens
// never show anything taken from the e-mail address.
func (s *Service) CustomerSignInAs(ctx context.Context, ip, email, code, name string) (Session, error) {
	if name = strings.TrimSpace(name); name != "" {
		var err error
		if name, err = presso.CleanName("name", name); err != nil {
			return Session{}, err
		}
	}
	sess, err := s.CustomerSignIn(ctx, ip, email, code)
	if err != nil || name == "" || name == sess.Identity.Name {
		return sess, err
	}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.SetCustomerName(ctx, sess.Identity.ID, name) }); err != nil {
		return Session{}, err
	}
	s.sessions.forget("", sess.Identity.ID) // the customer's other sessions, under the old name
	sess.Identity.Name = name
	return sess, nil
}
