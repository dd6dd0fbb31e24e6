package cluster

import (
	"fmt"
	"slices"

	"github.com/tempestdb/tempest"
)

// Layout is the shape of a cluster: its nodes (those of the --cluster
// flag in its order, then those that joined), the number of shards and
// of replicas per shard, and, once the membership changed, where each
// shard's replicas are. Every node computes the same placement from the
// same Layout. Membership changes (membership.go) make a new Layout with
// a higher Epoch, which spreads to every node.
type Layout struct {
	// ClusterID names the cluster: at a first start from the flags, each
	// founding node derives it from the flags' layout (foundingClusterID),
	// and it stays in every later layout. A node never adopts a layout of
	// another cluster id.
	ClusterID string     `json:"cluster_id,omitempty"`
	Nodes     []NodeInfo `json:"nodes"`
	Shards    int        `json:"shards"`
	Replicas  int        `json:"replicas"`
	Epoch     uint64     `json:"epoch,omitempty"`
	// Placed, if not nil, lists each shard's replicas (node ids); nil
	// means the initial placement (ShardNodes).
	Placed [][]string `json:"placed,omitempty"`
}

// NodeInfo names one node: its id, its client (RESP) address and its
// cluster-bus address. A retired node was replaced: it holds no replica
// and is no longer listed, but its id still names it (a raft group may
// still report it as leader for a moment).
type NodeInfo struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"`
	Bus     string `json:"bus"`
	Retired bool   `json:"retired,omitempty"`
}

// Validate checks the layout's shape.
func (l *Layout) Validate() error {
	n := len(l.Nodes)
	switch {
	case n == 0:
		return fmt.Errorf("%w: cluster: no nodes", tempest.ErrInvalidArgument)
	case l.Shards < 1 || l.Shards > SlotCount:
		return fmt.Errorf("%w: cluster: %d shards (want 1..%d)", tempest.ErrInvalidArgument, l.Shards, SlotCount)
	case l.Replicas < 1 || l.Replicas > n:
		return fmt.Errorf("%w: cluster: %d replicas with %d nodes (want 1..%d)", tempest.ErrInvalidArgument, l.Replicas, n, n)
	}
	seen := map[string]bool{}
	for _, nd := range l.Nodes {
		if nd.ID == "" || nd.Addr == "" || nd.Bus == "" {
			return fmt.Errorf("%w: cluster: node %q lacks an id, address or bus address", tempest.ErrInvalidArgument, nd.ID)
		}
		if seen[nd.ID] {
			return fmt.Errorf("%w: cluster: node id %q twice", tempest.ErrInvalidArgument, nd.ID)
		}
		seen[nd.ID] = true
	}
	if l.Placed != nil && len(l.Placed) != l.Shards {
		return fmt.Errorf("%w: cluster: placement of %d shards, want %d", tempest.ErrInvalidArgument, len(l.Placed), l.Shards)
	}
	for s, ids := range l.Placed {
		if len(ids) == 0 {
			return fmt.Errorf("%w: cluster: shard %d has no replica", tempest.ErrInvalidArgument, s)
		}
		for j, id := range ids {
			if i := l.NodeIndex(id); i < 0 || l.Nodes[i].Retired || slices.Contains(ids[:j], id) {
				return fmt.Errorf("%w: cluster: shard %d placed on %q: not a member, retired or twice", tempest.ErrInvalidArgument, s, id)
			}
		}
	}
	return nil
}

// ShardOfSlot returns the shard that holds slot. Shard s holds the
// contiguous slots [SlotRange(s)): the slots are cut into Shards runs
// whose lengths differ by at most one.
func (l *Layout) ShardOfSlot(slot int) int {
	// The inverse of SlotRange: the largest s with s*SlotCount/Shards <= slot.
	s := (slot*l.Shards + l.Shards - 1) / SlotCount
	for s > 0 && s*SlotCount/l.Shards > slot {
		s--
	}
	for s+1 < l.Shards && (s+1)*SlotCount/l.Shards <= slot {
		s++
	}
	return s
}

// SlotRange returns shard s's slots: [first, end).
func (l *Layout) SlotRange(s int) (first, end int) {
	return s * SlotCount / l.Shards, (s + 1) * SlotCount / l.Shards
}

// ShardNodes returns the indexes (into Nodes) of shard s's replicas: the
// Placed ones if set, else the initial placement.
func (l *Layout) ShardNodes(s int) []int {
	if l.Placed == nil {
		return l.initialShardNodes(s)
	}
	out := make([]int, 0, len(l.Placed[s]))
	for _, id := range l.Placed[s] {
		out = append(out, l.NodeIndex(id))
	}
	return out
}

// initialShardNodes is the placement of a new cluster. The
// Shards*Replicas replica places are dealt round-robin over the nodes:
// replica i of shard s goes to node (s*R+i) mod N. So each node holds
// Shards*Replicas/N shards, give or take one, and a shard's R replicas
// (R <= N consecutive places) are on distinct nodes.
func (l *Layout) initialShardNodes(s int) []int {
	n := len(l.Nodes)
	out := make([]int, l.Replicas)
	for i := range out {
		out[i] = (s*l.Replicas + i) % n
	}
	return out
}

// NodeShards returns the shards node i holds, in increasing order.
func (l *Layout) NodeShards(i int) []int {
	var out []int
	for s := range l.Shards {
		for _, j := range l.ShardNodes(s) {
			if j == i {
				out = append(out, s)
			}
		}
	}
	return out
}

// NodeIndex returns the index of the node with the given id, or -1.
func (l *Layout) NodeIndex(id string) int {
	for i, nd := range l.Nodes {
		if nd.ID == id {
			return i
		}
	}
	return -1
}
