package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/redistest"
)

// testRaft shortens raft's timeouts so that elections take a fraction
// of a second (loose enough for -race on a busy machine).
func testRaft(c *raft.Config) {
	c.HeartbeatTimeout = 300 * time.Millisecond
	c.ElectionTimeout = 300 * time.Millisecond
	c.LeaderLeaseTimeout = 150 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.SnapshotThreshold = 64 // snapshots happen within the tests
	c.TrailingLogs = 32
	c.SnapshotInterval = 200 * time.Millisecond
}

// testCluster is a cluster of in-process nodes.
type testCluster struct {
	t      testing.TB
	layout Layout
	dirs   []string
	nodes  []*Node // nil while a node is down
	raft   func(*raft.Config)
	db     *tempest.Options // the nodes' DBOptions
	// configure, if not nil, adjusts each node's Config at each start.
	configure func(*Config)
}

func newTestCluster(t testing.TB, nodes, shards, replicas int) *testCluster {
	t.Helper()
	return newTestClusterWith(t, nodes, shards, replicas, testRaft, smallDB())
}

// newTestClusterRaft is newTestCluster with the nodes' raft settings and
// the default database options.
func newTestClusterRaft(t testing.TB, nodes, shards, replicas int, rc func(*raft.Config)) *testCluster {
	t.Helper()
	return newTestClusterWith(t, nodes, shards, replicas, rc, nil)
}

// smallDB opens the nodes' databases with 4 MiB memtables. Under -race
// every new memtable costs time in proportion to its arena (the race
// detector's range accesses; about a second at the default 64 MiB with
// -tags invariants), and a node makes one at each Open and two at each
// snapshot install (the ingest flushes, then rotates the WAL): at the
// default size a node stalled for seconds at each.
func smallDB() *tempest.Options { return &tempest.Options{MemTableSize: 4 << 20} }

// newTestClusterWith is newTestCluster with the nodes' raft settings
// and database options (nil: the defaults).
func newTestClusterWith(t testing.TB, nodes, shards, replicas int, rc func(*raft.Config), db *tempest.Options) *testCluster {
	t.Helper()
	return newTestClusterConfig(t, nodes, shards, replicas, rc, db, nil)
}

// newTestClusterConfig is newTestClusterWith with a function that
// adjusts each node's Config (nil: none).
func newTestClusterConfig(t testing.TB, nodes, shards, replicas int, rc func(*raft.Config), db *tempest.Options, configure func(*Config)) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, layout: Layout{Shards: shards, Replicas: replicas}, raft: rc, db: db, configure: configure}
	for i := range nodes {
		tc.layout.Nodes = append(tc.layout.Nodes, NodeInfo{
			ID:   fmt.Sprint("n", i+1),
			Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)),
			Bus:  "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)),
		})
		tc.dirs = append(tc.dirs, filepath.Join(t.TempDir(), fmt.Sprint("n", i+1)))
	}
	tc.nodes = make([]*Node, nodes)
	for i := range nodes {
		tc.start(i, true)
	}
	t.Cleanup(func() {
		for i := range tc.nodes {
			tc.stop(i)
		}
	})
	return tc
}

// start opens node i; first says whether to give the cluster flags (a
// restart gives only the directory).
func (tc *testCluster) start(i int, first bool) {
	tc.t.Helper()
	cfg := Config{Dir: tc.dirs[i], Raft: tc.raft, DBOptions: tc.db}
	if first {
		cfg.Layout = &tc.layout
		cfg.NodeID = tc.layout.Nodes[i].ID
	}
	if tc.configure != nil {
		tc.configure(&cfg)
	}
	n, err := Open(cfg)
	if err != nil {
		tc.t.Fatalf("open node %d: %v", i, err)
	}
	if err := n.Listen(); err != nil {
		n.Close()
		tc.t.Fatalf("listen node %d: %v", i, err)
	}
	tc.nodes[i] = n
}

func (tc *testCluster) stop(i int) {
	if tc.nodes[i] != nil {
		if err := tc.nodes[i].Close(); err != nil {
			tc.t.Errorf("close node %d: %v", i, err)
		}
		tc.nodes[i] = nil
	}
}

// waitLeaders waits until every shard has a running leader.
func (tc *testCluster) waitLeaders() {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		led := 0
		for s := range tc.layout.Shards {
			if tc.leader(s) >= 0 {
				led++
			}
		}
		if led == tc.layout.Shards {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.t.Fatal("shards without a leader after 20s")
}

// waitLeadersKnown waits until every shard has a leader and every node
// names it (through its raft replica's heartbeats or the leadership
// stream): until then a node rightly answers TRYAGAIN instead of MOVED.
func (tc *testCluster) waitLeadersKnown() {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		known := true
		for s := range tc.layout.Shards {
			l := tc.leader(s)
			for _, n := range tc.nodes {
				if n != nil && (l < 0 || n.leaderOf(s) != l) {
					known = false
				}
			}
		}
		if known {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatal("some node names no leader, or the wrong one, for a shard after 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLeader waits until shard s has a running leader and returns its
// node's index (an election may be under way at any moment: a
// restarted replica can call one).
func (tc *testCluster) waitLeader(s int) int {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if l := tc.leader(s); l >= 0 {
			return l
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("shard %d has no leader after 20s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leader returns the index of the node whose replica leads shard s, or -1.
func (tc *testCluster) leader(s int) int {
	for i, n := range tc.nodes {
		if n == nil {
			continue
		}
		if sh := n.shard(s); sh.running() && sh.raft.State() == raft.Leader {
			return i
		}
	}
	return -1
}

// clusterClient returns a go-redis ClusterClient on the cluster. Its
// own retries are off for writes that may have applied (see
// noResendHook); MOVED and TRYAGAIN redirects are followed.
func (tc *testCluster) clusterClient() *redis.ClusterClient {
	return tc.clusterClientWith(nil)
}

// clusterClientWith is clusterClient with its options adjusted by opts
// (nil: none).
func (tc *testCluster) clusterClientWith(opts func(*redis.ClusterOptions)) *redis.ClusterClient {
	var addrs []string
	for _, nd := range tc.layout.Nodes {
		addrs = append(addrs, nd.Addr)
	}
	o := &redis.ClusterOptions{
		Addrs:           addrs,
		MaxRedirects:    16,
		MaxRetries:      -1,
		DialTimeout:     time.Second,
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
		MinRetryBackoff: 20 * time.Millisecond,
		MaxRetryBackoff: 200 * time.Millisecond,
		Protocol:        2,
		DisableIdentity: true,
	}
	if opts != nil {
		opts(o)
	}
	c := redis.NewClusterClient(o)
	c.OnNewNode(func(rc *redis.Client) { rc.AddHook(noResendHook{}) })
	tc.t.Cleanup(func() { c.Close() })
	return c
}

func ctx() context.Context { return context.Background() }

// quietRedis drops go-redis's own log lines (dial failures to a closed
// node are expected here).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietRedis{}) }
