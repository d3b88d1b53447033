package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"presso"
	"presso/auth"
	"presso/config"
	"presso/orders"
	"presso/validator"
)

const sessionCookie = "presso_session"

// routes lists every API route in one place.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /readyz", s.h(s.ready))

	mux.HandleFunc("POST /api/staff/session", s.h(s.staffSignIn))
	mux.HandleFunc("POST /api/staff", s.h(s.createStaff))
	mux.HandleFunc("POST /api/customer/code", s.h(s.requestCode))
	mux.HandleFunc("POST /api/customer/session", s.h(s.customerSignIn))
	mux.HandleFunc("DELETE /api/session", s.h(s.signOut))
	mux.HandleFunc("GET /api/me", s.h(s.me))
	mux.HandleFunc("GET /api/me/orders", s.h(s.myOrders))
	mux.HandleFunc("GET /api/me/stream", s.h(s.myStream))

	mux.HandleFunc("GET /api/events", s.h(s.listBars))
	mux.HandleFunc("POST /api/events", s.h(s.createBar))
	mux.HandleFunc("GET /api/events/{event}", s.h(s.getBar))
	mux.HandleFunc("PATCH /api/events/{event}", s.h(s.patchBar))
	mux.HandleFunc("GET /api/events/{event}/qr", s.h(s.qr))
	mux.HandleFunc("GET /api/events/{event}/qr.svg", s.h(s.qrSVG))
	mux.HandleFunc("GET /api/events/{event}/stream", s.h(s.barStream))
	mux.HandleFunc("POST /api/events/{event}/orders", s.h(s.startOrder))
	mux.HandleFunc("GET /api/events/{event}/orders", s.h(s.listOrders))

	mux.HandleFunc("GET /api/orders/{id}", s.h(s.getOrder))
	mux.HandleFunc("PUT /api/orders/{id}/drink", s.h(s.submitDrink))
	mux.HandleFunc("POST /api/orders/{id}/{action}", s.h(s.orderAction))
	mux.HandleFunc("GET /api/orders/{id}/history", s.h(s.orderHistory))

	mux.HandleFunc("/api/", s.h(s.notFoundAPI))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.Ping(r.Context()); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: "db_unavailable", Message: "database unavailable", Err: err}
	}
	if err := s.Bus.Ready(r.Context()); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: "bus_unavailable", Message: "event bus unavailable", Err: err}
	}
	if err := s.Publisher.Ready(); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: "feed_unavailable", Message: "real-time feed not running", Err: err}
	}
	return writeJSON(w, 200, map[string]string{"status": "ready"})
}

// identity is the caller's identity from the session cookie, or an
// anonymous identity.
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

// signedIn is identity, but anonymous callers get a 401.
func (s *Server) signedIn(r *http.Request) (presso.Identity, error) {
	id, err := s.identity(r)
	if err == nil && id.ID == "" {
		err = presso.E(presso.KindUnauthenticated, "unauthenticated", "sign in first")
	}
	return id, err
}

func (s *Server) startSession(w http.ResponseWriter, sess auth.Session) error {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	return writeJSON(w, 200, sess.Identity)
}

func (s *Server) staffSignIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	sess, err := s.Auth.StaffSignIn(r.Context(), clientIP(r), in.Username, in.Password)
	if err != nil {
		return err
	}
	return s.startSession(w, sess)
}

func (s *Server) createStaff(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
		EventID  string `json:"eventId"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id, err := s.Auth.CreateStaff(r.Context(), who, in.Username, in.Password, in.Role, in.EventID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, id)
}

func (s *Server) requestCode(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	code, err := s.Auth.RequestCode(r.Context(), clientIP(r), in.Email)
	if err != nil {
		return err
	}
	out := map[string]any{"sent": true}
	if code != "" {
		out["devCode"] = code
	}
	return writeJSON(w, http.StatusAccepted, out)
}

func (s *Server) customerSignIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email   string `json:"email"`
		Code    string `json:"code"`
		Name    string `json:"name"`
		EventID string `json:"eventId"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var sess auth.Session
	var err error
	switch {
	case in.Email != "":
		sess, err = s.Auth.CustomerSignIn(r.Context(), clientIP(r), in.Email, in.Code)
	case in.Name != "":
		if in.EventID == "" {
			return presso.Invalid("eventId", "name sign-in needs the eventId of the bar")
		}
		bar, berr := s.Config.Get(r.Context(), in.EventID)
		if berr != nil {
			return berr
		}
		sess, err = s.Auth.NameSignIn(r.Context(), clientIP(r), bar, in.Name)
	default:
		return presso.Invalid("email", "send {email, code} or, for a bar in name mode, {eventId, name}")
	}
	if err != nil {
		return err
	}
	return s.startSession(w, sess)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Auth.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, who)
}

