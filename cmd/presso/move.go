package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"presso/store"
)

// offlineFlags are the flags of the commands that work on the database
// with no server running (export, import, reset-password): where the
// database is. open opens it once the flags are parsed.
func offlineFlags(name string, getenv func(string) string, out io.Writer) (fs *flag.FlagSet, open func(context.Context) (*store.DB, error)) {
	fs = flag.NewFlagSet("presso "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	data := fs.String("data", firstNonEmpty(getenv("PRESSO_DATA"), "presso-data"), "data directory of an embedded (SQLite) deployment")
	db := fs.String("db", getenv("PRESSO_DB"), "database URL (postgres://…); overrides --data")
	open = func(ctx context.Context) (*store.DB, error) { return store.Open(ctx, dsnOf(*data, *db)) }
	return fs, open
}

// moveFlags are the flags export and import share: where the database is
// and the file.
func moveFlags(name string, getenv func(string) string, out io.Writer) (*flag.FlagSet, func(context.Context) (*store.DB, error), *string) {
	fs, open := offlineFlags(name, getenv, out)
	file := fs.String("file", "-", "file to write (export) or read (import); - is stdout/stdin")
	return fs, open, file
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func dsnOf(data, db string) string {
	if db != "" {
		return db
	}
	return filepath.Join(data, "presso.db")
}

// runExport is "presso export --event ID": one bar's configuration, menu,
// counters, orders, history and events as JSON.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs, open, file := moveFlags("export", getenv, stdout)
	event := fs.String("event", "", "the bar (event id) to export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *event == "" {
		return fmt.Errorf("export: --event is required")
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	x, err := d.ExportBar(ctx, *event, time.Now())
	if err != nil {
		return fmt.Errorf("export %s: %w", *event, err)
	}
	w := stdout
	if *file != "-" {
		f, err := os.Create(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(x); err != nil {
		return err
	}
	if *file != "-" {
		fmt.Fprintf(stdout, "exported bar %s: %d orders, %d events to %s\n", *event, len(x.Orders), len(x.Events), *file)
	}
	return nil
}

// runImport is "presso import": an export written into this deployment's
// database. Run it while the old deployment is stopped, so nothing changes
// after the export.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, stdin io.Reader) error {
	fs, open, file := moveFlags("import", getenv, stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	var x store.BarExport
	if err := json.NewDecoder(r).Decode(&x); err != nil {
		return fmt.Errorf("import: reading the export: %w", err)
	}
	d, err := open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.ImportBar(ctx, &x, time.Now()); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "imported bar %s: %d orders, %d events\n", x.Bar.ID, len(x.Orders), len(x.Events))
	return nil
}
