package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// Membership changes. The Layout names each shard's replicas. A change (a
// node joining, CLUSTER REPLACE, CLUSTER ADDREPLICA) is made by the node
// that receives the command: it stores a new Layout with the next Epoch.
// The Layout spreads on the leadership stream (leaders.go): a node adopts
// a Layout newer than its own, that is of a higher Epoch, or of the same
// Epoch and larger in its JSON encoding (so that two changes made at once
// on two nodes settle on one of them, the other being lost: make one
// change at a time).
//
// Every hintEvery, after polling the other nodes, each node reconciles
// its raft groups with the Layout it knows (reconcile):
//   - it starts the raft group of a shard placed on it that it does not
//     run, without bootstrapping: the shard's leader adds it;
//   - the leader of a shard makes the group's raft configuration match
//     the Layout, one change per turn: RemoveServer of another server no
//     longer placed first (a replaced node has usually failed, and a
//     voter that cannot answer would count against the quorum that must
//     commit the next change), then AddVoter of a placed node missing,
//     then, if the leader itself is no longer placed, RemoveServer of
//     itself (it counts for the quorum until then, and a group is never
//     left without a voter);
//   - it stops the raft group of a shard no longer placed on it unless
//     it leads the shard (then it first removes itself, and steps down).
//     A removed server is not told so, and the leader no longer contacts
//     it, so the layout, not raft, tells it to stop. Stopping before the
//     leader removed it costs the shard one voter for a moment, as the
//     removal itself does.
//
// The raft configuration is the membership of record for the shard's
// consensus; the Layout says where it should go and where clients go.

// cloneLayout returns a deep copy of l.
func cloneLayout(l *Layout) *Layout {
	b, _ := json.Marshal(l)
	var c Layout
	json.Unmarshal(b, &c)
	return &c
}

