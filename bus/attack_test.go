package bus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"presso"
	"presso/bus"
	"presso/internal/testkit"
	"presso/store"
)

// The attacks of issue 8 on the bus, each on loopback.

// listening opens a bus whose embedded server listens on a free port with
// users, and a database, in dir (a fresh one when empty). It returns the
// listener's address and passwords.
func listening(t *testing.T, dir string, cfg bus.Config) (*bus.Bus, *store.DB, string, bus.Credentials) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	creds, _, err := bus.LoadCredentials(filepath.Join(dir, "nats-users.json"))
	if err != nil {
		t.Fatal(err)
	}
	addr := testkit.FreeAddr(t)
	cfg.StoreDir, cfg.Listen, cfg.Users, cfg.Key = filepath.Join(dir, "nats"), addr, creds, []byte(testKey)
	b, err := bus.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	db, err := store.Open(t.Context(), filepath.Join(dir, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return b, db, addr, creds
}

// connect signs in to the listener as user.
func connect(t *testing.T, addr, user, password string) (*nats.Conn, jetstream.Stream) {
	t.Helper()
	nc, err := nats.Connect("nats://"+addr, nats.UserInfo(user, password))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), "PRESSO")
	if err != nil {
		t.Fatalf("stream as %s: %v", user, err)
	}
	return nc, st
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestReplayLeavesNoConsumer: 1,500 resumes, each replaying the 19 events
// after the first, all answer in full, and the stream holds no consumer
// afterwards. Through ordered consumers, which JetStream keeps five minutes,
// the 1,001st failed ("maximum consumers limit reached").
func TestReplayLeavesNoConsumer(t *testing.T) {
	b, db, addr, creds := listening(t, "", bus.Config{})
	ctx := t.Context()
	want := appendEvents(t, db, "demo", 20)
	if err := bus.NewRelay(db, b, time.Now, quiet()).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Ten clients at once, 150 resumes each.
	var wg sync.WaitGroup
	errs := make(chan error, 1500)
	for range 10 {
		wg.Go(func() {
			for range 150 {
				msgs, ok, err := b.Replay(ctx, "presso.demo.>", 1, 5000)
				if err != nil || !ok || len(msgs) != 19 || msgs[0].Seq != 2 || msgs[18].Seq != 20 {
					errs <- fmt.Errorf("Replay(presso.demo.>, 1) = %d messages, ok %v, %v; want seqs 2..20", len(msgs), ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := streamIDs(t, b, "presso.demo.>", 1); !slices.Equal(got, want[1:]) {
		t.Fatalf("replayed ids = %v, want %v", got, want[1:])
	}
	_, st := connect(t, addr, bus.ReaderUser, creds.ReaderPassword)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Fatalf("consumers after 1,500 replays = %d, want 0", info.State.Consumers)
	}
	c := info.Config
	if c.MaxConsumers != 64 || c.MaxBytes != 512<<20 || c.MaxMsgs != -1 || c.MaxMsgSize != 1<<20 || c.Discard != jetstream.DiscardOld || !c.AllowDirect {
		t.Fatalf("stream limits = consumers %d, bytes %d, msgs %d, msg size %d, discard %v, direct %v; want 64, 512 MiB, -1, 1 MiB, old, true",
			c.MaxConsumers, c.MaxBytes, c.MaxMsgs, c.MaxMsgSize, c.Discard, c.AllowDirect)
	}
}

// TestPublishDeadline: a stream that stops acknowledging (as JetStream did
// on a full disk) fails each batch after PublishTimeout instead of holding
// the relay for ever, and a stream that refuses events (no room) fails at
// once; either way the running relay carries on by itself when the stream
// takes events again, and the outbox drains within 10 s.
func TestPublishDeadline(t *testing.T) {
	b, db, addr, creds := listening(t, "", bus.Config{PublishTimeout: 300 * time.Millisecond})
	ctx := t.Context()
	nc, st := connect(t, addr, bus.FullUser, creds.Password)
	js, _ := jetstream.New(nc)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	healthy := info.Config
	update := func(change func(*jetstream.StreamConfig)) {
		t.Helper()
		c := healthy
		change(&c)
		if _, err := js.UpdateStream(ctx, c); err != nil {
			t.Fatalf("update stream: %v", err)
		}
	}

	update(func(c *jetstream.StreamConfig) { c.NoAck = true })
	start := time.Now()
	n, last, err := b.PublishBatch(context.Background(), []bus.Outgoing{{Subject: "presso.demo.X.Y", ID: "e1", Data: []byte(`{"id":"e1"}`)}})
	if took := time.Since(start); n != 0 || last != 0 || err == nil || took > 2*time.Second {
		t.Fatalf("PublishBatch with no acks = %d, %d, %v after %v; want 0, 0, an error within 2 s", n, last, err, took)
	}

	relayCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.NewRelay(db, b, time.Now, quiet()).Run(relayCtx, 50*time.Millisecond); close(done) }()
	defer func() { stop(); <-done }()
	for _, outage := range []struct {
		name   string
		change func(*jetstream.StreamConfig)
	}{
		{"no acknowledgements", func(c *jetstream.StreamConfig) { c.NoAck = true }},
		{"no room", func(c *jetstream.StreamConfig) { c.MaxBytes, c.Discard = 1, jetstream.DiscardNew }},
	} {
		update(outage.change)
		before, _ := b.LastSeq(ctx)
		appendEvents(t, db, "demo", 30)
		time.Sleep(1500 * time.Millisecond)
		if n, _ := db.PendingOutbox(ctx); n != 30 {
			t.Fatalf("%s: pending after 1.5 s = %d, want all 30 still waiting", outage.name, n)
		}
		update(func(*jetstream.StreamConfig) {})
		start := time.Now()
		for {
			n, _ := db.PendingOutbox(ctx)
			if n == 0 {
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s: %d events still waiting 10 s after the stream recovered", outage.name, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		after, _ := b.LastSeq(ctx)
		t.Logf("%s: drained %d events %v after the stream recovered", outage.name, after-before, time.Since(start).Round(time.Millisecond))
		if outage.name == "no room" && after-before != 30 {
			t.Fatalf("%s: the stream took %d events, want the 30 once each", outage.name, after-before)
		}
	}
}

// TestForgedNeverDelivered: messages published on the listener that presso
// did not sign (a made-up id, a real id with other data, a real signature
// on other data) are neither heard nor replayed; the real events around
// them are.
func TestForgedNeverDelivered(t *testing.T) {
	var logs bytes.Buffer
	b, db, addr, creds := listening(t, "", bus.Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := t.Context()
	relay := bus.NewRelay(db, b, time.Now, quiet())
	real := appendEvents(t, db, "demo", 1)
	if err := relay.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	heard := make(chan string, 10)
	stopConsume, err := b.Consume(ctx, 0, func(m bus.Message) {
		var env presso.Envelope
		json.Unmarshal(m.Data, &env)
		heard <- env.ID
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stopConsume()
	if got := <-heard; got != real[0] {
		t.Fatalf("heard %s first, want the real event %s", got, real[0])
	}

	nc, st := connect(t, addr, bus.FullUser, creds.Password)
	js, _ := jetstream.New(nc)
	orig, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(orig.Data, []byte(`"userId":"u"`), []byte(`"userId":"mallory"`), 1)
	subject := presso.Subject("demo", presso.OrderManagerOrderCompleted)
	forged := []struct {
		name, id, sig string
		data          []byte
	}{
		{"made-up id, unsigned", "ev_forged", "", []byte(`{"id":"ev_forged","detailType":"OrderManager.OrderCompleted","eventId":"demo","detail":{"orderId":"o_fake"}}`)},
		{"made-up id, a real signature", "ev_forged2", orig.Header.Get("Presso-Sig"), []byte(`{"id":"ev_forged2","detailType":"OrderManager.OrderCompleted","eventId":"demo","detail":{"orderId":"o_fake"}}`)},
		{"real id in the data, altered, its signature", "", orig.Header.Get("Presso-Sig"), altered},
		{"other id, the real data and signature", "ev_other", orig.Header.Get("Presso-Sig"), orig.Data},
	}
	for _, f := range forged {
		m := nats.NewMsg(subject)
		m.Data = f.data
		if f.id != "" {
			m.Header.Set(jetstream.MsgIDHeader, f.id)
		}
		if f.sig != "" {
			m.Header.Set("Presso-Sig", f.sig)
		}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatalf("%s: publish: %v", f.name, err)
		}
	}
	if last, _ := b.LastSeq(ctx); last != 5 {
		t.Fatalf("stream last seq after 4 forgeries = %d, want 5 (they are on the stream)", last)
	}
	more := appendEvents(t, db, "demo", 1)
	if err := relay.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got != more[0] {
			t.Fatalf("heard %s after the forgeries, want only the next real event %s", got, more[0])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the real event after the forgeries was not heard")
	}
	if got, want := streamIDs(t, b, "presso.>", 0), append(real, more...); !slices.Equal(got, want) {
		t.Fatalf("replay = %v, want only the real %v", got, want)
	}
	if !strings.Contains(logs.String(), "did not sign") {
		t.Fatalf("no warning about the forged messages in the log:\n%s", logs.String())
	}
}

// TestListenerAuth: the embedded listener refuses connections without the
// right password; the reader may read the stream (info, messages, an
// ordered consumer) but not publish on it or change it.
func TestListenerAuth(t *testing.T) {
	b, db, addr, creds := listening(t, "", bus.Config{})
	ctx := t.Context()
	appendEvents(t, db, "demo", 2)
	if err := bus.NewRelay(db, b, time.Now, quiet()).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []struct {
		name string
		opt  nats.Option
	}{
		{"no credentials", func(*nats.Options) error { return nil }},
		{"the reader's name, the full user's password", nats.UserInfo(bus.ReaderUser, creds.Password)},
		{"a wrong password", nats.UserInfo(bus.FullUser, "not-the-password-at-all")},
	} {
		nc, err := nats.Connect("nats://"+addr, opt.opt, nats.MaxReconnects(0))
		if err == nil {
			nc.Close()
			t.Fatalf("connect with %s: accepted, want refused", opt.name)
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Fatalf("connect with %s = %v, want an authorization violation", opt.name, err)
		}
	}

	nc, st := connect(t, addr, bus.ReaderUser, creds.ReaderPassword)
	js, _ := jetstream.New(nc)
	if m, err := st.GetMsg(ctx, 2); err != nil || m.Sequence != 2 {
		t.Fatalf("reader GetMsg(2) = %v, %v; want message 2", m, err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("reader ordered consumer: %v", err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for range batch.Messages() {
		read++
	}
	if read != 2 {
		t.Fatalf("reader's consumer read %d messages, want 2", read)
	}
	pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if _, err := js.Publish(pctx, presso.Subject("demo", presso.OrderManagerOrderCompleted), []byte(`{"id":"x"}`)); err == nil {
		t.Fatal("reader published on the stream, want refused")
	}
	info, _ := st.Info(ctx)
	if info.State.LastSeq != 2 {
		t.Fatalf("stream last seq after the reader's publish = %d, want 2", info.State.LastSeq)
	}
	c := info.Config
	c.MaxAge = time.Minute
	if _, err := js.UpdateStream(pctx, c); err == nil {
		t.Fatal("reader changed the stream, want refused")
	}
}

// TestCheckEpoch: a restart on the same store keeps the epoch; a store
// that was lost, or that comes back behind what the relay published,
// starts a new one, said at Error in the log.
func TestCheckEpoch(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	step := func(name string, wantEpoch uint64, wantReport bool) {
		t.Helper()
		logs.Reset()
		b, db, _, _ := listening(t, dir, bus.Config{Log: log})
		got, err := b.CheckEpoch(t.Context(), db)
		if err != nil || got != wantEpoch || b.Epoch() != wantEpoch {
			t.Fatalf("%s: CheckEpoch() = %d, %v (Epoch() %d); want %d", name, got, err, b.Epoch(), wantEpoch)
		}
		if reported := strings.Contains(logs.String(), "level=ERROR") && strings.Contains(logs.String(), "not the one the database remembers"); reported != wantReport {
			t.Fatalf("%s: reported a lost stream = %v, want %v:\n%s", name, reported, wantReport, logs.String())
		}
		appendEvents(t, db, "demo", 3)
		if err := bus.NewRelay(db, b, time.Now, quiet()).Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		b.Close()
		db.Close()
	}
	step("first start", 1, false)
	step("restart", 1, false)
	if err := os.RemoveAll(filepath.Join(dir, "nats")); err != nil {
		t.Fatal(err)
	}
	step("store lost", 2, true)
	step("restart after the loss", 2, false)
	db, err := store.Open(t.Context(), filepath.Join(dir, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The relay was acknowledged up to 100, the stream ends at 6: it lost
	// messages (a damaged block) and would hand out 7..100 again.
	if err := db.Tx(t.Context(), func(tx *store.Tx) error { return tx.SetSetting(t.Context(), "stream.seq", "100") }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	step("stream behind the relay", 3, true)
}

// TestLoadCredentials: made once with mode 0600 and read back the same;
// a file others may read is refused.
func TestLoadCredentials(t *testing.T) {
	file := filepath.Join(t.TempDir(), "nats-users.json")
	first, created, err := bus.LoadCredentials(file)
	if err != nil || !created || len(first.Password) < 16 || len(first.ReaderPassword) < 16 || first.Password == first.ReaderPassword {
		t.Fatalf("LoadCredentials() on no file = %+v, created %v, %v; want two new distinct passwords", first, created, err)
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode = %o, want 600", info.Mode().Perm())
	}
	again, created, err := bus.LoadCredentials(file)
	if err != nil || created || again != first {
		t.Fatalf("LoadCredentials() again = %+v, created %v, %v; want the same, not created", again, created, err)
	}
	os.Chmod(file, 0o644)
	if _, _, err := bus.LoadCredentials(file); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("LoadCredentials() of a 0644 file = %v, want refused", err)
	}
}
