package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A replay used to read through an ordered consumer, which JetStream keeps
// for five minutes after its last use: some 1,100 resumes filled the
// stream's 1,000 consumers and every resume after them failed. It now asks
// the stream for messages by sequence (a batched direct get), which leaves
// nothing behind on the server.

// replayBatch is how many messages one direct get asks for.
const replayBatch = 256

// Replay returns the messages on subject (wildcards allowed) after seq,
// up to the stream's last sequence now, at most max of them, skipping any
// that presso did not sign. ok is false when there were more than max, seq
// is older than the stream keeps or newer than its end, or the stream is
// no longer the one CheckEpoch saw: the caller should start over from a
// snapshot.
func (b *Bus) Replay(ctx context.Context, subject string, after uint64, max int) ([]Message, bool, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return nil, false, err
	}
	last := info.State.LastSeq
	switch {
	case b.created.Load() != 0 && info.Created.UnixNano() != b.created.Load():
		return nil, false, nil
	case after > last:
		return nil, false, nil
	case info.State.Msgs > 0 && after+1 < info.State.FirstSeq:
		return nil, false, nil
	case after == last:
		return []Message{}, true, nil
	}
	out := []Message{}
	for from := after + 1; from <= last; {
		batch, next, err := b.directGet(ctx, subject, from)
		if err != nil {
			return nil, false, err
		}
		for _, m := range batch {
			if m.Seq > last {
				return out, true, nil
			}
			if len(out) == max {
				return nil, false, nil
			}
			out = append(out, m)
		}
		if next == 0 {
			break
		}
		from = next
	}
	return out, true, nil
}

// directGet reads up to replayBatch signed messages on subject from
// sequence from on, and returns the sequence to read on from, 0 when
// nothing is left.
func (b *Bus) directGet(ctx context.Context, subject string, from uint64) ([]Message, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, _ := json.Marshal(map[string]any{"seq": from, "next_by_subj": subject, "batch": replayBatch, "max_bytes": 4 << 20})
	inbox := b.nc.NewRespInbox()
	sub, err := b.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, 0, err
	}
	defer sub.Unsubscribe()
	if err := b.nc.PublishRequest("$JS.API.DIRECT.GET."+b.name, inbox, req); err != nil {
		return nil, 0, err
	}
	var out []Message
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("read stream from %d: %w", from, err)
		}
		if len(m.Data) == 0 && m.Header.Get("Status") != "" {
			return out, endOfBatch(m, out), statusErr(m)
		}
		seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("read stream from %d: a message without its sequence", from)
		}
		subj := m.Header.Get(jetstream.SubjectHeader)
		if b.verified(seq, subj, m.Header, m.Data) {
			out = append(out, Message{Seq: seq, Subject: subj, Data: m.Data})
		}
		from = seq + 1
		if m.Header.Get("Nats-Num-Pending") == "" {
			// A server older than 2.11 answers one message and no end.
			return out, from, nil
		}
	}
}

// endOfBatch is where to read on after a batch's closing status: nowhere
// when nothing matching is pending (or nothing matched at all).
func endOfBatch(m *nats.Msg, got []Message) uint64 {
	if m.Header.Get("Status") != "204" || m.Header.Get("Nats-Num-Pending") == "0" {
		return 0
	}
	last, err := strconv.ParseUint(m.Header.Get("Nats-Last-Sequence"), 10, 64)
	if err != nil || last == 0 {
		if len(got) == 0 {
			return 0
		}
		last = got[len(got)-1].Seq
	}
	return last + 1
}

// statusErr is the error in a closing status: none for the end of a batch
// (204) or for no matching message (404).
func statusErr(m *nats.Msg) error {
	switch st := m.Header.Get("Status"); st {
	case "204", "404":
		return nil
	default:
		return errors.New("direct get: " + st + " " + m.Header.Get("Description"))
	}
}
