package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"presso/internal/testkit"
	"presso/store"
)

// startCluster runs a three-node NATS JetStream cluster on loopback and
// waits until it has a metadata leader.
func startCluster(t *testing.T) []*natsserver.Server {
	t.Helper()
	var routes []string
	var ports []int
	for range 3 {
		_, p, _ := net.SplitHostPort(testkit.FreeAddr(t))
		var port int
		fmt.Sscanf(p, "%d", &port)
		ports = append(ports, port)
		routes = append(routes, "nats-route://127.0.0.1:"+p)
	}
	var nodes []*natsserver.Server
	for i := range 3 {
		ns, err := natsserver.NewServer(&natsserver.Options{ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: natsserver.ClusterOpts{Name: "presso", Host: "127.0.0.1", Port: ports[i]},
			Routes:  natsserver.RoutesFromStr(strings.Join(routes, ","))})
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		nodes = append(nodes, ns)
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	}
	eventually(t, 30*time.Second, "a JetStream metadata leader", func() bool {
		for _, ns := range nodes {
			if ns.Running() && ns.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	return nodes
}

// TestNATSClusterFailover keeps orders flowing while the NATS node presso
// is connected to stops: publishing resumes on the others and no event is
// lost or duplicated on the three-replica stream.
func TestNATSClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	start := time.Now()
	nodes := startCluster(t)
	t.Logf("cluster up in %v", time.Since(start))
	data := t.TempDir()
	s := startServer(t, data, "--nats", nodes[0].ClientURL(), "--stream-replicas", "3")
	t.Logf("presso up at %v", time.Since(start))
	admin := s.staff(t, "admin", "admin")
	admin.must(200, "PATCH", "/api/events/demo", map[string]any{"limits": map[string]int{"drinksPerCode": 10000, "windowSeconds": 3600, "maxQueue": 1000, "maxPerCustomer": 1000}}, nil)
	ann := s.customer(t, "Ann")
	code := s.code(t, admin, "demo")
	board := admin.openSSE("/api/events/demo/stream", "")
	board.next(t, 5*time.Second) // snapshot

	var placed atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				var o apiOrder
				if ann.do("POST", "/api/events/demo/orders", map[string]string{"code": code}, &o) != 201 {
					continue
				}
				ann.do("PUT", "/api/orders/"+o.ID+"/drink", map[string]any{"drink": "americano"}, nil)
				admin.do("POST", "/api/orders/"+o.ID+"/complete", nil, nil)
				placed.Add(1)
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	before := placed.Load()
	nodes[0].Shutdown() // the node presso is connected to
	time.Sleep(2 * time.Second)
	stop()
	wg.Wait()
	if placed.Load() <= before {
		t.Fatalf("no orders completed after the node stopped (%d before, %d after)", before, placed.Load())
	}
	// The real-time feed carries on too: an order completed now reaches
	// the board over the surviving nodes.
	var last apiOrder
	ann.must(201, "POST", "/api/events/demo/orders", map[string]string{"code": code}, &last)
	ann.must(200, "PUT", "/api/orders/"+last.ID+"/drink", map[string]any{"drink": "americano"}, nil)
	admin.must(200, "POST", "/api/orders/"+last.ID+"/complete", nil, nil)
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case ev, ok := <-board.C:
			if !ok {
				t.Fatal("the board stream closed")
			}
			seen = ev.Type == "OrderManager.OrderCompleted" && ev.Detail["orderId"] == last.ID
		case <-deadline:
			t.Fatal("the board did not see an order completed after the node stopped")
		}
	}
	placed.Add(1)

	db, err := store.Open(context.Background(), filepath.Join(data, "presso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	drainStart := time.Now()
	eventually(t, 20*time.Second, "the outbox to drain onto the surviving nodes", func() bool {
		n, _ := db.PendingOutbox(context.Background())
		return n == 0
	})
	t.Logf("outbox drained %v after the load stopped", time.Since(drainStart))
	x, err := db.ExportBar(context.Background(), "demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	seen := streamIDs(t, strings.TrimPrefix(nodes[1].ClientURL(), "nats://"))
	for _, e := range x.Events {
		if seen[e.ID] != 1 {
			t.Errorf("event %s (%s) is on the stream %d times, want once", e.ID, e.DetailType, seen[e.ID])
		}
	}
	if len(seen) != len(x.Events) {
		t.Errorf("stream holds %d distinct events, the outbox %d", len(seen), len(x.Events))
	}
	total := len(x.Events)
	t.Logf("%d orders (%d before the node stopped), %d events, none lost or doubled", placed.Load(), before, total)
}
