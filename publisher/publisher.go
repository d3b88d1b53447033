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

// Message is what a channel's client receives. Data is the message's SSE
// data, {"detail","type"} encoded once for every subscriber that gets it:
// they all write the same bytes, and none may change them.
type Message struct {
	Seq  uint64
	Type string
	Data []byte
}

// Match reports whether env belongs on the channel, and returns the detail
// the channel may see. presso's own events about sessions are on no
// channel, whatever bar they name.
func (c Channel) Match(env *presso.Envelope) (map[string]any, bool) {
	uid, _ := env.Detail["userId"].(string)
	if !c.sees(env.DetailType, env.EventID, uid) {
		return nil, false
	}
	return env.Detail, true
}

// sees is the rule of who sees what: every channel kind that sees an event
// sees all of its detail, so one encoding serves them all.
func (c Channel) sees(detailType, eventID, userID string) bool {
	if internal(detailType) {
		return false
	}
	switch c.Kind {
	case Board:
		return eventID == c.EventID
	case Store:
		return eventID == c.EventID && detailType == presso.ConfigServiceConfigChanged
	case User:
		return userID == c.UserID && (strings.HasPrefix(detailType, "OrderManager.") || strings.HasPrefix(detailType, "OrderProcessor."))
	}
	return false
}

// internal reports whether an event of detailType is one of presso's own
// that no client may see.
func internal(detailType string) bool { return strings.HasPrefix(detailType, "AuthService.") }

// Holder is who opened a subscription: the hash of their session's token
// and their user id. Signing the session out ends the subscription.
type Holder struct {
	SessionHash, UserID string
}

// Publisher fans events out to subscriptions.
type Publisher struct {
	bus *bus.Bus
	log *slog.Logger

	ready atomic.Bool

	resumes *limiter // anonymous clients by address, signed-in ones by user
	shared  *limiter // signed-in ones by address

	// Heard, when set (before Run), are told of the events every replica
	// hears that change what caches may hold: sessions ended (by hash or
	// user id, either may be empty) and a bar's configuration changed.
	sessionsEnded func(sessionHash, userID string)
	configChanged func(eventID string)

	mu sync.Mutex
	// The subscriptions by what finds them: an event goes to its bar's
	// boards and store channels and its user's channels, and a sign-out
	// to its session's or user's subscriptions, without looking at the
	// rest.
	boards, stores, users index                // by the channel's bar or user
	sessions, holders     index                // by the holder's session hash and user id
	ended                 map[string]time.Time // session hashes signed out lately, and when
	lastSeq               uint64               // the last sequence handed out, so a snapshot knows where it stands
	started               bool                 // lastSeq has been read from the stream
}

// New returns a publisher; start it with Run.
func New(b *bus.Bus, log *slog.Logger) *Publisher {
	return &Publisher{bus: b, log: log, ended: map[string]time.Time{},
		boards: index{}, stores: index{}, users: index{}, sessions: index{}, holders: index{},
		resumes: newLimiter(resumeBurst, resumeRate, maxClients), shared: newLimiter(addrBurst, addrRate, maxClients)}
}

// OnSessionsEnded makes the publisher call fn with the session hash and
// the user id (either may be empty) of every AuthService.SessionsEnded it
// hears, on every replica, so a cache of sessions can forget them. Call it
// before Run.
func (p *Publisher) OnSessionsEnded(fn func(sessionHash, userID string)) { p.sessionsEnded = fn }

// OnConfigChanged makes the publisher call fn with the bar of every
// ConfigService.ConfigChanged it hears, on every replica, so a cache of
// bars can forget it. Call it before Run.
func (p *Publisher) OnConfigChanged(fn func(eventID string)) { p.configChanged = fn }

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
	msg, a, err := decode(m)
	if err != nil {
		p.log.Warn("undecodable event", "seq", m.Seq, "err", err)
		return
	}
	if !p.deliver(msg, a) {
		return // already handed out
	}
	// The caches are told outside p.mu: they have locks of their own.
	switch {
	case msg.Type == presso.AuthServiceSessionsEnded && p.sessionsEnded != nil:
		p.sessionsEnded(a.SessionHash, a.UserID)
	case msg.Type == presso.ConfigServiceConfigChanged && p.configChanged != nil:
		p.configChanged(a.EventID)
	}
}

