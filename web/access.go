package web

import (
	"net/http"

	"presso"
)

// The adapters below turn a handler into an http.HandlerFunc and decide,
// before it runs, who may call it; routes() names one for every route, so
// the route table is the authorisation list. Each hands the handler what it
// checked. The services check again (orders, config and auth never trust
// their caller), so a handler wired with the wrong adapter cannot let
// anyone through that the service would refuse.

// handler is an HTTP handler that returns its error for writeError.
type handler func(w http.ResponseWriter, r *http.Request) error

// whoHandler is a handler that is told who is calling.
type whoHandler func(w http.ResponseWriter, r *http.Request, who presso.Identity) error

// barHandler is a handler for the staff of the bar in {event}.
type barHandler func(w http.ResponseWriter, r *http.Request, who presso.Identity, bar *presso.Bar) error

// anyone lets everyone call fn, signed in or not, without reading the
// session.
func (s *Server) anyone(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// whoever lets everyone call fn and tells it who they are: the zero
// Identity for an anonymous caller.
func (s *Server) whoever(fn whoHandler) http.HandlerFunc {
	return s.anyone(func(w http.ResponseWriter, r *http.Request) error {
		who, err := s.identity(r)
		if err != nil {
			return err
		}
		return fn(w, r, who)
	})
}

// user lets any signed-in caller, staff or customer, call fn; anonymous
// callers get a 401.
func (s *Server) user(fn whoHandler) http.HandlerFunc {
	return s.whoever(func(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
		if who.ID == "" {
			return presso.E(presso.KindUnauthenticated, presso.CodeUnauthenticated, "sign in first")
		}
		return fn(w, r, who)
	})
}

// admin lets only admins call fn; anyone else signed in gets a 403
// saying "only an admin can <action>".
func (s *Server) admin(action string, fn whoHandler) http.HandlerFunc {
	return s.user(func(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
		if who.Role != presso.RoleAdmin {
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only an admin can %s", action)
		}
		return fn(w, r, who)
	})
}

// staffAt lets the staff of the bar named by {event} (and admins) call fn,
// judged from the id alone: other callers get a 403 whether or not the bar
// exists, saying "only staff of this bar can <action>".
func (s *Server) staffAt(action string, fn whoHandler) http.HandlerFunc {
	return s.user(func(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
		if !who.StaffOf(r.PathValue("event")) {
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of this bar can %s", action)
		}
		return fn(w, r, who)
	})
}

// staffOf loads the bar in {event} and lets its staff (and admins) call fn
// with it. The bar is looked up first, so a missing one is a 404 to anyone
// signed in.
func (s *Server) staffOf(fn barHandler) http.HandlerFunc {
	return s.user(func(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
		bar, err := s.Config.Get(r.Context(), r.PathValue("event"))
		if err != nil {
			return err
		}
		if !who.StaffOf(bar.ID) {
			return presso.E(presso.KindForbidden, presso.CodeForbidden, "only staff of %s can do this", bar.Name)
		}
		return fn(w, r, who, bar)
	})
}

// identity is the caller's identity from the session cookie, or the zero
// Identity for a caller without a (live) session.
func (s *Server) identity(r *http.Request) (presso.Identity, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return presso.Identity{}, nil
	}
	id, err := s.Auth.Identify(r.Context(), c.Value)
	if presso.IsKind(err, presso.KindUnauthenticated) {
		return presso.Identity{}, nil
	}
	return id, err
}
