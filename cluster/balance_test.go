package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestPreferredLeaders checks that the preferred leaders are replicas of
// their shards and spread as evenly as the placement allows.
func TestPreferredLeaders(t *testing.T) {
	for _, c := range []struct{ nodes, shards, replicas, most int }{
		{3, 3, 3, 1}, {6, 6, 3, 1}, {4, 8, 3, 2}, {5, 16, 3, 4}, {3, 1, 3, 1}, {1, 4, 1, 4},
	} {
		l := Layout{Shards: c.shards, Replicas: c.replicas}
		for i := range c.nodes {
			l.Nodes = append(l.Nodes, NodeInfo{ID: fmt.Sprint("n", i), Addr: "a", Bus: "b"})
		}
		pref := l.PreferredLeaders()
		leads := make([]int, c.nodes)
		for s, p := range pref {
			if !slices.Contains(l.ShardNodes(s), p) {
				t.Fatalf("%+v: shard %d prefers node %d, not one of its replicas %v", c, s, p, l.ShardNodes(s))
			}
			leads[p]++
		}
		if m := slices.Max(leads); m != c.most {
			t.Errorf("%d nodes, %d shards, %d replicas: leads per node %v, want at most %d", c.nodes, c.shards, c.replicas, leads, c.most)
		}
	}
}

// TestLeaderBalance starts a 3-node cluster of 3 shards, each on every
// node: whatever the elections did, each node ends leading exactly its
// preferred shard, and what was written before the transfers reads back
// after them.
func TestLeaderBalance(t *testing.T) {
	tc := newTestCluster(t, 3, 3, 3)
	tc.waitLeaders()
	c := tc.clusterClient()
	keys := []string{"a", "b", "c", "foo", "bar", "baz", "{user}1"}
	for _, k := range keys {
		if err := c.Set(ctx(), k, "v-"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	pref := tc.layout.PreferredLeaders()
	tc.waitPreferredLeaders("after the elections")
	// Move shard 0's leadership away: it comes back.
	away := tc.layout.Nodes[(pref[0]+1)%3]
	sh := tc.nodes[pref[0]].shard(0)
	if err := sh.raft.LeadershipTransferToServer(raft.ServerID(away.ID), raft.ServerAddress(away.Bus)).Error(); err != nil {
		t.Fatalf("moving shard 0's leadership to %s: %v", away.ID, err)
	}
	if l := tc.leader(0); l == pref[0] {
		t.Fatalf("shard 0 still led by node %d after the transfer", l)
	}
	tc.waitPreferredLeaders("after shard 0 was moved away")
	for _, k := range keys {
		got, err := c.Get(ctx(), k).Result()
		for i := 0; err != nil && i < 50; i++ { // the clients learn the new leaders
			time.Sleep(100 * time.Millisecond)
			got, err = c.Get(ctx(), k).Result()
		}
		if err != nil || got != "v-"+k {
			t.Fatalf("GET %s after the transfers = %q, %v", k, got, err)
		}
	}
}

// waitPreferredLeaders waits until every shard is led by its preferred
// leader (leadership balancing has settled).
func (tc *testCluster) waitPreferredLeaders(what string) {
	tc.t.Helper()
	pref := tc.layout.PreferredLeaders()
	deadline := time.Now().Add(30 * time.Second)
	for {
		led := make([]int, tc.layout.Shards)
		for s := range led {
			led[s] = tc.leader(s)
		}
		if slices.Equal(led, pref) {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("%s: leaders %v, preferred %v after 30s", what, led, pref)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
