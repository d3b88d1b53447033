// Package bus carries presso's events: an outbox relay feeding one durable
// NATS JetStream stream. By default the NATS server runs in-process with
// its file store in the data directory; given a URL, the same code talks
// to an external cluster.
//
// Subjects are presso.<eventId>.<Source>.<DetailType>, as presso.Subject
// builds them. Each message's Nats-Msg-Id is the event id, so a relay that
// publishes an event twice (after a crash between publishing and marking
// it) is deduplicated by JetStream, and each carries a signature made with
// the deployment's key (sign.go): whatever else reaches the stream is
// never handed on. Replays read the stream by sequence (replay.go), so a
// resuming client costs no consumer. epoch.go tells, at start-up, a stream
// that was lost or rewound from the one the database remembers.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the bus is and how its stream is kept.
type Config struct {
	URL      string // empty: run an embedded server
	StoreDir string // the embedded server's JetStream directory
	// MaxStore is the disk the embedded JetStream may use, set on purpose
	// rather than guessed from the free space at start; default 1 GiB.
	MaxStore int64
	// Listen makes the embedded server also accept NATS clients on this
	// host:port, so tools (and other replicas, in a pinch) can reach it;
	// they must sign in as one of Users.
	Listen string
	Users  Credentials
	Stream string // stream name, default PRESSO
	// Replicas is the stream's replicas on a cluster, default 1.
	Replicas int
	// Duplicates is how long JetStream remembers event ids; a relay that
	// republishes within it is deduplicated. Default 2 h.
	Duplicates time.Duration
	MaxAge     time.Duration // how long the stream keeps events; default 7 days
	// MaxBytes bounds the stream; past it the oldest events go, so the feed
	// never stops for want of room. Default 512 MiB.
	MaxBytes int64
	// Key signs every event presso publishes; messages without a good
	// signature are never delivered. At least 16 bytes.
	Key []byte
	// PublishTimeout bounds each PublishBatch, whatever its context says:
	// an acknowledgement that never comes fails the batch. Default 5 s.
	PublishTimeout time.Duration
	// StartTimeout bounds how long Open waits for a cluster to be able to
	// create the stream; default 60 s.
	StartTimeout time.Duration
	Log          *slog.Logger
}

// The stream's limits that are not settings. Every replica holds one
// consumer (its live feed) and resumes hold none, so 64 leaves room for
// tools; 1 MiB is NATS's own largest message.
const (
	maxConsumers = 64
	maxMsgSize   = 1 << 20
)

// Bus is a connection to the stream.
type Bus struct {
	ns      *server.Server // nil when external
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	name    string
	key     []byte
	timeout time.Duration
	log     *slog.Logger
	forged  warnOnce

	epoch   atomic.Uint64 // set by CheckEpoch
	created atomic.Int64  // the stream's creation time (Unix ns) that the epoch stands for
}

func (c *Config) defaults() {
	c.Stream = cmpOr(c.Stream, "PRESSO")
	c.Replicas = cmpOr(c.Replicas, 1)
	c.Duplicates = cmpOr(c.Duplicates, 2*time.Hour)
	c.MaxAge = cmpOr(c.MaxAge, 7*24*time.Hour)
	c.MaxBytes = cmpOr(c.MaxBytes, 512<<20)
	c.MaxStore = cmpOr(c.MaxStore, 1<<30)
	c.PublishTimeout = cmpOr(c.PublishTimeout, 5*time.Second)
	c.StartTimeout = cmpOr(c.StartTimeout, 60*time.Second)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Open starts or connects to NATS and creates or updates the stream.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	cfg.defaults()
	if len(cfg.Key) < 16 {
		return nil, errors.New("bus: the event key must be at least 16 bytes")
	}
	b := &Bus{name: cfg.Stream, key: cfg.Key, timeout: cfg.PublishTimeout, log: cfg.Log}
	opts := []nats.Option{nats.Name("presso"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if cfg.URL == "" {
		ns, err := embedded(cfg)
		if err != nil {
			return nil, err
		}
		b.ns = ns
		opts = append(opts, nats.InProcessServer(ns))
		if cfg.Listen != "" {
			opts = append(opts, nats.UserInfo(FullUser, cfg.Users.Password))
		}
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	b.nc = nc
	// A bounded window of unacknowledged publishes; an ack that never comes
	// fails its future when the batch's deadline passes, and leaves the
	// window then too.
	if b.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(512), jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout)); err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := b.createStream(ctx, cfg); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// embedded starts the in-process NATS server; it listens (with users) only
// when cfg.Listen says so.
func embedded(cfg Config) (*server.Server, error) {
	sopts := &server.Options{ServerName: "presso-embedded", JetStream: true, StoreDir: cfg.StoreDir,
		DontListen: true, NoSigs: true, NoLog: true, JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: cfg.MaxStore}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		sopts.DontListen, sopts.Host = false, host
		if sopts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
		}
		if sopts.Users, err = cfg.Users.users(cfg.Stream); err != nil {
			return nil, err
		}
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats did not start within 30s")
	}
	return ns, nil
}

