// Package publisher is the publisher service: it hears every event on the
// bus and hands each one to the real-time channels allowed to see it.
//
// There are three kinds of channel, each authorised when it is opened:
// a bar's board (its staff: every event of the bar), a bar's store channel
// (anyone: configuration changes only) and a user's own channel (their
// order events, across bars). A subscriber that cannot keep up is dropped
// rather than slowing everyone else; its client reconnects and resumes
// from the stream with Last-Event-ID. A subscription also ends when the
// session that opened it is signed out (an AuthService.SessionsEnded event,
// which no channel ever carries), and resumes are bounded per client
// (limit.go), since each one reads the stream.
package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"presso"
	"presso/bus"
)

// Kind is a kind of channel.
type Kind int

const (
	Board Kind = iota // staff of one bar: everything of the bar
	Store             // anyone: one bar's configuration changes
	User              // one user's own order events
)

// Channel names one real-time channel.
type Channel struct {
	Kind    Kind
	EventID string // Board, Store
	UserID  string // User
}

// Subject is the stream subject filter that covers the channel. A bar's
// filters are built by presso.Subject, like every subject on the bus; a
// user's orders may be at any bar, so theirs is the whole stream.
func (c Channel) Subject() string {
	switch c.Kind {
	case Board:
		return presso.Subject(c.EventID, ">")
	case Store:
		return presso.Subject(c.EventID, "ConfigService.>")
	}
	return "presso.>"
}

// Message is what a channel's client receives.
type Message struct {
	Seq    uint64         `json:"-"`
	Type   string         `json:"type"`
	Detail map[string]any `json:"detail"`
}

// Match reports whether env belongs on the channel, and returns the detail
// the channel may see. presso's own events about sessions are on no
// channel, whatever bar they name.
func (c Channel) Match(env *presso.Envelope) (map[string]any, bool) {
	if internal(env) {
		return nil, false
	}
	switch c.Kind {
	case Board:
		return env.Detail, env.EventID == c.EventID
	case Store:
		return env.Detail, env.EventID == c.EventID && env.DetailType == presso.ConfigServiceConfigChanged
	case User:
		uid, _ := env.Detail["userId"].(string)
		if uid != c.UserID || !(strings.HasPrefix(env.DetailType, "OrderManager.") || strings.HasPrefix(env.DetailType, "OrderProcessor.")) {
			return nil, false
		}
		return env.Detail, true
	}
	return nil, false
}

// internal reports whether env is one of presso's own events that no client
// may see.
func internal(env *presso.Envelope) bool { return strings.HasPrefix(env.DetailType, "AuthService.") }

// Holder is who opened a subscription: the hash of their session's token
// and their user id. Signing the session out ends the subscription.
type Holder struct {
	SessionHash, UserID string
}

// Subscription receives a channel's messages in stream order.
type Subscription struct {
	C      chan Message
	ch     Channel
	holder Holder
	done   chan struct{} // closed when the publisher ends the subscription
	once   sync.Once
}

// Done is closed when the publisher ended the subscription: the subscriber
// fell behind (its client resumes), or its session was signed out (its
// client, reconnecting, is refused or gets what an anonymous caller gets).
func (s *Subscription) Done() <-chan struct{} { return s.done }

func (s *Subscription) end() { s.once.Do(func() { close(s.done) }) }

// Publisher fans events out to subscriptions.
type Publisher struct {
	bus *bus.Bus
	log *slog.Logger

	ready atomic.Bool

	resumes *limiter // anonymous clients by address, signed-in ones by user
	shared  *limiter // signed-in ones by address

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	ended   map[string]time.Time // session hashes signed out lately, and when
	lastSeq uint64               // the last sequence handed out, so a snapshot knows where it stands
	started bool                 // lastSeq has been read from the stream
}

// New returns a publisher; start it with Run.
func New(b *bus.Bus, log *slog.Logger) *Publisher {
	return &Publisher{bus: b, log: log, subs: map[*Subscription]struct{}{}, ended: map[string]time.Time{},
		resumes: newLimiter(resumeBurst, resumeRate, maxClients), shared: newLimiter(addrBurst, addrRate, maxClients)}
}

// Epoch is the epoch of the stream's sequences (bus.Bus.CheckEpoch): ids
// of another epoch name other events.
func (p *Publisher) Epoch() uint64 { return p.bus.Epoch() }

