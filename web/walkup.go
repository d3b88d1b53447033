package web

import (
	"net/http"
	"net/url"
	"time"

	"presso"
	"presso/orders"
)

// walkup handles POST /api/events/{event}/walkups: an order taken at the
// bar for someone without a phone.
func (s *Server) walkup(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var in struct {
		Name      string            `json:"name"`
		Drink     string            `json:"drink"`
		Modifiers map[string]string `json:"modifiers"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Drink == "" {
		return presso.Invalid("drink", "choose a drink")
	}
	o, err := s.Orders.Walkup(r.Context(), who, r.PathValue("event"), orders.SubmitInput{Drink: in.Drink, Modifiers: in.Modifiers, Name: in.Name})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, o)
}

// callOrder handles POST /api/orders/{id}/call: "Call again" on a ready
// order.
func (s *Server) callOrder(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	o, err := s.Orders.Call(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, o)
}

// checkCode handles GET /api/events/{event}/codes/{code}: what a scan of
// the code would hear, without using it.
func (s *Server) checkCode(w http.ResponseWriter, r *http.Request) error {
	bar, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return err
	}
	c, err := s.Validator.Check(r.Context(), bar, r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, struct {
		Valid     bool      `json:"valid"`
		Remaining int       `json:"remaining"`
		WindowEnd time.Time `json:"windowEnd"`
	}{true, c.UsesLeft, c.WindowEnd})
}

// tryOrder handles GET /api/events/{event}/try, under --dev only: the
// order app's URL with the bar's current code, so the home page can open
// it on this machine, without a phone. Outside --dev a code is only ever
// shown to the bar's staff.
func (s *Server) tryOrder(w http.ResponseWriter, r *http.Request) error {
	bar, err := s.Config.Get(r.Context(), r.PathValue("event"))
	if err != nil {
		return err
	}
	cur, err := s.Validator.Current(r.Context(), bar)
	if err != nil {
		return err
	}
	// The path alone: this machine opens it however --public-url names it.
	u, err := url.Parse(cur.URL)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]string{"url": u.RequestURI()})
}
