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

// routes lists every route with who may call it (the adapters are in
// access.go). Where the answer also depends on the order, the bar or the
// body, the service that owns the rule decides, as the comments say.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.anyone(s.healthy))
	mux.HandleFunc("GET /readyz", s.anyone(s.ready))

	mux.HandleFunc("POST /api/staff/session", s.anyone(s.staffSignIn))
	mux.HandleFunc("POST /api/staff", s.admin("create staff accounts", s.createStaff))
	// newWork: what starts something new waits for a turn (admit.go).
	mux.HandleFunc("POST /api/customer/code", s.newWork(s.anyone(s.requestCode)))
	mux.HandleFunc("POST /api/customer/session", s.newWork(s.anyone(s.customerSignIn)))
	mux.HandleFunc("DELETE /api/session", s.anyone(s.signOut))
	mux.HandleFunc("GET /api/me", s.user(s.me))
	mux.HandleFunc("GET /api/me/orders", s.user(s.myOrders))
	mux.HandleFunc("GET /api/me/stream", s.user(s.myStream))

	mux.HandleFunc("GET /api/events", s.whoever(s.listBars)) // config: ended bars and ?counts=1 for admins only
	mux.HandleFunc("POST /api/events", s.admin("create a bar", s.createBar))
	mux.HandleFunc("GET /api/events/{event}", s.anyone(s.getBar))
	mux.HandleFunc("PATCH /api/events/{event}", s.user(s.patchBar)) // config: admins; a barista of the bar may only open or close it
	mux.HandleFunc("GET /api/events/{event}/qr", s.staffOf(s.qr))
	mux.HandleFunc("GET /api/events/{event}/qr.svg", s.staffOf(s.qrSVG))
	mux.HandleFunc("GET /api/events/{event}/stream", s.whoever(s.barStream)) // the board for staff of the bar, the store channel for anyone else
	mux.HandleFunc("POST /api/events/{event}/orders", s.newWork(s.user(s.startOrder)))
	mux.HandleFunc("GET /api/events/{event}/orders", s.staffAt("list its orders", s.listOrders))

	mux.HandleFunc("GET /api/orders/{id}", s.user(s.getOrder))              // orders: the owner or staff of the bar; 404 for anyone else
	mux.HandleFunc("PUT /api/orders/{id}/drink", s.user(s.submitDrink))     // orders: the owner
	mux.HandleFunc("POST /api/orders/{id}/{action}", s.user(s.orderAction)) // orders: baristas of the bar; the owner may cancel until it is being made
	mux.HandleFunc("GET /api/orders/{id}/history", s.user(s.orderHistory))  // orders: as GET /api/orders/{id}

	// Screens for a rush (walkup.go, apidoc.go): walk-up orders, "Call
	// again", checking a scanned code, and the API reference at /api/.
	mux.HandleFunc("POST /api/events/{event}/walkups", s.user(s.walkup)) // orders: baristas of the bar
	mux.HandleFunc("POST /api/orders/{id}/call", s.user(s.callOrder))    // orders: baristas of the bar
	mux.HandleFunc("GET /api/events/{event}/codes/{code}", s.anyone(s.checkCode))
	mux.HandleFunc("GET /api/{$}", s.anyone(s.apiIndex))
	if s.Dev {
		mux.HandleFunc("GET /api/events/{event}/try", s.anyone(s.tryOrder)) // --dev only: codes stay staff-only otherwise
	}

	// The admin console (admin.go): staff, own password, menu availability,
	// a new QR code now, screen pairing, audit, export and import.
	mux.HandleFunc("GET /api/staff", s.admin("list staff accounts", s.listStaff))
	mux.HandleFunc("PATCH /api/staff/{username}", s.admin("change staff accounts", s.patchStaff))
	mux.HandleFunc("POST /api/me/password", s.user(s.myPassword))                    // auth: staff only
	mux.HandleFunc("PATCH /api/events/{event}/menu/{drink}", s.user(s.setAvailable)) // config: admins and baristas of the bar
	mux.HandleFunc("POST /api/events/{event}/qr/rotate", s.user(s.rotateQR))         // config: admins and baristas of the bar
	mux.HandleFunc("POST /api/events/{event}/pairings", s.admin("pair a screen", s.createPairing))
	mux.HandleFunc("POST /api/pair", s.anyone(s.pair))
	mux.HandleFunc("GET /pair/{token}", s.anyone(s.pairLink))
	mux.HandleFunc("GET /api/events/{event}/audit", s.admin("read the audit", s.audit))
	mux.HandleFunc("GET /api/audit", s.admin("read the audit", s.audit))
	mux.HandleFunc("GET /api/events/{event}/export", s.admin("export a bar", s.exportBar))
	mux.HandleFunc("POST /api/events/import", s.admin("import a bar", s.importBar))

	// Security (guard.go): a staff member signs out on every device.
	mux.HandleFunc("DELETE /api/me/sessions", s.user(s.signOutEverywhere)) // auth: staff only

	// The day's figures (stats.go): stats, the CSV export, an order's
	// journey for staff and the workflow it follows.
	mux.HandleFunc("GET /api/events/{event}/stats", s.staffOf(s.barStats))
	mux.HandleFunc("GET /api/events/{event}/orders.csv", s.staffOf(s.ordersCSV))
	mux.HandleFunc("GET /api/orders/{id}/journey", s.user(s.orderJourney)) // orders: staff of the order's bar; 404 for anyone else
	mux.HandleFunc("GET /api/workflow", s.anyone(s.workflow))

	mux.HandleFunc("/api/", s.anyone(s.notFoundAPI))
}