func (s *Server) myOrders(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	list, err := s.Orders.Mine(r.Context(), who)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"orders": list})
}

func (s *Server) listBars(w http.ResponseWriter, r *http.Request) error {
	bars, err := s.Config.List(r.Context())
	if err != nil {
		return err
	}
	if bars == nil {
		bars = []*presso.Bar{}
	}
	return writeJSON(w, 200, map[string]any{"events": bars})
}

func (s *Server) createBar(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	if who.Role != presso.RoleAdmin {
		return presso.E(presso.KindForbidden, "forbidden", "only an admin can create a bar")
	}
	var b presso.Bar
	if err := decode(w, r, &b); err != nil {
		return err
	}
	out, err := s.Config.Create(r.Context(), who, &b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getBar(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, b)
}

func (s *Server) patchBar(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var p config.Patch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	b, err := s.Config.Update(r.Context(), who, r.PathValue("event"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, b)
}

// staffBar loads the bar in the path for its staff (any role) or an admin.
func (s *Server) staffBar(r *http.Request) (*presso.Bar, presso.Identity, error) {
	who, err := s.signedIn(r)
	if err != nil {
		return nil, who, err
	}
	bar, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return nil, who, err
	}
	if !who.StaffOf(bar.ID) {
		return nil, who, presso.E(presso.KindForbidden, "forbidden", "only staff of %s can do this", bar.Name)
	}
	return bar, who, nil
}

func (s *Server) qr(w http.ResponseWriter, r *http.Request) error {
	bar, _, err := s.staffBar(r)
	if err != nil {
		return err
	}
	cur, err := s.Validator.Current(r.Context(), bar)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, cur)
}

func (s *Server) qrSVG(w http.ResponseWriter, r *http.Request) error {
	bar, _, err := s.staffBar(r)
	if err != nil {
		return err
	}
	cur, err := s.Validator.Current(r.Context(), bar)
	if err != nil {
		return err
	}
	svg, err := validator.SVG(cur.URL)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(svg)
	return err
}

func (s *Server) startOrder(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	o, err := s.Orders.Start(r.Context(), who, r.PathValue("event"), in.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var states []presso.State
	if q := r.URL.Query().Get("state"); q != "" {
		for _, st := range strings.Split(q, ",") {
			st := presso.State(strings.TrimSpace(st))
			if !st.Valid() {
				return presso.Invalid("state", "unknown state %q", st)
			}
			states = append(states, st)
		}
	}
	within := 600 * time.Second
	if q := r.URL.Query().Get("within"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 || n > 7*86400 {
			return presso.Invalid("within", "within must be a number of seconds up to a week")
		}
		within = time.Duration(n) * time.Second
	}
	list, err := s.Orders.List(r.Context(), who, r.PathValue("event"), states, within)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"orders": list})
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	o, err := s.Orders.Get(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

func (s *Server) submitDrink(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	var in orders.SubmitInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Drink == "" {
		return presso.Invalid("drink", "choose a drink")
	}
	o, err := s.Orders.Submit(r.Context(), who, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

func (s *Server) orderAction(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	t := orders.Trigger(r.PathValue("action"))
	switch t {
	case orders.TriggerMake, orders.TriggerUnmake, orders.TriggerComplete, orders.TriggerCancel, orders.TriggerCollect:
	default:
		return presso.E(presso.KindNotFound, "not_found", "no action %q: use make, unmake, complete, cancel or collect", t)
	}
	o, err := s.Orders.Fire(r.Context(), who, r.PathValue("id"), t, orders.SubmitInput{})
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

func (s *Server) orderHistory(w http.ResponseWriter, r *http.Request) error {
	who, err := s.signedIn(r)
	if err != nil {
		return err
	}
	j, err := s.Orders.History(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, j)
}
