// Package bus carries presso's events: an outbox relay feeding one durable
// NATS JetStream stream. By default the NATS server runs in-process with
// its file store in the data directory; given a URL, the same code talks
// to an external cluster.
//
// Subjects are presso.<eventId>.<Source>.<DetailType>, as presso.Subject
// builds them. Each message's
// Nats-Msg-Id is the event id, so a relay that publishes an event twice
// (after a crash between publishing and marking it) is deduplicated by
// JetStream.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says where the bus is and how its stream is kept.
type Config struct {
	URL      string // empty: run an embedded server
	StoreDir string // the embedded server's JetStream directory
	// Listen makes the embedded server also accept NATS clients on this
	// host:port, so tools (and other replicas, in a pinch) can reach it.
	Listen   string
	Stream   string // stream name, default PRESSO
	Replicas int    // stream replicas on a cluster, default 1
	// Duplicates is how long JetStream remembers event ids; a relay that
	// republishes within it is deduplicated. Default 2 h.
	Duplicates time.Duration
	MaxAge     time.Duration // how long the stream keeps events; default 7 days
	// StartTimeout bounds how long Open waits for a cluster to be able to
	// create the stream; default 60 s.
	StartTimeout time.Duration
	Log          *slog.Logger
}

// Bus is a connection to the stream.
type Bus struct {
	ns     *server.Server // nil when external
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
}

// Open starts or connects to NATS and creates or updates the stream.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.Stream == "" {
		cfg.Stream = "PRESSO"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Duplicates == 0 {
		cfg.Duplicates = 2 * time.Hour
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 7 * 24 * time.Hour
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	b := &Bus{name: cfg.Stream}
	opts := []nats.Option{nats.Name("presso"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if cfg.URL == "" {
		sopts := &server.Options{ServerName: "presso-embedded", JetStream: true, StoreDir: cfg.StoreDir,
			DontListen: true, NoSigs: true, NoLog: true, JetStreamMaxMemory: 64 << 20}
		if cfg.Listen != "" {
			host, port, err := net.SplitHostPort(cfg.Listen)
			if err != nil {
				return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
			}
			sopts.DontListen, sopts.Host = false, host
			if sopts.Port, err = strconv.Atoi(port); err != nil {
				return nil, fmt.Errorf("nats listen port %q: %w", port, err)
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
		b.ns = ns
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	b.nc = nc
	// A bounded window of unacknowledged publishes; an ack that never comes
	// fails its future instead of hanging the relay.
	if b.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(512), jetstream.WithPublishAsyncTimeout(10*time.Second)); err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	// A cluster that is still electing its leaders answers with timeouts for
	// a while; keep asking rather than fail the whole start.
	sc := jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{"presso.>"}, Storage: jetstream.FileStorage,
		Replicas: cfg.Replicas, MaxAge: cfg.MaxAge, Duplicates: cfg.Duplicates,
	}
	give := time.Now().Add(cfg.StartTimeout)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if b.stream, err = b.js.CreateOrUpdateStream(ctx, sc); err == nil {
			return b, nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(give) {
			b.Close()
			return nil, fmt.Errorf("create stream %s: %w", cfg.Stream, err)
		}
		if cfg.Log != nil {
			cfg.Log.Warn("waiting for JetStream", "stream", cfg.Stream, "err", err)
		}
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
// were acknowledged. One connection keeps the order on the stream; after a
// failure the caller publishes the rest again, and JetStream drops the
// copies of any that had landed.
func (b *Bus) PublishBatch(ctx context.Context, batch []Outgoing) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	var sendErr error
	for _, o := range batch {
		m := nats.NewMsg(o.Subject)
		m.Data = o.Data
		m.Header.Set(jetstream.MsgIDHeader, o.ID)
		f, err := b.js.PublishMsgAsync(m)
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return i, err
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(futures), sendErr
}

// Message is one event read back from the stream.
type Message struct {
	Seq     uint64
	Subject string
	Data    []byte
}

// Consume delivers, in stream order, every message after sequence after
// (0: from the start) until stop is called. It is how each replica hears
// every event, whichever replica published it. It returns once the
// consumer is set up.
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

// Replay returns the messages on subject (wildcards allowed) after seq,
// up to the stream's last sequence now, at most max of them. ok is false
// when there were more than max, or seq is older than the stream keeps:
// the caller should start over from a snapshot. It reads through a
// short-lived consumer in batches, not a request per message.
func (b *Bus) Replay(ctx context.Context, subject string, after uint64, max int) ([]Message, bool, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return nil, false, err
	}
	last := info.State.LastSeq
	switch {
	case after > last:
		return nil, false, nil
	case info.State.Msgs > 0 && after+1 < info.State.FirstSeq:
		return nil, false, nil
	case after == last:
		return []Message{}, true, nil
	}
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1})
	if err != nil {
		return nil, false, err
	}
	out := []Message{}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(250*time.Millisecond))
		if err != nil {
			return nil, false, err
		}
		got, more := 0, true
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return nil, false, err
			}
			if md.Sequence.Stream > last {
				more = false
				break
			}
			if len(out) == max {
				return nil, false, nil
			}
			out = append(out, Message{Seq: md.Sequence.Stream, Subject: m.Subject(), Data: m.Data()})
			if md.Sequence.Stream == last || md.NumPending == 0 {
				more = false
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, false, err
		}
		if got == 0 || !more {
			return out, true, nil
		}
	}
}