// createStream creates the stream or brings its limits up to date. A
// cluster that is still electing its leaders answers with timeouts for a
// while; it keeps asking rather than fail the whole start.
func (b *Bus) createStream(ctx context.Context, cfg Config) error {
	sc := jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{"presso.>"}, Storage: jetstream.FileStorage,
		Replicas: cfg.Replicas, MaxAge: cfg.MaxAge, Duplicates: cfg.Duplicates,
		MaxBytes: cfg.MaxBytes, MaxMsgs: -1, MaxMsgSize: maxMsgSize, MaxConsumers: maxConsumers,
		Discard: jetstream.DiscardOld, AllowDirect: true,
	}
	give := time.Now().Add(cfg.StartTimeout)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		var err error
		if b.stream, err = b.js.CreateOrUpdateStream(ctx, sc); err == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(give) {
			return fmt.Errorf("create stream %s: %w", cfg.Stream, err)
		}
		cfg.Log.Warn("waiting for JetStream", "stream", cfg.Stream, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// Close drains the connection and stops an embedded server.
func (b *Bus) Close() {
	if b.nc != nil {
		b.nc.Drain()
		for i := 0; i < 100 && !b.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}

// Ready reports whether the bus can take messages now.
func (b *Bus) Ready(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return errors.New("nats is not connected")
	}
	_, err := b.stream.Info(ctx)
	return err
}

// Outgoing is one event to publish.
type Outgoing struct {
	Subject, ID string
	Data        []byte
}

// PublishBatch publishes events pipelined, without waiting for each ack
// before sending the next, and returns how many from the start of the batch
// were acknowledged, and the stream sequence of the last of them that was
// new (0 if none was). One connection keeps the order on the stream; after
// a failure the caller publishes the rest again, and JetStream drops the
// copies of any that had landed. The batch has PublishTimeout at most.
func (b *Bus) PublishBatch(ctx context.Context, batch []Outgoing) (int, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	var sendErr error
	for _, o := range batch {
		m := nats.NewMsg(o.Subject)
		m.Data = o.Data
		m.Header.Set(jetstream.MsgIDHeader, o.ID)
		m.Header.Set(sigHeader, sign(b.key, o.ID, o.Subject, o.Data))
		f, err := b.js.PublishMsgAsync(m)
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	var last uint64
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if !ack.Duplicate {
				last = ack.Sequence
			}
		case err := <-f.Err():
			return i, last, err
		case <-ctx.Done():
			return i, last, fmt.Errorf("no acknowledgement from the stream: %w", ctx.Err())
		}
	}
	return len(futures), last, sendErr
}

// Message is one event read back from the stream.
type Message struct {
	Seq     uint64
	Subject string
	Data    []byte
}

// Consume delivers, in stream order, every message presso signed after
// sequence after (0: from the start) until stop is called. It is how each
// replica hears every event, whichever replica published it. It returns
// once the consumer is set up.
func (b *Bus) Consume(ctx context.Context, after uint64, handle func(Message)) (stop func(), err error) {
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"presso.>"}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1})
	if err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		if !b.verified(md.Sequence.Stream, m.Subject(), m.Headers(), m.Data()) {
			return
		}
		handle(Message{Seq: md.Sequence.Stream, Subject: m.Subject(), Data: m.Data()})
	})
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	return cc.Stop, nil
}

// LastSeq is the stream's last sequence, 0 when empty.
func (b *Bus) LastSeq(ctx context.Context) (uint64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}
