package bus

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"presso/store"
)

// Anyone who can publish on the stream's subjects could otherwise put an
// event on every screen (a forged OrderManager.OrderCompleted reached the
// barista board). So the relay signs what it publishes with a key only
// presso's replicas know, and nothing unsigned, or signed over other
// content, is ever handed on.

// sigHeader carries the signature: HMAC-SHA256 over the event id, the
// subject and the data.
const sigHeader = "Presso-Sig"

// settingKey is where the database keeps the deployment's event key, so
// every replica signs and checks with the same one.
const settingKey = "event.key"

// EventKey returns the deployment's event key, made on the first start.
func EventKey(ctx context.Context, db *store.DB) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	var kept string
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		kept, err = tx.InitSetting(ctx, settingKey, hex.EncodeToString(fresh))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("event key: %w", err)
	}
	key, err := hex.DecodeString(kept)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("event key: the database holds a malformed %s", settingKey)
	}
	return key, nil
}

func sign(key []byte, id, subject string, data []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	m.Write([]byte{0})
	m.Write(data)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verified reports whether a message read from the stream is one presso
// wrote: its signature matches its id, subject and data. A message that
// is not is logged (at most once a minute) and dropped. (The id inside
// the data needs no check of its own: only presso signs, and it signs an
// envelope with the id it carries, so a signature over the pair vouches
// for both.)
func (b *Bus) verified(seq uint64, subject string, h nats.Header, data []byte) bool {
	id := h.Get(jetstream.MsgIDHeader)
	if id != "" && hmac.Equal([]byte(h.Get(sigHeader)), []byte(sign(b.key, id, subject, data))) {
		return true
	}
	if n, ok := b.forged.take(time.Now()); ok {
		b.log.Warn("dropped messages on the stream that presso did not sign", "seq", seq, "subject", subject, "count", n)
	}
	return false
}

// warnOnce lets a warning out once a minute, counting the ones held back,
// so a flood of forged messages cannot flood the log too.
type warnOnce struct {
	mu   sync.Mutex
	last time.Time
	n    int
}

func (w *warnOnce) take(now time.Time) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	if now.Sub(w.last) < time.Minute {
		return 0, false
	}
	n := w.n
	w.last, w.n = now, 0
	return n, true
}
