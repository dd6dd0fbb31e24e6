package raftmux

import (
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest/internal/rafttest"
)

// shardNode is one node's raft group of one shard over a Mux.
type shardNode struct {
	fsm   *rafttest.FSM
	trans *raft.NetworkTransport
	raft  *raft.Raft
}

// startShards starts, on each of muxes, a raft group for each shard
// over raft.NetworkTransport on the Mux's StreamLayer, with in-memory
// stores, and bootstraps each shard from the first node.
func startShards(t *testing.T, muxes []*Mux, shards ...string) map[string][]*shardNode {
	t.Helper()
	groups := map[string][]*shardNode{}
	for _, shard := range shards {
		var servers []raft.Server
		for i, m := range muxes {
			l, err := m.StreamLayer(shard)
			if err != nil {
				t.Fatal(err)
			}
			n := &shardNode{fsm: &rafttest.FSM{}, trans: raft.NewNetworkTransport(l, 3, 2*time.Second, io.Discard)}
			store := raft.NewInmemStore()
			id := "n" + string(rune('1'+i))
			if n.raft, err = raft.NewRaft(rafttest.Config(id), n.fsm, store, store, raft.NewInmemSnapshotStore(), n.trans); err != nil {
				t.Fatal(err)
			}
			groups[shard] = append(groups[shard], n)
			servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: n.trans.LocalAddr()})
		}
		if err := groups[shard][0].raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, nodes := range groups {
			for _, n := range nodes {
				n.raft.Shutdown().Error()
				n.trans.Close()
			}
		}
	})
	return groups
}

func listenN(t *testing.T, n int) []*Mux {
	var muxes []*Mux
	for range n {
		muxes = append(muxes, listen(t))
	}
	return muxes
}

func raftsOf(nodes []*shardNode) []*raft.Raft {
	var rs []*raft.Raft
	for _, n := range nodes {
		rs = append(rs, n.raft)
	}
	return rs
}

// waitSameState waits until every node of a shard has applied count
// commands, with equal FSM states.
func waitSameState(t *testing.T, nodes []*shardNode, count uint64) {
	t.Helper()
	rafttest.WaitFor(t, 30*time.Second, "every replica to apply the same commands", func() bool {
		want := nodes[0].fsm.State()
		for _, n := range nodes {
			if n.fsm.State() != want {
				return false
			}
		}
		return want.Count == count
	})
}

// TestTwoShardsOverOneListener runs two raft groups on three nodes, each
// node with one listener: both shards elect leaders, apply commands and
// replicate them to every node.
func TestTwoShardsOverOneListener(t *testing.T) {
	groups := startShards(t, listenN(t, 3), "s1", "s2")
	for _, shard := range []string{"s1", "s2"} {
		rafttest.ApplyAll(t, raftsOf(groups[shard]), shard, 200)
	}
	for _, shard := range []string{"s1", "s2"} {
		waitSameState(t, groups[shard], 200)
	}
	if groups["s1"][0].fsm.State().Hash == groups["s2"][0].fsm.State().Hash {
		t.Fatal("the two shards applied the same commands")
	}
}

// TestCutLeaderOff cuts a shard's leader off from both peers: the
// minority side acknowledges nothing, the majority elects a new leader
// and applies commands, and after healing the old leader catches up to
// the majority's state, in which the minority's command never appears.
func TestCutLeaderOff(t *testing.T) {
	muxes := listenN(t, 3)
	nodes := startShards(t, muxes, "s")["s"]
	rafttest.ApplyAll(t, raftsOf(nodes), "before", 50)
	waitSameState(t, nodes, 50)
	leader := rafttest.WaitLeader(t, 20*time.Second, raftsOf(nodes)...)

	var cutMux *Mux
	var others []*raft.Raft
	for i, n := range nodes {
		if n.raft == leader {
			cutMux = muxes[i]
		} else {
			others = append(others, n.raft)
		}
	}
	for _, m := range muxes {
		if m != cutMux {
			cutMux.Cut(m.Advertise())
		}
	}
	var minority []raft.ApplyFuture
	for i := range 5 {
		minority = append(minority, leader.Apply([]byte("minority-"+string(rune('0'+i))), 2*time.Second))
	}
	for i, f := range minority {
		if err := f.Error(); err == nil {
			t.Fatalf("the cut-off leader acknowledged command minority-%d", i)
		}
	}
	rafttest.ApplyAll(t, others, "after", 50)
	if st := leader.State(); st == raft.Leader {
		t.Fatalf("the cut-off node is still leader after the majority elected another")
	}
	for _, m := range muxes {
		cutMux.Heal(m.Advertise())
	}
	// 100 commands exactly: no minority command was applied anywhere.
	waitSameState(t, nodes, 100)
}
