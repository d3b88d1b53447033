// Package client is a small Go client for presso's HTTP API, shared by the
// load generator and the end-to-end tests: JSON calls with a cookie jar,
// the server's errors as a typed *Error, and an SSE reader that resumes
// with Last-Event-ID, as a browser's EventSource does.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// Client is one user of the API: its own cookies, so its own session.
type Client struct {
	// Base is the server's URL without a trailing slash, e.g.
	// "http://127.0.0.1:8080". Requests go to Base+path.
	Base string
	// HTTP has the cookie jar and no timeout of its own: a call gets
	// CallTimeout, and a stream lives as long as its context.
	HTTP *http.Client
}

// CallTimeout bounds each Do and Call, so a stuck server cannot hold a
// caller forever.
const CallTimeout = 30 * time.Second

// New is a client of the server at base with a fresh cookie jar over the
// transport tr (nil for http.DefaultTransport). Clients that share a
// transport share its connection pool but not their sessions.
func New(base string, tr http.RoundTripper) *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Jar: jar, Transport: tr}}
}

// Error is a failed call: the status and the server's {"error": {...}}
// body, or a network failure with Status 0 and the cause in Err.
type Error struct {
	Status  int       `json:"-"`
	Code    string    `json:"code"` // "no_code" if the answer had none
	Message string    `json:"message"`
	Field   string    `json:"field"`
	RetryAt time.Time `json:"retryAt"`
	Err     error     `json:"-"`
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "network: " + e.Message
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// StatusOf is err's HTTP status, 0 if it has none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Do sends body (nil for none) as JSON and returns the answer's status and
// bytes, whatever the status. Only a network failure is an error: an
// *Error with Status 0.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, &Error{Message: err.Error(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, &Error{Message: err.Error(), Err: err}
	}
	return resp.StatusCode, data, nil
}

// Call sends in as JSON (nil for no body) and decodes a 2xx answer into
// out (nil to drop it). Any other answer is an *Error.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	status, data, err := c.Do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return apiError(status, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// apiError reads an error answer's {"error": {...}}; a body that is not
// one still gives an *Error with the status.
func apiError(status int, data []byte) *Error {
	e := &Error{Status: status}
	body := struct {
		Error *Error `json:"error"`
	}{e}
	json.Unmarshal(data, &body)
	if e.Code == "" {
		e.Code = "no_code"
	}
	return e
}
