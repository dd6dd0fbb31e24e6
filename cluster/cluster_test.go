package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClusterBasics(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	c := tc.clusterClient()
	for _, k := range []string{"a", "b", "c", "foo", "{user}1"} {
		if err := c.Set(ctx(), k, "v-"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	for _, k := range []string{"a", "b", "c", "foo", "{user}1"} {
		if got, err := c.Get(ctx(), k).Result(); err != nil || got != "v-"+k {
			t.Fatalf("GET %s = %q, %v", k, got, err)
		}
	}
	if n, err := c.IncrBy(ctx(), "ctr", 5).Result(); err != nil || n != 5 {
		t.Fatalf("INCRBY = %d, %v", n, err)
	}
	if ok, err := c.SetNX(ctx(), "ctr", "x", 0).Result(); err != nil || ok {
		t.Fatalf("SETNX on existing = %v, %v", ok, err)
	}
	if err := c.MSet(ctx(), "{t}x", "1", "{t}y", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if vals, err := c.MGet(ctx(), "{t}x", "{t}y", "{t}z").Result(); err != nil || vals[0] != "1" || vals[1] != "2" || vals[2] != nil {
		t.Fatalf("MGET = %v, %v", vals, err)
	}

	// A plain client on each node: the shard leader serves, the others
	// redirect with MOVED to it; keys of two slots get CROSSSLOT.
	slot := KeySlot([]byte("foo"))
	s := tc.layout.ShardOfSlot(slot)
	tc.waitLeadersKnown()
	leader := tc.waitLeader(s)
	for i, nd := range tc.layout.Nodes {
		rc := redis.NewClient(&redis.Options{Addr: nd.Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
		err := rc.Get(ctx(), "foo").Err()
		want := "MOVED " + itoa(slot) + " " + tc.layout.Nodes[leader].Addr
		if i == leader && err != nil {
			t.Errorf("leader node %d: GET: %v", i, err)
		}
		if i != leader && (err == nil || err.Error() != want) {
			t.Errorf("node %d: GET foo = %v, want %s", i, err, want)
		}
		if err := rc.MGet(ctx(), "a", "b").Err(); err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Errorf("node %d: MGET a b = %v, want CROSSSLOT", i, err)
		}
		if id, err := rc.ClusterMyID(ctx()).Result(); err != nil || id != nd.ID {
			t.Errorf("node %d: CLUSTER MYID = %q, %v", i, id, err)
		}
		slots, err := rc.ClusterSlots(ctx()).Result()
		if err != nil || len(slots) != 3 || slots[0].Start != 0 || slots[2].End != SlotCount-1 {
			t.Errorf("node %d: CLUSTER SLOTS = %v, %v", i, slots, err)
		}
		shards, err := rc.ClusterShards(ctx()).Result()
		if err != nil || len(shards) != 3 {
			t.Errorf("node %d: CLUSTER SHARDS = %v, %v", i, shards, err)
		}
		for s, sh := range shards {
			first, end := tc.layout.SlotRange(s)
			if len(sh.Slots) != 1 || sh.Slots[0].Start != int64(first) || sh.Slots[0].End != int64(end-1) ||
				len(sh.Nodes) != 3 || sh.Nodes[0].Role != "master" || sh.Nodes[0].ID != tc.layout.Nodes[tc.waitLeader(s)].ID {
				t.Errorf("node %d: CLUSTER SHARDS shard %d = %+v", i, s, sh)
			}
		}
		info, err := rc.ClusterInfo(ctx()).Result()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			t.Errorf("node %d: CLUSTER INFO = %q, %v", i, info, err)
		}
		rc.Close()
	}
}

// TestClusterLeaderHints: with 2 replicas on 3 nodes a node does not
// hold every shard; it learns the leaders of the others from the other
// nodes and redirects there, and ClusterClient works.
func TestClusterLeaderHints(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 2)
	tc.waitLeaders()
	for s := range 3 {
		for i := range 3 {
			if held := tc.nodes[i].shard(s) != nil; held != containsInt(tc.layout.ShardNodes(s), i) {
				t.Fatalf("node %d holds shard %d: %v, placement says otherwise", i, s, held)
			}
		}
	}
	// Node 2 does not hold shard 0 (replicas on nodes 0 and 1).
	key := "a"
	for i := 0; tc.layout.ShardOfSlot(KeySlot([]byte(key))) != 0; i++ {
		key = fmt.Sprint("a", i)
	}
	slot := KeySlot([]byte(key))
	// With node 1 leading, a redirect to "another replica" (node 0) would
	// be wrong: only a hint names node 1.
	for tc.leader(0) != 1 {
		if l := tc.leader(0); l >= 0 {
			tc.nodes[l].shard(0).raft.LeadershipTransfer().Error()
		}
		tc.waitLeaders()
	}
	rc := redis.NewClient(&redis.Options{Addr: tc.layout.Nodes[2].Addr, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		want := "MOVED " + itoa(slot) + " " + tc.layout.Nodes[tc.waitLeader(0)].Addr
		err := rc.Set(ctx(), key, "v", 0).Err()
		if err != nil && err.Error() == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2: SET %s = %v, want %s", key, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := tc.clusterClient()
	for _, k := range keysPerShard(&tc.layout, 3) {
		if err := c.Set(ctx(), k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Get(ctx(), k).Result(); err != nil || got != k {
			t.Fatalf("GET %s = %q, %v", k, got, err)
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
