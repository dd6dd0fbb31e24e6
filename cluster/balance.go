package cluster

import (
	"time"

	"github.com/hashicorp/raft"
)

// Leadership balancing.
//
// An election puts a shard's leader wherever a timeout fired first, so
// one node may lead several shards while another leads none; clients
// send each key to its shard's leader, so that node then carries the
// whole load (redis-benchmark --cluster drives only the leading nodes).
// Each shard therefore has a preferred leader, which every node computes
// from the same Layout (PreferredLeaders), and the leader of a shard
// hands the leadership to it:
//
//   - a node that has led a shard for balanceAfter, while the shard's
//     preferred leader is another node that answered on the cluster bus
//     in the same round (hintLoop), starts raft's leadership transfer to
//     it (LeadershipTransferToServer: the target is first brought up to
//     date, then told to start its election at once);
//   - a shard whose transfer was started is not transferred again before
//     balanceBackoff, whatever came of it (the target may be down, its
//     replica stopped, or not a member any more).
//
// A transfer is an election that one replica is asked to win: it changes
// nothing committed, and a command that arrives meanwhile gets -TRYAGAIN,
// as during any election. Config.NoLeaderBalance turns it off.
const (
	balanceAfter   = 2 * time.Second
	balanceBackoff = 10 * time.Second
)

// PreferredLeaders returns, for each shard, the index (into Nodes) of the
// replica that should lead it, so that leaderships spread over the nodes
// as evenly as the placement allows: first shard by shard to the replica
// leading the fewest so far (ties to the first from place s mod R), then,
// while a most-loaded node reaches one leading at least two fewer
// through a chain of shards each handed to another of its replicas, that
// chain is shifted (one fewer at the start, one more at the end, the
// same in between). Every node computes the same result from the same
// Layout.
func (l *Layout) PreferredLeaders() []int {
	leads := make([]int, len(l.Nodes))
	out := make([]int, l.Shards)
	replicas := make([][]int, l.Shards)
	for s := range l.Shards {
		replicas[s] = l.ShardNodes(s)
		best := -1
		for k := range replicas[s] {
			i := replicas[s][(s+k)%len(replicas[s])]
			if i >= 0 && (best < 0 || leads[i] < leads[best]) {
				best = i
			}
		}
		out[s] = best
		if best >= 0 {
			leads[best]++
		}
	}
	for shiftLeaders(out, replicas, leads) {
	}
	return out
}

// shiftLeaders finds, from a most-loaded node, a chain of handovers to a
// node leading at least two fewer and applies it; it reports whether it
// found one.
func shiftLeaders(out []int, replicas [][]int, leads []int) bool {
	most := 0
	for _, n := range leads {
		most = max(most, n)
	}
	for u, n := range leads {
		if n != most {
			continue
		}
		// Breadth-first over nodes: via[v] is the shard whose handover
		// reached v, from node out[via[v]].
		via := make([]int, len(leads))
		for i := range via {
			via[i] = -1
		}
		seen := make([]bool, len(leads))
		seen[u] = true
		queue := []int{u}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for s, led := range out {
				if led != x {
					continue
				}
				for _, v := range replicas[s] {
					if v < 0 || seen[v] {
						continue
					}
					seen[v], via[v] = true, s
					if leads[v] <= most-2 {
						for w := v; w != u; {
							s := via[w]
							from := out[s]
							out[s] = w
							w = from
						}
						leads[u]--
						leads[v]++
						return true
					}
					queue = append(queue, v)
				}
			}
		}
	}
	return false
}

// balancer is the state of leadership balancing. hintLoop only.
type balancer struct {
	since map[int]time.Time // shard -> when this node was first seen leading it
	tried map[int]time.Time // shard -> the latest transfer started
	// pref is PreferredLeaders of the layout of, computed once per layout.
	of   *Layout
	pref []int
}

// balanceLeaders starts the transfers due at now; answered lists the
// nodes (indexes into l.Nodes) that answered on the bus this round.
// hintLoop only.
func (n *Node) balanceLeaders(l *Layout, answered map[int]bool, now time.Time) {
	b := &n.balance
	if b.since == nil {
		b.since, b.tried = map[int]time.Time{}, map[int]time.Time{}
	}
	if b.of != l {
		b.of, b.pref = l, l.PreferredLeaders()
	}
	pref := b.pref
	me := l.NodeIndex(n.id)
	leading := map[int]bool{}
	for _, s := range n.ledShards() {
		leading[s] = true
		since, ok := b.since[s]
		if !ok {
			b.since[s] = now
			continue
		}
		if s >= len(pref) {
			continue
		}
		p := pref[s]
		if p < 0 || p == me || !answered[p] || now.Sub(since) < balanceAfter || now.Sub(b.tried[s]) < balanceBackoff {
			continue
		}
		if sh := n.shard(s); sh != nil {
			b.tried[s] = now
			n.transferLeader(sh, l.Nodes[p])
		}
	}
	for s := range b.since {
		if !leading[s] {
			delete(b.since, s)
		}
	}
}

// transferLeader hands sh's leadership to the node to, in the background.
func (n *Node) transferLeader(sh *shard, to NodeInfo) {
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		f := sh.raft.LeadershipTransferToServer(raft.ServerID(to.ID), raft.ServerAddress(to.Bus))
		if err := f.Error(); err != nil {
			n.logf("cluster: shard %d: leadership transfer to %s: %v", sh.id, to.ID, err)
			return
		}
		n.logf("cluster: shard %d: leadership handed to %s, its preferred leader", sh.id, to.ID)
	}()
}