// newer reports whether a supersedes b.
func newer(a, b *Layout) bool {
	if a.Epoch != b.Epoch {
		return a.Epoch > b.Epoch
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Compare(ja, jb) > 0
}

// extends reports whether l is a later layout of the same cluster as
// cur: same cluster id and shards, and cur's nodes at the same places (nodes are only
// ever appended, so node indexes stay valid).
func extends(l, cur *Layout) bool {
	if l.ClusterID != cur.ClusterID || l.Shards != cur.Shards || len(l.Nodes) < len(cur.Nodes) {
		return false
	}
	for i, nd := range cur.Nodes {
		if l.Nodes[i].ID != nd.ID {
			return false
		}
	}
	return true
}

// adopt takes l as the node's layout if it is newer and fits this
// cluster (same shards, this node still a member).
func (n *Node) adopt(l *Layout) {
	n.layoutMu.Lock()
	defer n.layoutMu.Unlock()
	cur := n.lay()
	if !newer(l, cur) || !extends(l, cur) || l.Validate() != nil {
		return
	}
	if err := n.storeLayoutLocked(cloneLayout(l)); err != nil {
		n.logf("cluster: storing layout of epoch %d: %v", l.Epoch, err)
	}
}

// storeLayoutLocked saves l in the node's directory, cluster.json first
// and then the database's identity record (the order identity.go
// explains), then makes it the node's layout. n.layoutMu is held.
func (n *Node) storeLayoutLocked(l *Layout) error {
	id := &identity{NodeID: n.id, Incarnation: n.incarnation, Layout: *l, Founding: n.founding}
	if err := saveIdentity(n.cfg.Dir, id); err != nil {
		return err
	}
	if err := writeRecord(n.db, id); err != nil {
		return err
	}
	n.layout.Store(l)
	return nil
}

// change makes a new layout from the current one by edit, with the next
// epoch, and stores it.
func (n *Node) change(edit func(l *Layout) error) (*Layout, error) {
	n.layoutMu.Lock()
	defer n.layoutMu.Unlock()
	l := cloneLayout(n.lay())
	if l.Placed == nil { // the initial placement, made explicit
		placed := make([][]string, l.Shards)
		for s := range placed {
			for _, i := range l.ShardNodes(s) {
				placed[s] = append(placed[s], l.Nodes[i].ID)
			}
		}
		l.Placed = placed
	}
	if err := edit(l); err != nil {
		return nil, err
	}
	l.Epoch++
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, n.storeLayoutLocked(l)
}

// member returns the index of the active (not retired) node id.
func member(l *Layout, id string) (int, error) {
	i := l.NodeIndex(id)
	if i < 0 || l.Nodes[i].Retired {
		return -1, fmt.Errorf("%w: cluster: %q is not an active member", tempest.ErrInvalidArgument, id)
	}
	return i, nil
}

// join adds nd to the cluster, holding no replica yet (CLUSTER
// TEMPEST-JOIN, sent by a node started with --join). Joining again with
// the same addresses changes nothing.
func (n *Node) join(nd NodeInfo) (*Layout, error) {
	if cur := n.lay(); cur.NodeIndex(nd.ID) >= 0 {
		if old := cur.Nodes[cur.NodeIndex(nd.ID)]; old == nd {
			return cur, nil
		}
		return nil, fmt.Errorf("%w: cluster: node id %q is taken", tempest.ErrInvalidArgument, nd.ID)
	}
	if err := checkLoopback(nd, n.env.Password != ""); err != nil {
		return nil, err
	}
	return n.change(func(l *Layout) error {
		l.Nodes = append(l.Nodes, nd)
		return nil
	})
}

// replace gives every replica of node old to node new and retires old
// (CLUSTER REPLACE old-id new-id).
func (n *Node) replace(old, new string) error {
	_, err := n.change(func(l *Layout) error {
		o, err := member(l, old)
		if err != nil {
			return err
		}
		if _, err := member(l, new); err != nil {
			return err
		}
		if old == new {
			return fmt.Errorf("%w: cluster: a node cannot replace itself", tempest.ErrInvalidArgument)
		}
		for s, ids := range l.Placed {
			if i := slices.Index(ids, old); i >= 0 {
				if slices.Contains(ids, new) {
					l.Placed[s] = slices.Delete(ids, i, i+1)
				} else {
					ids[i] = new
				}
			}
		}
		l.Nodes[o].Retired = true
		return nil
	})
	return err
}

// addReplica places one more replica of shard s on node id (CLUSTER
// ADDREPLICA shard node-id).
func (n *Node) addReplica(s int, id string) error {
	_, err := n.change(func(l *Layout) error {
		if s < 0 || s >= l.Shards {
			return fmt.Errorf("%w: cluster: no shard %d", tempest.ErrInvalidArgument, s)
		}
		if _, err := member(l, id); err != nil {
			return err
		}
		if slices.Contains(l.Placed[s], id) {
			return fmt.Errorf("%w: cluster: shard %d already has a replica on %q", tempest.ErrInvalidArgument, s, id)
		}
		l.Placed[s] = append(l.Placed[s], id)
		return nil
	})
	return err
}

// reconcile brings the local raft groups in line with the layout (see
// the comment at the top of this file).
func (n *Node) reconcile() {
	l := n.lay()
	me := l.NodeIndex(n.id)
	for s := range l.Shards {
		placed := slices.Contains(l.ShardNodes(s), me)
		sh := n.shard(s)
		switch {
		case sh == nil && placed:
			n.addShard(s)
		case sh == nil || !sh.running():
		case sh.raft.State() == raft.Leader:
			if err := n.conform(sh, l); err != nil {
				n.logf("cluster: shard %d: membership change: %v", s, err)
			}
		case !placed:
			n.dropShard(s, sh)
		}
	}
}

// addShard starts a raft group for shard s, newly placed here.
func (n *Node) addShard(s int) {
	sh, err := n.startShard(s, false)
	if err != nil {
		n.logf("cluster: starting shard %d: %v", s, err)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.shards[s] = sh
}

// dropShard stops the group of shard s, no longer placed here. Its data
// stays in the database until the shard is placed here again (the
// leader then brings it up to date).
func (n *Node) dropShard(s int, sh *shard) {
	if err := sh.stop(); err != nil {
		n.logf("cluster: stopping shard %d: %v", s, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.shards, s)
}

// conform makes one change to the raft configuration of shard sh, which
// this node leads, towards the layout's replicas of the shard.
func (n *Node) conform(sh *shard, l *Layout) error {
	f := sh.raft.GetConfiguration()
	if err := sh.await(f, applyTimeout); err != nil {
		return err
	}
	want := map[raft.ServerID]NodeInfo{}
	for _, i := range l.ShardNodes(sh.id) {
		want[raft.ServerID(l.Nodes[i].ID)] = l.Nodes[i]
	}
	have := map[raft.ServerID]bool{}
	selfUnwanted := false
	for _, srv := range f.Configuration().Servers {
		have[srv.ID] = true
		if _, ok := want[srv.ID]; ok {
			continue
		}
		if srv.ID == raft.ServerID(n.id) {
			selfUnwanted = true
			continue
		}
		return n.removeServer(sh, srv.ID)
	}
	for id, nd := range want {
		if !have[id] {
			n.logf("cluster: shard %d: adding %s", sh.id, id)
			return sh.await(sh.raft.AddVoter(id, raft.ServerAddress(nd.Bus), 0, applyTimeout), 2*applyTimeout)
		}
	}
	if selfUnwanted {
		return n.removeServer(sh, raft.ServerID(n.id))
	}
	return nil
}

func (n *Node) removeServer(sh *shard, id raft.ServerID) error {
	n.logf("cluster: shard %d: removing %s", sh.id, id)
	return sh.await(sh.raft.RemoveServer(id, 0, applyTimeout), 2*applyTimeout)
}

// membershipCmd runs CLUSTER REPLACE, ADDREPLICA and TEMPEST-JOIN.
func (n *Node) membershipCmd(sub string, argv [][]byte) Reply {
	var err error
	switch sub {
	case "replace":
		err = n.replace(string(argv[2]), string(argv[3]))
	case "addreplica":
		s, perr := strconv.Atoi(string(argv[2]))
		if perr != nil {
			return errReply("ERR value is not an integer or out of range")
		}
		err = n.addReplica(s, string(argv[3]))
	case "tempest-join":
		var l *Layout
		if l, err = n.join(NodeInfo{ID: string(argv[2]), Addr: string(argv[3]), Bus: string(argv[4])}); err == nil {
			b, _ := json.Marshal(l)
			return bulkReply(b)
		}
	}
	if err != nil {
		return errReply("ERR " + err.Error())
	}
	return okReply
}

func (n *Node) logf(format string, args ...any) {
	if n.cfg.Logf != nil {
		n.cfg.Logf(format, args...)
	}
}
