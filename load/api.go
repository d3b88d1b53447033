package load

import (
	"bufio"
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

// client is one robot's browser: its own cookie jar over the run's shared
// transport.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, tr http.RoundTripper) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: strings.TrimRight(base, "/"), hc: &http.Client{Jar: jar, Transport: tr}}
}

// apiError is a failed call: the server's status and error body, or a
// network failure (Status 0).
type apiError struct {
	Status  int
	Code    string
	Message string
	RetryAt time.Time
}

func (e *apiError) Error() string {
	if e.Status == 0 {
		return "network: " + e.Message
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// key is how errors are counted: status and code.
func (e *apiError) key() string {
	if e.Status == 0 {
		return "network"
	}
	return fmt.Sprintf("%d %s", e.Status, e.Code)
}

// status is err's HTTP status, 0 if it has none.
func status(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

const callTimeout = 30 * time.Second

// call sends a JSON request and decodes a 2xx JSON answer into out (if not
// nil). Anything else comes back as an *apiError.
func (c *client) call(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &apiError{Message: err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return &apiError{Message: err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code    string    `json:"code"`
				Message string    `json:"message"`
				RetryAt time.Time `json:"retryAt"`
			} `json:"error"`
		}
		json.Unmarshal(data, &e)
		if e.Error.Code == "" {
			e.Error.Code = "no_code"
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, RetryAt: e.Error.RetryAt}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// message is one SSE message: its id, and the type and detail of its data.
type message struct {
	ID     string
	Type   string          `json:"type"`
	Detail json.RawMessage `json:"detail"`
}

// stream is a followed SSE channel.
type stream struct {
	c       *client
	path    string
	handle  func(message)
	lastID  string
	resumes func() // counts reconnections
}

// follow connects to an SSE path and, once connected, reads it in the
// background until ctx ends, handing each message to handle. When the
// server closes the stream it reconnects with Last-Event-ID, as a browser
// would. The first connection's error is returned.
func (c *client) follow(ctx context.Context, path string, handle func(message), resumed func()) error {
	s := &stream{c: c, path: path, handle: handle, resumes: resumed}
	body, err := s.connect(ctx)
	if err != nil {
		return err
	}
	go s.run(ctx, body)
	return nil
}

func (s *stream) connect(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.c.base+s.path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	resp, err := s.c.hc.Do(req)
	if err != nil {
		return nil, &apiError{Message: err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &apiError{Status: resp.StatusCode, Code: "stream_refused", Message: "GET " + s.path}
	}
	return resp.Body, nil
}

func (s *stream) run(ctx context.Context, body io.ReadCloser) {
	wait := 100 * time.Millisecond
	for {
		s.read(body)
		body.Close()
		for {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			var err error
			if body, err = s.connect(ctx); err == nil {
				break
			}
			wait = min(2*wait, 2*time.Second)
		}
		if s.resumes != nil {
			s.resumes()
		}
	}
}

// read parses SSE by hand: "id:" and "data:" lines, a blank line ends a
// message; comments and "retry:" are skipped.
func (s *stream) read(body io.Reader) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var id string
	var data []byte
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if len(data) > 0 {
				var m message
				if err := json.Unmarshal(data, &m); err == nil {
					m.ID = id
					if id != "" {
						s.lastID = id
					}
					s.handle(m)
				}
			}
			id, data = "", nil
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "data:"):
			d := strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, d...)
		}
	}
}
