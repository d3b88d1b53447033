package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"presso"
	"presso/auth"
	"presso/store"
)

// The admin console's API: bars with their counts, copies, exports and
// imports, a drink's availability, a new QR code now, staff accounts, a
// staff member's own password, screen pairing and the audit.

// maxImport bounds an imported export, which holds a bar's whole history.
const maxImport = 64 << 20

// listBars handles GET /api/events: ended bars only for admins, and with
// ?counts=1 (admins only) every bar's state and today's counts.
func (s *Server) listBars(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	switch q := r.URL.Query().Get("counts"); q {
	case "", "0":
	case "1":
		bars, err := s.Config.ListCounts(r.Context(), who)
		if err != nil {
			return err
		}
		return writeJSON(w, 200, map[string]any{"events": bars})
	default:
		return presso.Invalid("counts", "counts is 1 or left out")
	}
	bars, err := s.Config.ListFor(r.Context(), who)
	if err != nil {
		return err
	}
	if bars == nil {
		bars = []*presso.Bar{}
	}
	return writeJSON(w, 200, map[string]any{"events": bars})
}

// createBar handles POST /api/events: a bar, or {"id","name","copyFrom"}
// for a copy of another bar's settings and menu.
func (s *Server) createBar(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	body, err := readBody(w, r, maxBody)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields["copyFrom"] == nil {
		var b presso.Bar
		if err := decodeJSON(bytes.NewReader(body), &b); err != nil {
			return err
		}
		out, err := s.Config.Create(r.Context(), who, &b)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, out)
	}
	var in struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		CopyFrom string `json:"copyFrom"`
		Open     bool   `json:"open"`
	}
	if err := decodeJSON(bytes.NewReader(body), &in); err != nil {
		var pe *presso.Error
		if errors.As(err, &pe) && fields[pe.Field] != nil && pe.Field != "id" && pe.Field != "name" && pe.Field != "copyFrom" && pe.Field != "open" {
			// A copy takes everything else from the bar it copies.
			return presso.Invalid(pe.Field, "a copy takes its %s from the bar it copies: send only id, name, copyFrom and open", pe.Field)
		}
		return err
	}
	out, err := s.Config.Copy(r.Context(), who, in.CopyFrom, in.ID, in.Name, in.Open)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// readBody reads a whole body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, presso.Invalid("body", "the request body is larger than %d bytes", tooBig.Limit)
	case err != nil:
		return nil, presso.Invalid("body", "the request body could not be read: %v", err)
	}
	return body, nil
}

// optionalBody accepts an empty body or an empty JSON object, for routes
// that take no input.
func optionalBody(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxBody)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return decodeJSON(bytes.NewReader(body), &struct{}{})
}

// setAvailable handles PATCH /api/events/{event}/menu/{drink}.
func (s *Server) setAvailable(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var in struct {
		Available *bool `json:"available"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Available == nil {
		return presso.Invalid("available", "send {\"available\": true} or false")
	}
	b, err := s.Config.SetAvailable(r.Context(), who, r.PathValue("event"), r.PathValue("drink"), *in.Available)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, b)
}

// rotateQR handles POST /api/events/{event}/qr/rotate.
func (s *Server) rotateQR(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	if err := optionalBody(w, r); err != nil {
		return err
	}
	bar, err := s.Config.RotateQR(r.Context(), who, r.PathValue("event"))
	if err != nil {
		return err
	}
	cur, err := s.Validator.Current(r.Context(), bar)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, cur)
}

// exportBar handles GET /api/events/{event}/export.
func (s *Server) exportBar(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	x, err := s.Config.Export(r.Context(), who, r.PathValue("event"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"presso-%s.json\"", x.Bar.ID))
	return writeJSON(w, 200, x)
}

// importBar handles POST /api/events/import.
func (s *Server) importBar(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var x store.BarExport
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	if err := decodeJSON(r.Body, &x); err != nil {
		return err
	}
	if err := s.Config.Import(r.Context(), who, &x); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"eventId": x.Bar.ID, "orders": len(x.Orders), "events": len(x.Events)})
}

// audit handles GET /api/events/{event}/audit and GET /api/audit.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	event := r.PathValue("event")
	if event == "" {
		event = "*"
	}
	limit, before := 100, int64(0)
	if q := r.URL.Query().Get("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			return presso.Invalid("limit", "limit must be a whole number from 1 to 500")
		}
		limit = n
	}
	if q := r.URL.Query().Get("before"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 1 {
			return presso.Invalid("before", "before must be the seq of a row from an earlier page")
		}
		before = n
	}
	rows, err := s.Config.Audit(r.Context(), who, event, before, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"audit": rows})
}

// listStaff handles GET /api/staff.
func (s *Server) listStaff(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	list, err := s.Auth.ListStaff(r.Context(), who)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"staff": list})
}

// patchStaff handles PATCH /api/staff/{username}.
func (s *Server) patchStaff(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var p auth.StaffPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	a, err := s.Auth.UpdateStaff(r.Context(), who, r.PathValue("username"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, a)
}

// myPassword handles POST /api/me/password.
func (s *Server) myPassword(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	sess, err := s.Auth.ChangePassword(r.Context(), who, in.Current, in.New)
	if err != nil {
		return err
	}
	return s.startSession(w, sess)
}

// createPairing handles POST /api/events/{event}/pairings.
func (s *Server) createPairing(w http.ResponseWriter, r *http.Request, who presso.Identity) error {
	if err := optionalBody(w, r); err != nil {
		return err
	}
	p, err := s.Auth.CreatePairing(r.Context(), who, r.PathValue("event"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"code":      p.Code,
		"url":       s.Validator.PublicURL() + "/pair/" + url.PathEscape(p.Token),
		"expiresAt": p.ExpiresAt.UTC(),
	})
}

// displayPath is where a paired screen goes.
func displayPath(eventID string) string { return "/display/" + url.PathEscape(eventID) }

// pair handles POST /api/pair.
func (s *Server) pair(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	sess, event, err := s.Auth.PairByCode(r.Context(), clientIP(r), in.Code)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, sess)
	return writeJSON(w, 200, map[string]any{"me": sess.Identity, "location": displayPath(event)})
}

// pairPage is what a pairing link shows when it cannot pair.
const pairPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>presso: pair this screen</title>
<style>body{font:1.5rem/1.4 system-ui,sans-serif;max-width:40rem;margin:10vh auto;padding:0 1rem}</style></head>
<body><main><h1>This screen is not paired</h1><p>{{.}}</p></main></body></html>
`

// pairLink handles GET /pair/{token}: the link a screen opens to pair. It
// answers a page, not JSON, since a TV's browser opened it.
func (s *Server) pairLink(w http.ResponseWriter, r *http.Request) error {
	sess, event, err := s.Auth.PairByToken(r.Context(), clientIP(r), r.PathValue("token"))
	if err == nil {
		s.setSessionCookie(w, sess)
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, displayPath(event), http.StatusSeeOther)
		return nil
	}
	var pe *presso.Error
	if !errors.As(err, &pe) || pe.Kind == presso.KindInternal || pe.Kind == presso.KindUnavailable {
		return err
	}
	code := status(pe.Kind)
	if pe.Code == presso.CodeInvalidCode {
		code = http.StatusNotFound // a link, not a typed code: an unknown one is not found
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return template.Must(template.New("pair").Parse(pairPage)).Execute(w, pe.Message)
}
