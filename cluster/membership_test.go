package cluster

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/redis/go-redis/v9"
	"github.com/tempestdb/tempest/internal/redistest"
)

// join starts a new node that joins the cluster through node via's
// client address, and returns its index.
func (tc *testCluster) join(id string, via int) int {
	tc.t.Helper()
	nd := NodeInfo{ID: id, Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(tc.t)), Bus: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(tc.t))}
	dir := filepath.Join(tc.t.TempDir(), id)
	n, err := Open(Config{Dir: dir, NodeID: id, Addr: nd.Addr, Bus: nd.Bus, Join: tc.layout.Nodes[via].Addr, Raft: tc.raft})
	if err != nil {
		tc.t.Fatalf("join %s: %v", id, err)
	}
	if err := n.Listen(); err != nil {
		n.Close()
		tc.t.Fatal(err)
	}
	tc.layout.Nodes = append(tc.layout.Nodes, nd)
	tc.dirs = append(tc.dirs, dir)
	tc.nodes = append(tc.nodes, n)
	return len(tc.nodes) - 1
}

// command sends one command to node i until it succeeds (another node
// may not have learnt the newest layout yet) or the deadline passes.
func (tc *testCluster) command(i int, args ...any) {
	tc.t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: tc.layout.Nodes[i].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := rc.Do(ctx(), args...).Err()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("%v on node %d: %v", args, i, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMembers waits until shard s's raft configuration, as its leader
// sees it, is exactly the nodes ids, and every one of them holds the
// leader's applied index and data.
func (tc *testCluster) waitMembers(s int, ids ...string) {
	tc.t.Helper()
	slices.Sort(ids)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := tc.membersAgree(s, ids)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("shard %d: %v", s, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tc *testCluster) membersAgree(s int, ids []string) error {
	l := tc.leader(s)
	if l < 0 {
		return fmt.Errorf("no leader")
	}
	ldr := tc.nodes[l].shard(s)
	f := ldr.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	var have []string
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage != raft.Voter {
			return fmt.Errorf("%s is not a voter", srv.ID)
		}
		have = append(have, string(srv.ID))
	}
	slices.Sort(have)
	if !slices.Equal(have, ids) {
		return fmt.Errorf("members %v, want %v", have, ids)
	}
	want, err := shardData(tc.nodes[l], s)
	if err != nil {
		return err
	}
	for _, id := range ids {
		n := tc.nodes[tc.layout.NodeIndex(id)]
		sh := n.shard(s)
		if sh == nil || sh.fsm.applied.Load() < ldr.fsm.applied.Load() {
			return fmt.Errorf("node %s has not caught up", id)
		}
		got, err := shardData(n, s)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("node %s holds other data than the leader", id)
		}
	}
	return nil
}

// TestClusterReplace: on a 3-node cluster (3 shards, 3 replicas) node
// n2 fails; a new node n4 joins through n1, and CLUSTER REPLACE n2 n4,
// sent to n3 (which learns n4 from the others), moves every replica of
// n2 to n4 through raft membership changes: n4 catches up on every shard
// (its data equal to the leaders'), n2 leaves every configuration and
// the cluster's views, and clients go on. Then n5 joins and CLUSTER
// ADDREPLICA 0 n5 gives shard 0 a fourth replica. n2, restarted from its
// directory, learns it was replaced and drops its replicas; n4 restarts
// from its directory alone.
func TestClusterReplace(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	// SETs of fixed values are idempotent: this client may retry them.
	var c *redis.ClusterClient
	client := func() { // a new client, which asks for the slots afresh
		if c != nil {
			c.Close()
		}
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{tc.layout.Nodes[0].Addr, tc.layout.Nodes[2].Addr}, MaxRedirects: 16, Protocol: 2, DisableIdentity: true,
			DialTimeout: time.Second, MinRetryBackoff: 20 * time.Millisecond, MaxRetryBackoff: 200 * time.Millisecond})
	}
	client()
	defer func() { c.Close() }()
	keys := keysPerShard(&tc.layout, 3)
	set := func(tag string) {
		for _, k := range keys {
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := c.Set(ctx(), k, tag+k, 0).Err()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("SET %s: %v", k, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	check := func(tag string) {
		for _, k := range keys {
			if got, err := c.Get(ctx(), k).Result(); err != nil || got != tag+k {
				t.Fatalf("GET %s = %q, %v; want %q", k, got, err, tag+k)
			}
		}
	}
	set("a-")
	tc.stop(1) // n2 fails
	tc.waitLeaders()
	client()
	set("b-")

	n4 := tc.join("n4", 0)
	tc.command(2, "cluster", "replace", "n2", "n4")
	for s := range 3 {
		tc.waitMembers(s, "n1", "n3", "n4")
	}
	check("b-")
	set("c-")
	check("c-")
	for _, i := range []int{0, 2, n4} {
		rc := redis.NewClient(&redis.Options{Addr: tc.layout.Nodes[i].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
		nodes, err := rc.ClusterNodes(ctx()).Result()
		if err != nil || strings.Contains(nodes, "n2 ") || !strings.Contains(nodes, "n4 ") {
			t.Errorf("node %d: CLUSTER NODES = %q, %v", i, nodes, err)
		}
		slots, err := rc.ClusterSlots(ctx()).Result()
		if err != nil || len(slots) != 3 || len(slots[0].Nodes) != 3 {
			t.Errorf("node %d: CLUSTER SLOTS = %v, %v", i, slots, err)
		}
		for _, sl := range slots {
			for _, nd := range sl.Nodes {
				if nd.ID == "n2" {
					t.Errorf("node %d: CLUSTER SLOTS still names n2", i)
				}
			}
		}
		rc.Close()
	}

	n5 := tc.join("n5", 2)
	tc.command(n5, "cluster", "addreplica", "0", "n5")
	tc.waitMembers(0, "n1", "n3", "n4", "n5")
	tc.waitMembers(1, "n1", "n3", "n4")
	if tc.nodes[n5].shard(1) != nil {
		t.Fatal("n5 runs shard 1, which is not placed on it")
	}

	// The replaced node comes back: it adopts the newer layout and drops
	// its replicas.
	tc.start(1, false)
	deadline := time.Now().Add(20 * time.Second)
	for s := 0; s < 3; {
		if tc.nodes[1].shard(s) == nil {
			s++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replaced node still runs shard %d", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A joined node restarts from its directory alone.
	tc.stop(n4)
	tc.start(n4, false)
	tc.waitLeaders()
	client()
	set("d-")
	for s := range 3 {
		want := []string{"n1", "n3", "n4"}
		if s == 0 {
			want = append(want, "n5")
		}
		tc.waitMembers(s, want...)
	}
	check("d-")
}
