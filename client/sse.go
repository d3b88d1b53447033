package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Message is one SSE message of presso's, whose data is {"type", "detail"}.
type Message struct {
	ID     string          `json:"-"` // the stream's last event id when it came
	Type   string          `json:"type"`
	Detail json.RawMessage `json:"detail"`
}

// Reader parses a text/event-stream as the HTML standard does, except that
// a line must end in "\n" or "\r\n" (never a lone "\r", which no Go server
// sends). It knows the fields id, data and retry; comments and other fields
// are skipped.
type Reader struct {
	// LastID is the last id the stream set, sent as Last-Event-ID to resume.
	LastID string
	// Retry is the reconnection delay the stream asked for, 0 if none.
	Retry time.Duration

	br   *bufio.Reader
	long []byte // a line longer than br's buffer, gathered
	data []byte // the message's data lines so far, each ending in "\n"
}

// readerSize fits any one order event; a longer line (a big snapshot) is
// gathered in Reader.long, so streams need not each hold a large buffer.
const readerSize = 16 << 10

// maxLine bounds a gathered line, so a broken server cannot take all memory.
const maxLine = 16 << 20

// NewReader reads SSE from r.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{}
	rd.Reset(r)
	return rd
}

// Reset reads from r from now on, as after a reconnection: a half-read
// message is dropped, LastID and Retry stay.
func (r *Reader) Reset(rd io.Reader) {
	if r.br == nil {
		r.br = bufio.NewReaderSize(rd, readerSize)
	} else {
		r.br.Reset(rd)
	}
	r.data = r.data[:0]
}

// Next returns the next message. An error from the underlying reader (io.EOF
// when the server ended the stream) is returned as it is. A message whose
// data is not JSON is an error too, but the stream stays in step: Next can
// go on, and LastID is already past that message.
func (r *Reader) Next() (Message, error) {
	data, err := r.NextData()
	if err != nil {
		return Message{}, err
	}
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return Message{}, &dataError{id: r.LastID, err: err}
	}
	m.ID = r.LastID
	return m, nil
}

// NextData returns the next message's data undecoded: its data lines
// joined by "\n", valid until the next read. It is for readers that decode
// each message into a type of their own, so a message is decoded once, not
// into a Message and then again from its Detail. Errors are as Next's,
// except that no data is checked to be JSON.
func (r *Reader) NextData() ([]byte, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if len(r.data) == 0 {
				continue
			}
			data := r.data[:len(r.data)-1]
			r.data = r.data[:0]
			return data, nil
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value, _ = bytes.CutPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			r.data = append(append(r.data, value...), '\n')
		case "id":
			if bytes.IndexByte(value, 0) < 0 && string(value) != r.LastID {
				r.LastID = string(value)
			}
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 31); err == nil {
				r.Retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// dataError is a message whose data is not presso's JSON: the stream is
// still in step, so Follow reads on.
type dataError struct {
	id  string
	err error
}

func (e *dataError) Error() string { return fmt.Sprintf("sse message %q: %v", e.id, e.err) }
func (e *dataError) Unwrap() error { return e.err }

// readLine is the next line without its end, valid until the next read.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(r.long) <= maxLine {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		if err == nil && len(r.long) > maxLine {
			err = fmt.Errorf("sse line longer than %d bytes", maxLine)
		}
		line = r.long
	}
	if err != nil {
		return nil, err // a last line without its end ends no message
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// Stream is an open SSE channel of the API, read message by message with
// Next. When the server ends it, Reconnect resumes after the last message.
type Stream struct {
	c    *Client
	path string
	rd   Reader
	body io.ReadCloser
}

// Open connects to the SSE path, sending lastID as Last-Event-ID unless it
// is empty. The connection lasts until ctx ends, the server ends it or
// Close. A refusal is an *Error, as from Call.
func (c *Client) Open(ctx context.Context, path, lastID string) (*Stream, error) {
	s := &Stream{c: c, path: path, rd: Reader{LastID: lastID}}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Stream) connect(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", s.c.Base+s.path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	if s.rd.LastID != "" {
		req.Header.Set("Last-Event-ID", s.rd.LastID)
	}
	resp, err := s.c.HTTP.Do(req)
	if err != nil {
		return &Error{Message: err.Error(), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return apiError(resp.StatusCode, data)
	}
	s.body = resp.Body
	s.rd.Reset(resp.Body)
	return nil
}

// Next is the next message, as Reader.Next: an error once the connection
// has ended.
func (s *Stream) Next() (Message, error) { return s.rd.Next() }

// LastID is the id of the last message read, which a reconnection resumes
// after.
func (s *Stream) LastID() string { return s.rd.LastID }

// Reconnect drops the current connection and opens a new one that resumes
// with Last-Event-ID.
func (s *Stream) Reconnect(ctx context.Context) error {
	s.Close()
	return s.connect(ctx)
}

// Close ends the current connection.
func (s *Stream) Close() {
	if s.body != nil {
		s.body.Close()
		s.body = nil
	}
}

// Follow reads the stream until ctx ends, handing each message to handle,
// and reconnects whenever the connection ends, as a browser would: after
// 100 ms, doubling while the server refuses, up to its retry delay (at
// least 2 s). resumed, if not nil, is called after each reconnection.
// Follow closes the stream when it returns.
func (s *Stream) Follow(ctx context.Context, handle func(Message), resumed func()) {
	s.FollowData(ctx, func(data []byte) {
		var m Message
		if json.Unmarshal(data, &m) == nil {
			m.ID = s.rd.LastID
			handle(m)
		}
	}, resumed)
}

// FollowData is Follow for readers that decode each message's data
// themselves (see Reader.NextData): handle gets the data, valid only until
// it returns, and may read LastID.
func (s *Stream) FollowData(ctx context.Context, handle func(data []byte), resumed func()) {
	defer s.Close()
	const first = 100 * time.Millisecond
	for {
		for {
			data, err := s.rd.NextData()
			if err != nil {
				break
			}
			handle(data)
		}
		for wait := first; ; wait = min(2*wait, max(s.rd.Retry, 2*time.Second)) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if s.Reconnect(ctx) == nil {
				break
			}
		}
		if resumed != nil {
			resumed()
		}
	}
}

// NextData is the next message's data, as Reader.NextData.
func (s *Stream) NextData() ([]byte, error) { return s.rd.NextData() }
