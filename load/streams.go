package load

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	api "presso/client"
)

// `presso load-streams` measures what open SSE streams cost the server:
// it opens --streams idle streams on one bar's store channel from
// --addrs loopback source addresses, reads the server's resident memory
// (VmRSS of --pid) before and after, makes --changes changes to the bar
// and times each one's arrival on every stream, then reads the memory
// again. The server needs caps that let that many streams in, for
// example --max-conns-per-addr and --max-streams-per-addr of 2,000 and
// --max-streams 12,000.

// streamsOptions are load-streams' settings.
type streamsOptions struct {
	url, bar, admin, password string
	streams, addrs, changes   int
	pid                       int
	settle                    time.Duration
}

func parseStreamsFlags(args []string, getenv func(string) string, out io.Writer) (streamsOptions, error) {
	var o streamsOptions
	fs := flag.NewFlagSet("presso load-streams", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the server's base URL; loopback only")
	fs.StringVar(&o.bar, "bar", "demo", "the bar whose store channel the streams open")
	fs.StringVar(&o.admin, "admin", "admin", "staff account that changes the bar")
	fs.StringVar(&o.password, "admin-password", cmp.Or(getenv("PRESSO_LOAD_ADMIN_PASSWORD"), "admin"), "its password (PRESSO_LOAD_ADMIN_PASSWORD)")
	fs.IntVar(&o.streams, "streams", 10000, "SSE streams to open")
	fs.IntVar(&o.addrs, "addrs", 8, "loopback source addresses to spread them over (127.0.0.2 and on)")
	fs.IntVar(&o.changes, "changes", 3, "changes to the bar, each timed to every stream")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to read its memory (0: not read)")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait before each memory reading")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := checkLoopback(o.url); err != nil {
		return o, err
	}
	if !strings.HasPrefix(o.url, "http://") { // the streams speak HTTP/1.1 on a bare connection
		return o, fmt.Errorf("--url %q: load-streams needs http://", o.url)
	}
	if o.streams < 1 || o.addrs < 1 || o.addrs > 250 || o.changes < 0 {
		return o, errors.New("--streams and --addrs (at most 250) must be at least 1, --changes at least 0")
	}
	return o, nil
}

// Streams is `presso load-streams`. It reads the memory before any
// stream, at a tenth of them and with all open, so that what the server
// held before (the heap it had grown to, pages not yet given back) can be
// told apart: the cost per stream is given from nothing and between the
// two counts. It signs in only after, since a sign-in's password hash is
// memory of its own.
func Streams(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	o, err := parseStreamsFlags(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	before := o.rss(ctx)
	fmt.Fprintf(stdout, "before: server RSS %s\n", mb(before))
	var streams []*idleStream
	defer func() {
		for _, s := range streams {
			s.conn.Close()
		}
	}()
	tenth := max(o.streams/10, 1)
	var atTenth int64
	for _, n := range []int{tenth, o.streams - tenth} {
		more, err := openStreams(ctx, o, n)
		streams = append(streams, more...)
		if err != nil {
			return err
		}
		rss := o.rss(ctx)
		fmt.Fprintf(stdout, "connected %d streams: server RSS %s, %s per stream\n", len(streams), mb(rss), kb(rss-before, len(streams)))
		if len(streams) == tenth {
			atTenth = rss
		} else if n > 0 {
			fmt.Fprintf(stdout, "from %d to %d streams: %s per stream\n", tenth, len(streams), kb(rss-atTenth, len(streams)-tenth))
		}
	}
	admin := api.New(o.url, nil)
	if o.changes > 0 {
		if err := admin.Call(ctx, "POST", "/api/staff/session", map[string]string{"username": o.admin, "password": o.password}, nil); err != nil {
			return fmt.Errorf("sign in as %s: %w", o.admin, err)
		}
	}
	for k := 1; k <= o.changes; k++ {
		p50, worst, got, err := change(ctx, admin, o.bar, streams, k)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "change %d: reached %d of %d streams; p50 %s, max %s\n", k, got, len(streams), p50.Round(time.Millisecond), worst.Round(time.Millisecond))
	}
	if o.changes > 0 {
		after := o.rss(ctx)
		fmt.Fprintf(stdout, "after %d changes: server RSS %s, %s per stream\n", o.changes, mb(after), kb(after-before, len(streams)))
	}
	return nil
}

