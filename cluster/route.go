package cluster

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest/internal/resp"
)

func (sh *shard) running() bool {
	return sh != nil && sh.raft.State() != raft.Shutdown
}

// route decides whether this node serves shard s now: ok, or the
// redirect or error reply to send instead.
func (n *Node) route(sh *shard, s, slot int) (Reply, bool) {
	if sh.running() && sh.raft.State() == raft.Leader {
		return Reply{}, true
	}
	return n.notServed(sh, s, slot, nil), false
}

// leading returns the shard of slot and its index when this node leads
// it; otherwise it writes the redirect to w (route) and returns false.
func (n *Node) leading(w *resp.Writer, slot int) (*shard, int, bool) {
	s := n.lay().ShardOfSlot(slot)
	sh := n.shard(s)
	if rep, ok := n.route(sh, s, slot); !ok {
		rep.write(w)
		return nil, 0, false
	}
	return sh, s, true
}

// notServed is the reply for a key this node does not serve (err, if
// not nil, says why a try failed): MOVED to the shard's leader if it is
// known and another node, else TRYAGAIN while the shard elects one.
func (n *Node) notServed(sh *shard, s, slot int, err error) Reply {
	if i := n.leaderOf(s); i >= 0 && n.lay().Nodes[i].ID != n.id {
		return errReply(fmt.Sprintf("MOVED %d %s", slot, n.lay().Nodes[i].Addr))
	}
	if !sh.running() {
		// Not held here (or stopped): send the client to another replica,
		// which knows the leader or redirects again.
		if others := n.otherReplicas(s); len(others) > 0 {
			return errReply(fmt.Sprintf("MOVED %d %s", slot, n.lay().Nodes[others[0]].Addr))
		}
		return errReply("CLUSTERDOWN The cluster is down")
	}
	if sh.cutOff() {
		// This replica has heard from no leader for longer than an
		// election takes: it is likely cut off, and the others may have
		// elected one. Send the client to another replica, in turn.
		others := n.otherReplicas(s)
		if len(others) > 0 {
			i := others[int(sh.redirects.Add(1))%len(others)]
			return errReply(fmt.Sprintf("MOVED %d %s", slot, n.lay().Nodes[i].Addr))
		}
	}
	msg := fmt.Sprintf("TRYAGAIN shard %d has no leader yet", s)
	if err != nil {
		msg = fmt.Sprintf("TRYAGAIN shard %d: %v", s, err)
	}
	return errReply(msg)
}

// leaderOf returns the index of shard s's leader, or -1 if unknown.
func (n *Node) leaderOf(s int) int {
	sh := n.shard(s)
	if !sh.running() {
		return n.hintedLeader(s)
	}
	_, id := sh.raft.LeaderWithID()
	if id == "" {
		return -1
	}
	return n.lay().NodeIndex(string(id))
}

// definitelyNotApplied reports whether a failed raft Apply surely left
// the log without the entry: raft refused it before appending it (not
// the leader, its queue full, or a leadership transfer under way).
func definitelyNotApplied(err error) bool {
	return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrEnqueueTimeout) ||
		errors.Is(err, raft.ErrLeadershipTransferInProgress)
}

// otherReplicas returns the nodes other than this one holding shard s.
func (n *Node) otherReplicas(s int) []int {
	var out []int
	for _, i := range n.lay().ShardNodes(s) {
		if n.lay().Nodes[i].ID != n.id {
			out = append(out, i)
		}
	}
	return out
}

// cutOff reports whether the replica, not leading, last heard from a
// leader longer ago than cutOffAfter (never having heard is not enough:
// the cluster may be starting).
func (sh *shard) cutOff() bool {
	lc := sh.raft.LastContact()
	return sh.raft.State() != raft.Leader && !lc.IsZero() && time.Since(lc) > sh.cutOffAfter
}
