package cluster

import (
	"fmt"

	"github.com/tempestdb/tempest"
)

// Layout is the fixed shape of a cluster: its nodes (in the order of the
// --cluster flag), the number of shards and of replicas per shard. Every
// node computes the same placement from the same Layout.
type Layout struct {
	Nodes    []NodeInfo `json:"nodes"`
	Shards   int        `json:"shards"`
	Replicas int        `json:"replicas"`
}

// NodeInfo names one node: its id, its client (RESP) address and its
// cluster-bus address.
type NodeInfo struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
	Bus  string `json:"bus"`
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

// ShardNodes returns the indexes (into Nodes) of shard s's replicas.
// The Shards*Replicas replica places are dealt round-robin over the
// nodes: replica i of shard s goes to node (s*R+i) mod N. So each node
// holds Shards*Replicas/N shards, give or take one, and a shard's R
// replicas (R <= N consecutive places) are on distinct nodes.
func (l *Layout) ShardNodes(s int) []int {
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
