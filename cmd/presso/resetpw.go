package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"presso/auth"
)

// runResetPassword is "presso reset-password --user NAME": a new password
// for a staff account, set straight in the database (no server, no
// sign-in needed) and printed once. It is how a lost admin password is
// recovered. The account's sessions end.
func runResetPassword(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs, open := offlineFlags("reset-password", getenv, stdout)
	user := fs.String("user", "", "the staff account's username")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("reset-password: --user is required")
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	a := auth.New(d, time.Now, false, nil, slog.New(slog.DiscardHandler), 0)
	password, err := a.ResetPassword(ctx, *user)
	if err != nil {
		return fmt.Errorf("reset-password %s: %w", *user, err)
	}
	fmt.Fprintf(stdout, "new password for %s (shown once; its sessions are ended): %s\n", *user, password)
	return nil
}