// deliver hands msg to the subscriptions that see it, found by its bar
// and its user, and reports false if it was handed out already.
func (p *Publisher) deliver(msg *Message, a about) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if msg.Seq <= p.lastSeq {
		return false
	}
	p.lastSeq = msg.Seq
	if msg.Type == presso.AuthServiceSessionsEnded {
		p.endSessions(a.SessionHash, a.UserID)
		return true
	}
	for _, subs := range []set{p.boards[a.EventID], p.stores[a.EventID], p.users[a.UserID]} {
		for s := range subs {
			if !s.ch.sees(msg.Type, a.EventID, a.UserID) {
				continue
			}
			if !s.push(msg) {
				p.drop(s)
				s.end()
			}
		}
	}
	return true
}

// endedFor is how long a signed-out session is remembered, so a stream
// whose session was checked just before the sign-out, and which subscribes
// just after its event, is ended too.
const endedFor = 2 * time.Minute

// endSessions ends every subscription of the session or the user named.
// The caller holds p.mu.
func (p *Publisher) endSessions(hash, uid string) {
	now := time.Now()
	for h, at := range p.ended {
		if now.Sub(at) > endedFor {
			delete(p.ended, h)
		}
	}
	if hash != "" {
		p.ended[hash] = now
	}
	var gone []*Subscription
	for s := range p.sessions[hash] {
		gone = append(gone, s)
	}
	for s := range p.holders[uid] {
		gone = append(gone, s)
	}
	for _, s := range gone {
		p.drop(s)
		s.end()
	}
}

// Subscribe opens a channel for holder. The caller must Unsubscribe. It
// also returns the last sequence already dispatched: everything after it
// will arrive on the subscription. A holder whose session was signed out
// gets a subscription that is already done.
func (p *Publisher) Subscribe(ch Channel, holder Holder) (*Subscription, uint64) {
	s := newSubscription(ch, holder)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, gone := p.ended[holder.SessionHash]; gone && holder.SessionHash != "" {
		s.end()
		return s, p.lastSeq
	}
	switch ch.Kind {
	case Board:
		p.boards.add(ch.EventID, s)
	case Store:
		p.stores.add(ch.EventID, s)
	case User:
		p.users.add(ch.UserID, s)
	}
	p.sessions.add(holder.SessionHash, s)
	p.holders.add(holder.UserID, s)
	return s, p.lastSeq
}

// Unsubscribe closes a subscription.
func (p *Publisher) Unsubscribe(s *Subscription) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop(s)
}

// drop takes s out of every index. The caller holds p.mu.
func (p *Publisher) drop(s *Subscription) {
	switch s.ch.Kind {
	case Board:
		p.boards.remove(s.ch.EventID, s)
	case Store:
		p.stores.remove(s.ch.EventID, s)
	case User:
		p.users.remove(s.ch.UserID, s)
	}
	p.sessions.remove(s.holder.SessionHash, s)
	p.holders.remove(s.holder.UserID, s)
}

// Subscribers is how many subscriptions are open.
func (p *Publisher) Subscribers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ix := range []index{p.boards, p.stores, p.users} {
		for _, subs := range ix {
			n += len(subs)
		}
	}
	return n
}

// Replay returns the channel's messages after seq of epoch up to now. ok
// is false when they cannot all be had (another epoch, too many, or older
// than the stream keeps), and the client needs a snapshot instead.
func (p *Publisher) Replay(ctx context.Context, ch Channel, epoch, after uint64) ([]*Message, bool, error) {
	if epoch != p.bus.Epoch() {
		return nil, false, nil
	}
	msgs, ok, err := p.bus.Replay(ctx, ch.Subject(), after, 5000)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := []*Message{}
	for _, m := range msgs {
		msg, a, err := decode(m)
		if err != nil {
			continue
		}
		if ch.sees(msg.Type, a.EventID, a.UserID) {
			out = append(out, msg)
		}
	}
	return out, true, nil
}