// rss waits o.settle and reads the server's resident memory in bytes, 0
// without --pid.
func (o streamsOptions) rss(ctx context.Context) int64 {
	if o.pid == 0 {
		return 0
	}
	select {
	case <-ctx.Done():
	case <-time.After(o.settle):
	}
	n, err := readRSS(o.pid)
	if err != nil {
		return 0
	}
	return n
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func kb(n int64, per int) string { return fmt.Sprintf("%.1f KB", float64(n)/1e3/float64(per)) }

// idleStream is one open stream: it counts the bar's changes it has seen
// and notes when the last one came.
type idleStream struct {
	conn    net.Conn
	changes atomic.Int64
	at      atomic.Int64 // Unix ns of the last change seen
}

// openStreams opens n streams, a few hundred at a time, each read to its
// snapshot before it counts as open.
func openStreams(ctx context.Context, o streamsOptions, n int) ([]*idleStream, error) {
	u, _ := url.Parse(o.url)
	head := "GET /api/events/" + url.PathEscape(o.bar) + "/stream HTTP/1.1\r\nHost: " + u.Host + "\r\nAccept: text/event-stream\r\n\r\n"
	out := make([]*idleStream, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	turns := make(chan struct{}, 200)
	for i := range out {
		turns <- struct{}{}
		wg.Go(func() {
			defer func() { <-turns }()
			s, err := openStream(ctx, u.Host, fmt.Sprintf("127.0.0.%d", 2+i%o.addrs), head)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("stream %d: %w", i, err)
			}
			out[i] = s
		})
	}
	wg.Wait()
	out = slices.DeleteFunc(out, func(s *idleStream) bool { return s == nil })
	return out, first
}

// openStream opens one stream from source address ip, waits for its
// snapshot, and goes on reading it in a goroutine of its own.
func openStream(ctx context.Context, host, ip, head string) (*idleStream, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 1024)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		conn.Close()
		return nil, fmt.Errorf("answer %q: %v", strings.TrimSpace(status), err)
	}
	s := &idleStream{conn: conn}
	for {
		line, err := readLine(br)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if bytes.HasPrefix(line, []byte("data: ")) && bytes.Contains(line, []byte(`"type":"snapshot"`)) {
			break
		}
	}
	conn.SetDeadline(time.Time{})
	go s.read(br)
	return s, nil
}

// readLine is the next line, however long.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		part, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, part...)
			continue
		}
		if long != nil {
			return append(long, part...), err
		}
		return part, err
	}
}

// read counts the bar's changes as they come, until the stream ends.
func (s *idleStream) read(br *bufio.Reader) {
	for {
		line, err := readLine(br)
		if err != nil {
			return
		}
		if bytes.HasPrefix(line, []byte("data: ")) && bytes.Contains(line, []byte(`"type":"ConfigService.ConfigChanged"`)) {
			s.at.Store(time.Now().UnixNano())
			s.changes.Add(1)
		}
	}
}

// change makes the k-th change to the bar (its name) and waits,
// at most 30 s, for every stream to have seen it: it returns the median
// and the longest time from the change being sent to a stream seeing it,
// and how many saw it.
func change(ctx context.Context, admin *api.Client, bar string, streams []*idleStream, k int) (p50, worst time.Duration, got int, err error) {
	sent := time.Now()
	if err := admin.Call(ctx, "PATCH", "/api/events/"+url.PathEscape(bar), map[string]string{"name": fmt.Sprintf("%s, change %d", bar, k)}, nil); err != nil {
		return 0, 0, 0, fmt.Errorf("change %d: %w", k, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = 0
		for _, s := range streams {
			if s.changes.Load() >= int64(k) {
				got++
			}
		}
		if got == len(streams) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	var took []time.Duration
	for _, s := range streams {
		if s.changes.Load() >= int64(k) {
			took = append(took, time.Duration(s.at.Load()-sent.UnixNano()))
		}
	}
	if len(took) == 0 {
		return 0, 0, 0, fmt.Errorf("change %d reached no stream", k)
	}
	slices.Sort(took)
	time.Sleep(time.Second) // let the server settle between changes
	return took[len(took)/2], took[len(took)-1], got, nil
}
