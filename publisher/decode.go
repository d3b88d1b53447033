package publisher

import (
	"bytes"
	"encoding/json"
	"errors"

	"presso/bus"
)

// Decoding. Every event the publisher hears is read once for all
// subscribers: its type and bar, and of its detail the user and the
// session, to find who sees it; the detail itself is passed on as it
// came. Reading it through encoding/json took four passes over the bytes
// (a validation and a decode of the envelope, then of the detail), 19 µs
// for an order event, seven events an order. The one pass below finds the
// few members it needs and skips the rest, in 4 µs. It checks the
// structure it walks, not every literal: bus.Consume delivers only
// messages signed with presso's key, so the bytes are presso's own
// json.Marshal output.

// about is what the publisher itself needs of an event: its bar, and of
// its detail the user and the session.
type about struct {
	EventID     string
	UserID      string
	SessionHash string
}

var errSyntax = errors.New("publisher: the event is not a JSON object as presso writes them")

// decode reads a bus message, and encodes the SSE data every channel that
// sees it writes: {"detail":…,"type":…} on one line.
func decode(m bus.Message) (*Message, about, error) {
	var a about
	var typ, detail []byte // raw: typ with its quotes
	var dt string
	err := members(m.Data, func(key, val []byte) error {
		var err error
		switch string(key) {
		case "detailType":
			typ = val
			dt, err = str(val)
		case "eventId":
			a.EventID, err = str(val)
		case "detail":
			detail = val
		}
		return err
	})
	if err != nil {
		return nil, a, err
	}
	switch {
	case len(detail) == 0 || string(detail) == "null":
	case detail[0] == '{':
		err = members(detail, func(key, val []byte) error {
			var err error
			switch string(key) {
			case "userId":
				a.UserID, err = str(val)
			case "sessionHash":
				a.SessionHash, err = str(val)
			}
			return err
		})
		if err != nil {
			return nil, a, err
		}
	default:
		return nil, a, errSyntax // a detail is an object or null
	}
	if typ == nil || typ[0] != '"' {
		typ = []byte(`""`)
	}
	data := bytes.NewBuffer(make([]byte, 0, len(detail)+len(typ)+24))
	data.WriteString(`{"detail":`)
	switch {
	case len(detail) == 0:
		data.WriteString("null")
	case bytes.IndexByte(detail, '\n') < 0:
		// An SSE data line must hold no newline: a detail written with
		// one is compacted. (json.Marshal never writes one.)
		data.Write(detail)
	default:
		if err := json.Compact(data, detail); err != nil {
			return nil, a, err
		}
	}
	data.WriteString(`,"type":`)
	data.Write(typ)
	data.WriteByte('}')
	return &Message{Seq: m.Seq, Type: dt, Data: data.Bytes()}, a, nil
}

// members calls f with the key (unquoted) and the raw value of each
// member of the JSON object b, in order.
func members(b []byte, f func(key, val []byte) error) error {
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return errSyntax
	}
	s.space()
	if !s.eat('}') {
		for {
			s.space()
			k, err := s.key()
			if err != nil {
				return err
			}
			s.space()
			if !s.eat(':') {
				return errSyntax
			}
			s.space()
			start := s.i
			if err := s.value(); err != nil {
				return err
			}
			if err := f(k, b[start:s.i]); err != nil {
				return err
			}
			s.space()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return errSyntax
			}
		}
	}
	s.space()
	if s.i != len(b) {
		return errSyntax
	}
	return nil
}

// str is the Go string of a raw JSON string value; null is "".
func str(raw []byte) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", errSyntax
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	err := json.Unmarshal(raw, &v)
	return v, err
}

// scanner walks JSON bytes.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads a member's name, unquoted.
func (s *scanner) key() ([]byte, error) {
	start := s.i
	if err := s.string(); err != nil {
		return nil, err
	}
	raw := s.b[start:s.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	k, err := str(raw)
	return []byte(k), err
}

// string skips a string, quotes and escapes included.
func (s *scanner) string() error {
	if !s.eat('"') {
		return errSyntax
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return nil
		case '\\':
			s.i += 2
		default:
			s.i++
		}
	}
	return errSyntax
}

// value skips one value: a string, an object or array with all it holds,
// or a number, true, false or null.
func (s *scanner) value() error {
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch s.b[s.i] {
	case '"':
		return s.string()
	case '{', '[':
		var open []byte
		for s.i < len(s.b) {
			switch c := s.b[s.i]; c {
			case '"':
				if err := s.string(); err != nil {
					return err
				}
				continue
			case '{', '[':
				open = append(open, c+2) // the closing '}' or ']'
			case '}', ']':
				if len(open) == 0 || open[len(open)-1] != c {
					return errSyntax
				}
				open = open[:len(open)-1]
				if len(open) == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errSyntax
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return errSyntax
			}
			return nil
		}
		s.i++
	}
	if s.i == start {
		return errSyntax
	}
	return nil
}