// healthy handles GET /healthz.
func (s *Server) healthy(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]string{"status": "ok"})
}

// ready handles GET /readyz.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.Ping(r.Context()); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeDBUnavailable, Message: "database unavailable", Err: err}
	}
	if err := s.Bus.Ready(r.Context()); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusUnavailable, Message: "event bus unavailable", Err: err}
	}
	if err := s.Publisher.Ready(); err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeFeedUnavailable, Message: "real-time feed not running", Err: err}
	}
	// The relay publishes within milliseconds of a commit; an event that
	// waits for seconds means the stream refuses or does not acknowledge
	// (a full disk, no leader), and every screen is standing still.
	const relayLagLimit = 5 * time.Second
	oldest, err := s.DB.Unpublished(r.Context(), 1)
	if err != nil {
		return &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeDBUnavailable, Message: "database unavailable", Err: err}
	}
	if len(oldest) == 1 {
		if lag := s.Now().Sub(oldest[0].CreatedAt); lag > relayLagLimit {
			return presso.E(presso.KindUnavailable, presso.CodeRelayLagging,
				"the oldest event not yet on the bus is %v old (more than %v): the relay is not getting through", lag.Round(time.Second), relayLagLimit)
		}
	}
	return writeJSON(w, 200, map[string]string{"status": "ready"})
}

// startSession sets the session cookie and answers with who signed in.
func (s *Server) startSession(w http.ResponseWriter, sess auth.Session) error {
	s.setSessionCookie(w, sess)
	return writeJSON(w, 200, sess.Identity)
}

// setSessionCookie sets the session cookie.
func (s *Server) setSessionCookie(w http.ResponseWriter, sess auth.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// staffSignIn handles POST /api/staff/session.
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

// createStaff handles POST /api/staff.
func (s *Server) createStaff(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
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

// requestCode handles POST /api/customer/code.
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

// customerSignIn handles POST /api/customer/session.
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
		sess, err = s.Auth.CustomerSignInAs(r.Context(), clientIP(r), in.Email, in.Code, in.Name)
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

// signOut handles DELETE /api/session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Auth.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me handles GET /api/me.
func (s *Server) me(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	return writeJSON(w, 200, who)
}

// myOrders handles GET /api/me/orders.
func (s *Server) myOrders(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	list, err := s.Orders.Mine(r.Context(), who)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"orders": list})
}

// getBar handles GET /api/events/{event}.
func (s *Server) getBar(w http.ResponseWriter, r *http.Request) error {
	b, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, b)
}

// patchBar handles PATCH /api/events/{event}.
func (s *Server) patchBar(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
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

// qr handles GET /api/events/{event}/qr.
func (s *Server) qr(w http.ResponseWriter, r *http.Request, _ presso.Identity, bar *presso.Bar) error {
	cur, err := s.Validator.Current(r.Context(), bar)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, cur)
}

// qrSVG handles GET /api/events/{event}/qr.svg.
func (s *Server) qrSVG(w http.ResponseWriter, r *http.Request, _ presso.Identity, bar *presso.Bar) error {
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

// startOrder handles POST /api/events/{event}/orders.
func (s *Server) startOrder(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	count, err := s.orderStartChecks(r, who, r.PathValue("event"), in.Code)
	if err != nil {
		return err
	}
	o, err := s.Orders.StartAlso(r.Context(), who, r.PathValue("event"), in.Code, count)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

// listOrders handles GET /api/events/{event}/orders.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
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

// getOrder handles GET /api/orders/{id}.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	o, err := s.Orders.Get(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

// submitDrink handles PUT /api/orders/{id}/drink.
func (s *Server) submitDrink(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
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

// orderAction handles POST /api/orders/{id}/{action}: make, unmake,
// complete, cancel and collect.
func (s *Server) orderAction(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	t := orders.Trigger(r.PathValue("action"))
	switch t {
	case orders.TriggerMake, orders.TriggerUnmake, orders.TriggerComplete, orders.TriggerCancel, orders.TriggerCollect:
	default:
		return presso.E(presso.KindNotFound, presso.CodeNotFound, "no action %q: use make, unmake, complete, cancel or collect", t)
	}
	o, err := s.Orders.Fire(r.Context(), who, r.PathValue("id"), t, orders.SubmitInput{})
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

// orderHistory handles GET /api/orders/{id}/history.
func (s *Server) orderHistory(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	j, err := s.Orders.History(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, j)
}
