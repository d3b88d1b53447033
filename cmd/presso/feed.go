package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"presso/bus"
	"presso/store"
)

// natsUsersFile is where the embedded NATS listener's passwords are kept,
// in the data directory, when no flag gives them.
const natsUsersFile = "nats-users.json"

// openBus opens the event bus as the options say: the event key from the
// database, the embedded store's size, the stream's limits and, when the
// embedded server listens, its users. It then checks the stream against
// what the database remembers (bus.Bus.CheckEpoch). It returns the
// welcome's lines about the listener: the passwords only on the start that
// made them.
func openBus(ctx context.Context, o options, db *store.DB, log *slog.Logger) (*bus.Bus, string, error) {
	key, err := bus.EventKey(ctx, db)
	if err != nil {
		return nil, "", err
	}
	cfg := bus.Config{URL: o.nats, Listen: o.natsListen, StoreDir: filepath.Join(o.data, "nats"), Stream: o.stream,
		Replicas: o.streamReplicas, MaxBytes: o.streamMaxMiB << 20, MaxStore: o.natsMaxStoreMiB << 20, Key: key, Log: log}
	var note string
	if o.nats == "" && o.natsListen != "" {
		if cfg.Users, note, err = natsUsers(o); err != nil {
			return nil, "", err
		}
	}
	b, err := bus.Open(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("open event bus: %w", err)
	}
	if _, err := b.CheckEpoch(ctx, db); err != nil {
		b.Close()
		return nil, "", err
	}
	return b, note, nil
}

// natsUsers are the listener's passwords, from the flags or the data
// directory's file (made on the first start), and what to print about them.
func natsUsers(o options) (bus.Credentials, string, error) {
	url := "nats://" + displayHost(o.natsListen)
	if o.natsPassword != "" {
		c := bus.Credentials{Password: o.natsPassword, ReaderPassword: o.natsReaderPassword}
		return c, fmt.Sprintf("  NATS      %s   (users %s and %s, with the passwords --nats-password and --nats-reader-password give)\n\n",
			url, bus.FullUser, bus.ReaderUser), nil
	}
	file := filepath.Join(o.data, natsUsersFile)
	c, created, err := bus.LoadCredentials(file)
	if err != nil {
		return c, "", fmt.Errorf("NATS listener passwords: %w", err)
	}
	if !created {
		return c, fmt.Sprintf("  NATS      %s   (users %s and %s; their passwords are in %s)\n\n", url, bus.FullUser, bus.ReaderUser, file), nil
	}
	var w strings.Builder
	fmt.Fprintf(&w, "  NATS      %s   (no one gets in without a password)\n", url)
	fmt.Fprintf(&w, "    user %-7s password %s   (everything: presso's other replicas)\n", bus.FullUser, c.Password)
	fmt.Fprintf(&w, "    user %-7s password %s   (read-only: tools)\n", bus.ReaderUser, c.ReaderPassword)
	fmt.Fprintf(&w, "  (shown only this once; kept in %s, mode 0600)\n\n", file)
	return c, w.String(), nil
}