// Run hears the bus until ctx ends. It starts right after the stream's
// last event, so nothing published while it starts is skipped, and if the
// feed cannot be set up (a cluster still electing leaders) it keeps trying.
func (p *Publisher) Run(ctx context.Context) {
	for wait := 250 * time.Millisecond; ctx.Err() == nil; wait = min(2*wait, 5*time.Second) {
		stop, err := p.start(ctx)
		if err == nil {
			p.ready.Store(true)
			<-ctx.Done()
			stop()
			return
		}
		p.log.Warn("real-time feed not started; trying again", "in", wait, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

func (p *Publisher) start(ctx context.Context) (func(), error) {
	p.mu.Lock()
	started, from := p.started, p.lastSeq
	p.mu.Unlock()
	if !started {
		seq, err := p.bus.LastSeq(ctx)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.lastSeq, p.started = seq, true
		p.mu.Unlock()
		from = seq
	}
	return p.bus.Consume(ctx, from, p.dispatch)
}

// Ready reports whether the real-time feed is running.
func (p *Publisher) Ready() error {
	if !p.ready.Load() {
		return errors.New("the real-time feed is not running yet")
	}
	return nil
}

func (p *Publisher) dispatch(m bus.Message) {
	var env presso.Envelope
	if err := json.Unmarshal(m.Data, &env); err != nil {
		p.log.Warn("undecodable event", "seq", m.Seq, "err", err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.Seq <= p.lastSeq {
		return // already handed out
	}
	p.lastSeq = m.Seq
	if env.DetailType == presso.AuthServiceSessionsEnded {
		p.endSessions(&env)
		return
	}
	for s := range p.subs {
		detail, ok := s.ch.Match(&env)
		if !ok {
			continue
		}
		select {
		case s.C <- Message{Seq: m.Seq, Type: env.DetailType, Detail: detail}:
		default:
			delete(p.subs, s)
			s.end()
		}
	}
}

// endedFor is how long a signed-out session is remembered, so a stream
// whose session was checked just before the sign-out, and which subscribes
// just after its event, is ended too.
const endedFor = 2 * time.Minute

// endSessions ends every subscription of the session or the user that env
// names. The caller holds p.mu.
func (p *Publisher) endSessions(env *presso.Envelope) {
	hash, _ := env.Detail["sessionHash"].(string)
	uid, _ := env.Detail["userId"].(string)
	now := time.Now()
	for h, at := range p.ended {
		if now.Sub(at) > endedFor {
			delete(p.ended, h)
		}
	}
	if hash != "" {
		p.ended[hash] = now
	}
	for s := range p.subs {
		if (hash != "" && s.holder.SessionHash == hash) || (uid != "" && s.holder.UserID == uid) {
			delete(p.subs, s)
			s.end()
		}
	}
}

// Subscribe opens a channel for holder. The caller must Unsubscribe. It
// also returns the last sequence already dispatched: everything after it
// will arrive on the subscription. A holder whose session was signed out
// gets a subscription that is already done.
func (p *Publisher) Subscribe(ch Channel, holder Holder) (*Subscription, uint64) {
	s := &Subscription{C: make(chan Message, 256), ch: ch, holder: holder, done: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, gone := p.ended[holder.SessionHash]; gone && holder.SessionHash != "" {
		s.end()
		return s, p.lastSeq
	}
	p.subs[s] = struct{}{}
	return s, p.lastSeq
}

// Unsubscribe closes a subscription.
func (p *Publisher) Unsubscribe(s *Subscription) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.subs, s)
}

// Replay returns the channel's messages after seq of epoch up to now. ok
// is false when they cannot all be had (another epoch, too many, or older
// than the stream keeps), and the client needs a snapshot instead.
func (p *Publisher) Replay(ctx context.Context, ch Channel, epoch, after uint64) ([]Message, bool, error) {
	if epoch != p.bus.Epoch() {
		return nil, false, nil
	}
	msgs, ok, err := p.bus.Replay(ctx, ch.Subject(), after, 5000)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := []Message{}
	for _, m := range msgs {
		var env presso.Envelope
		if err := json.Unmarshal(m.Data, &env); err != nil {
			continue
		}
		if detail, ok := ch.Match(&env); ok {
			out = append(out, Message{Seq: m.Seq, Type: env.DetailType, Detail: detail})
		}
	}
	return out, true, nil
}
