package publisher

import "sync"

// maxQueued is how many messages may wait for one subscriber before it
// counts as fallen behind and is dropped (its client resumes).
const maxQueued = 256

// Subscription receives a channel's messages in stream order. Messages
// wait in a queue that holds nothing while the subscriber keeps up, so an
// idle subscription costs a few hundred bytes; Take hands over everything
// waiting at once, for the subscriber to write in one go.
type Subscription struct {
	ch     Channel
	holder Holder
	done   chan struct{} // closed when the publisher ends the subscription

	mu     sync.Mutex
	queue  []*Message
	ended  bool
	notify func() // called when messages start waiting, or the subscription ends
}

func newSubscription(ch Channel, holder Holder) *Subscription {
	return &Subscription{ch: ch, holder: holder, done: make(chan struct{})}
}

// Done is closed when the publisher ended the subscription: the subscriber
// fell behind (its client resumes), or its session was signed out (its
// client, reconnecting, is refused or gets what an anonymous caller gets).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Notify makes the publisher call fn whenever messages start waiting and
// when it ends the subscription; fn must not block. It is called at once
// if either is so already.
func (s *Subscription) Notify(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = fn
	if len(s.queue) > 0 || s.ended {
		fn()
	}
}

// Take returns the messages waiting, oldest first, and empties the queue.
func (s *Subscription) Take() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil // an idle subscription holds no buffer
	return q
}

// Pending is how many messages wait.
func (s *Subscription) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// push queues m, and reports false when the subscriber has fallen behind.
func (s *Subscription) push(m *Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return true
	}
	if len(s.queue) >= maxQueued {
		return false
	}
	s.queue = append(s.queue, m)
	if len(s.queue) == 1 && s.notify != nil {
		s.notify()
	}
	return true
}

func (s *Subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.ended = true
	close(s.done)
	if s.notify != nil {
		s.notify()
	}
}

// set is the subscriptions under one key of an index.
type set = map[*Subscription]struct{}

// index finds subscriptions by a key: a bar, a user, a session.
type index map[string]set

func (ix index) add(key string, s *Subscription) {
	if key == "" {
		return
	}
	if ix[key] == nil {
		ix[key] = set{}
	}
	ix[key][s] = struct{}{}
}

func (ix index) remove(key string, s *Subscription) {
	if subs := ix[key]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(ix, key)
		}
	}
}
