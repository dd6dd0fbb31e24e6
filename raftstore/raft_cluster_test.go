package raftstore

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/rafttest"
)

// clusterNode is one raft node whose log and stable store are a Store in
// its own Tempest DB, on an in-memory transport.
type clusterNode struct {
	id, dir string
	db      *tempest.DB
	store   *Store
	fsm     *rafttest.FSM
	trans   *raft.InmemTransport
	raft    *raft.Raft
}

// start opens n's DB and starts its raft node, snapshotting every 200
// entries and keeping 50, so that raft deletes the front of the log.
func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	n.db = openDB(t, filepath.Join(n.dir, "db"))
	n.store = newStore(t, n.db, "raft/")
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(n.dir, "snaps"), 2, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n.fsm = &rafttest.FSM{}
	_, n.trans = raft.NewInmemTransport(raft.ServerAddress(n.id))
	c := rafttest.Config(n.id)
	c.SnapshotThreshold, c.SnapshotInterval, c.TrailingLogs = 200, 50*time.Millisecond, 50
	if n.raft, err = raft.NewRaft(c, n.fsm, n.store, n.store, snaps, n.trans); err != nil {
		t.Fatal(err)
	}
}

// stop shuts n's raft node down and closes its DB.
func (n *clusterNode) stop(t *testing.T) {
	t.Helper()
	if err := n.raft.Shutdown().Error(); err != nil {
		t.Fatal(err)
	}
	n.trans.Close()
	if err := n.db.Close(); err != nil {
		t.Fatal(err)
	}
	n.raft = nil
}

// connect wires the transports of every running pair of nodes.
func connect(nodes []*clusterNode) {
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b && a.raft != nil && b.raft != nil {
				a.trans.Connect(b.trans.LocalAddr(), b.trans)
			}
		}
	}
}

func rafts(nodes []*clusterNode) []*raft.Raft {
	var rs []*raft.Raft
	for _, n := range nodes {
		rs = append(rs, n.raft)
	}
	return rs
}

// TestRaftClusterOnStore runs a 3-node hashicorp/raft cluster whose logs
// and stable stores are Stores: it applies 1000 commands, shuts the
// leader down, applies 200 more under the new leader, restarts the old
// leader from its Tempest DB and requires it to catch up to the same FSM
// state, the same log entries and the same current term. Raft snapshots
// and deletes the front of the logs on the way.
func TestRaftClusterOnStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a raft cluster")
	}
	var nodes []*clusterNode
	var servers []raft.Server
	for _, id := range []string{"n1", "n2", "n3"} {
		n := &clusterNode{id: id, dir: t.TempDir()}
		n.start(t)
		nodes = append(nodes, n)
		servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: n.trans.LocalAddr()})
	}
	defer func() {
		for _, n := range nodes {
			if n.raft != nil {
				n.stop(t)
			}
		}
	}()
	connect(nodes)
	if err := nodes[0].raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
		t.Fatal(err)
	}
	rafttest.ApplyAll(t, rafts(nodes), "a", 1000)
	old := nodeOf(nodes, rafttest.WaitLeader(t, 20*time.Second, rafts(nodes)...))
	rafttest.WaitFor(t, 10*time.Second, "a snapshot and a deleted log front on the leader", func() bool {
		first, _ := old.store.FirstIndex()
		return first > 1
	})
	old.stop(t)

	rafttest.ApplyAll(t, rafts(nodes), "b", 200)
	old.start(t)
	connect(nodes)
	rafttest.WaitFor(t, 30*time.Second, "the restarted node to catch up", func() bool {
		return old.fsm.State().Count == 1200
	})
	// The restarted node may have caught up from a snapshot, leaving its
	// log short of the leader's; entries appended now reach both logs.
	rafttest.ApplyAll(t, rafts(nodes), "c", 20)
	cur := nodeOf(nodes, rafttest.WaitLeader(t, 20*time.Second, rafts(nodes)...))
	if cur == old {
		t.Log("the restarted node became leader again; comparing it with itself is no test")
		for _, n := range nodes {
			if n != old {
				cur = n
				break
			}
		}
	}
	rafttest.WaitFor(t, 20*time.Second, "equal FSMs and last indexes", func() bool {
		if old.fsm.State() != cur.fsm.State() {
			return false
		}
		a, _ := old.store.LastIndex()
		b, _ := cur.store.LastIndex()
		return a == b
	})
	compareLogs(t, old.store, cur.store, 20)
	compareTerms(t, old, cur)
}

func nodeOf(nodes []*clusterNode, r *raft.Raft) *clusterNode {
	for _, n := range nodes {
		if n.raft == r {
			return n
		}
	}
	return nil
}

// compareLogs requires the restarted node's log a to hold entries equal
// to the leader's log b wherever it holds one, and to hold the last
// tail entries. (Below a snapshot it installed, a holds a gap.)
func compareLogs(t *testing.T, a, b *Store, tail uint64) {
	t.Helper()
	af, _ := a.FirstIndex()
	bf, _ := b.FirstIndex()
	last, _ := a.LastIndex()
	compared := uint64(0)
	for i := max(af, bf); i <= last; i++ {
		var la, lb raft.Log
		if err := a.GetLog(i, &la); err == raft.ErrLogNotFound && i <= last-tail {
			continue
		} else if err != nil {
			t.Fatalf("restarted node: GetLog(%d): %v", i, err)
		}
		if err := b.GetLog(i, &lb); err != nil {
			t.Fatalf("leader: GetLog(%d): %v", i, err)
		}
		if la.Term != lb.Term || la.Type != lb.Type || string(la.Data) != string(lb.Data) {
			t.Fatalf("entry %d differs: %+v vs %+v", i, la, lb)
		}
		compared++
	}
	if compared < tail {
		t.Fatalf("no common entries: %d.. and %d..%d", af, bf, last)
	}
	t.Logf("%d common log entries equal (restarted node %d..%d, leader from %d)", compared, af, last, bf)
}

// compareTerms requires both nodes' stable stores to hold the leader's
// current term.
func compareTerms(t *testing.T, old, cur *clusterNode) {
	t.Helper()
	ta, err := old.store.GetUint64([]byte("CurrentTerm"))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := cur.store.GetUint64([]byte("CurrentTerm"))
	if err != nil {
		t.Fatal(err)
	}
	if ta != tb || ta != cur.raft.CurrentTerm() || ta < 2 {
		t.Fatalf("CurrentTerm: restarted %d, leader %d, leader's raft %d (want equal, at least 2)", ta, tb, cur.raft.CurrentTerm())
	}
}
