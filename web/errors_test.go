package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"presso"
)

// TestWriteError: client mistakes are answered as they are and not logged,
// outages are 503s logged at Warn, and anything else is a 500 that shows
// nothing and is logged at Error with the route.
func TestWriteError(t *testing.T) {
	sqlBug := fmt.Errorf("store.ListOrders: %w", errors.New(`no such column: "finishd_at"`))
	retry := time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("CET", 3600))
	soon := time.Now().Add(900 * time.Millisecond) // Retry-After counts from now
	cases := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string
		wantRetry  string
		wantLog    string
	}{
		{
			name:       "invalid field",
			err:        presso.Invalid("drink", "choose a drink"),
			wantStatus: 400,
			wantBody:   `{"error":{"code":"invalid","message":"choose a drink","field":"drink"}}`,
		},
		{
			name:       "limit with retryAt in UTC",
			err:        &presso.Error{Kind: presso.KindLimited, Code: presso.CodeLimitReached, Message: "enough", RetryAt: retry},
			wantStatus: 429,
			wantBody:   `{"error":{"code":"limit_reached","message":"enough","retryAt":"2026-03-01T22:00:00Z"}}`,
		},
		{
			name:       "wrapped client error",
			err:        fmt.Errorf("config.Get: %w", presso.NotFound("bar")),
			wantStatus: 404,
			wantBody:   `{"error":{"code":"not_found","message":"bar not found"}}`,
		},
		{
			name:       "outage",
			err:        &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeUnavailable, Message: "the database is unavailable", Err: errors.New("connection refused")},
			wantStatus: 503,
			wantBody:   `{"error":{"code":"unavailable","message":"the database is unavailable"}}`,
			wantRetry:  "5",
			wantLog:    `level=WARN msg=unavailable method=GET route="GET /x/{id}" err="the database is unavailable: connection refused"`,
		},
		{
			// Turned away past capacity: told when to come back, and not
			// logged as an outage.
			name:       "busy",
			err:        &presso.Error{Kind: presso.KindUnavailable, Code: presso.CodeBusy, Message: "presso is busy", RetryAt: soon},
			wantStatus: 503,
			wantBody:   `{"error":{"code":"busy","message":"presso is busy","retryAt":"` + soon.UTC().Format(time.RFC3339Nano) + `"}}`,
			wantRetry:  "1",
		},
		{
			name:       "plain error",
			err:        sqlBug,
			wantStatus: 500,
			wantBody:   `{"error":{"code":"internal","message":"internal error"}}`,
			wantLog:    `level=ERROR msg="internal error" method=GET route="GET /x/{id}" err="store.ListOrders: no such column: \"finishd_at\""`,
		},
		{
			name:       "internal kind hides its message",
			err:        &presso.Error{Kind: presso.KindInternal, Code: presso.CodeSchemaTooNew, Message: "secret detail"},
			wantStatus: 500,
			wantBody:   `{"error":{"code":"internal","message":"internal error"}}`,
			wantLog:    `level=ERROR msg="internal error" method=GET route="GET /x/{id}" err="secret detail"`,
		},
		{
			name:       "unknown kind is internal",
			err:        &presso.Error{Kind: presso.Kind(99), Code: "made_up", Message: "secret detail"},
			wantStatus: 500,
			wantBody:   `{"error":{"code":"internal","message":"internal error"}}`,
			wantLog:    `level=ERROR msg="internal error" method=GET route="GET /x/{id}" err="secret detail"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			}))}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /x/{id}", s.anyone(func(http.ResponseWriter, *http.Request) error { return c.err }))
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", "/x/o_1", nil))

			if rec.Code != c.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, c.wantStatus)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != c.wantBody {
				t.Errorf("body = %s, want %s", got, c.wantBody)
			}
			if got := rec.Header().Get("Retry-After"); got != c.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, c.wantRetry)
			}
			if got := strings.TrimSpace(logs.String()); got != c.wantLog {
				t.Errorf("log = %s\nwant  %s", got, c.wantLog)
			}
		})
	}
}

// TestWriteErrorCanceled: a request whose client went away gets no answer
// and no log line.
func TestWriteErrorCanceled(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/x", nil), fmt.Errorf("store.UserOrders: %w", context.Canceled))
	if rec.Body.Len() != 0 || logs.Len() != 0 {
		t.Errorf("answered %d %q and logged %q, want nothing", rec.Code, rec.Body.String(), logs.String())
	}
}

// TestStatus: each kind's one HTTP status; a kind the table does not know
// is a 500.
func TestStatus(t *testing.T) {
	for _, c := range []struct {
		kind presso.Kind
		want int
	}{
		{presso.KindInternal, 500},
		{presso.KindInvalid, 400},
		{presso.KindUnauthenticated, 401},
		{presso.KindForbidden, 403},
		{presso.KindNotFound, 404},
		{presso.KindConflict, 409},
		{presso.KindExpired, 410},
		{presso.KindClosed, 423},
		{presso.KindLimited, 429},
		{presso.KindUnavailable, 503},
		{presso.KindUnavailable + 1, 500},
		{-1, 500},
	} {
		if got := status(c.kind); got != c.want {
			t.Errorf("status(%d) = %d, want %d", c.kind, got, c.want)
		}
	}
}
