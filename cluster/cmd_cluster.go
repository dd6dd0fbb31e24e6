package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

// cmdCluster is CLUSTER and its subcommands.
func cmdCluster(n *Node, st *connState, argv [][]byte) {
	w := &st.Out
	sub := strings.ToLower(string(argv[1]))
	switch {
	case sub == "myid" && len(argv) == 2:
		w.BulkString(n.id)
	case sub == "keyslot" && len(argv) == 3:
		w.Int(int64(KeySlot(argv[2])))
	case sub == "slots" && len(argv) == 2:
		n.clusterSlots(w)
	case sub == "shards" && len(argv) == 2:
		n.clusterShards(w)
	case sub == "nodes" && len(argv) == 2:
		w.Verbatim(n.clusterNodes())
	case sub == "info" && len(argv) == 2:
		w.Verbatim(n.clusterInfo())
	case (sub == "replace" || sub == "addreplica") && len(argv) == 4,
		sub == "tempest-join" && len(argv) == 5:
		n.membershipCmd(sub, argv).write(w)
	default:
		w.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLUSTER HELP.", argv[1]))
	}
}

// replicasLeaderFirst returns shard s's replicas, its leader (if known)
// first.
func (n *Node) replicasLeaderFirst(s int) (nodes []int, leaderKnown bool) {
	l := n.leaderOf(s)
	if l >= 0 {
		nodes = append(nodes, l)
	}
	for _, i := range n.lay().ShardNodes(s) {
		if i != l {
			nodes = append(nodes, i)
		}
	}
	return nodes, l >= 0
}

func hostPort(addr string) (string, int64) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	port, _ := strconv.ParseInt(p, 10, 64)
	return h, port
}

// clusterSlots is CLUSTER SLOTS: per shard, its slot range and its
// replicas, the leader (the "master") first.
func (n *Node) clusterSlots(w *resp.Writer) {
	w.Array(n.lay().Shards)
	for s := range n.lay().Shards {
		first, end := n.lay().SlotRange(s)
		nodes, _ := n.replicasLeaderFirst(s)
		w.Array(2 + len(nodes))
		w.Int(int64(first))
		w.Int(int64(end - 1))
		for _, i := range nodes {
			nd := n.lay().Nodes[i]
			h, p := hostPort(nd.Addr)
			w.Array(3)
			w.BulkString(h)
			w.Int(p)
			w.BulkString(nd.ID)
		}
	}
}

// clusterShards is CLUSTER SHARDS (RESP2: maps as flat arrays).
func (n *Node) clusterShards(w *resp.Writer) {
	w.Array(n.lay().Shards)
	for s := range n.lay().Shards {
		first, end := n.lay().SlotRange(s)
		nodes, known := n.replicasLeaderFirst(s)
		w.Map(2)
		w.BulkString("slots")
		w.Array(2)
		w.Int(int64(first))
		w.Int(int64(end - 1))
		w.BulkString("nodes")
		w.Array(len(nodes))
		for j, i := range nodes {
			nd := n.lay().Nodes[i]
			h, p := hostPort(nd.Addr)
			role := "replica"
			if j == 0 && known {
				role = "master"
			}
			w.Map(7)
			w.BulkString("id")
			w.BulkString(nd.ID)
			w.BulkString("port")
			w.Int(p)
			w.BulkString("ip")
			w.BulkString(h)
			w.BulkString("endpoint")
			w.BulkString(h)
			w.BulkString("role")
			w.BulkString(role)
			w.BulkString("replication-offset")
			w.Int(0)
			w.BulkString("health")
			w.BulkString("online")
		}
	}
}

// clusterNodes is CLUSTER NODES. A node leads some shards and follows in
// others, which Redis's master/replica flags cannot say: a node is shown
// as a master with the slots of the shards it leads.
func (n *Node) clusterNodes() string {
	l := n.lay()
	led := make([][]string, len(l.Nodes))
	for s := range l.Shards {
		if i := n.leaderOf(s); i >= 0 && i < len(led) {
			first, end := l.SlotRange(s)
			led[i] = append(led[i], fmt.Sprintf("%d-%d", first, end-1))
		}
	}
	var b strings.Builder
	for i, nd := range l.Nodes {
		if nd.Retired {
			continue
		}
		flags := "master"
		if nd.ID == n.id {
			flags = "myself,master"
		}
		_, busPort := hostPort(nd.Bus)
		fmt.Fprintf(&b, "%s %s@%d %s - 0 0 0 connected", nd.ID, nd.Addr, busPort, flags)
		for _, r := range led[i] {
			b.WriteString(" " + r)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (n *Node) clusterInfo() string {
	l := n.lay()
	ok, known := 0, 0
	for s := range l.Shards {
		if n.leaderOf(s) >= 0 {
			first, end := l.SlotRange(s)
			ok += end - first
		}
	}
	for _, nd := range l.Nodes {
		if !nd.Retired {
			known++
		}
	}
	state := "ok"
	if ok < SlotCount {
		state = "fail"
	}
	return fmt.Sprintf("cluster_enabled:1\r\ncluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:%d\r\ncluster_known_nodes:%d\r\ncluster_size:%d\r\ncluster_current_epoch:%d\r\ncluster_my_epoch:%d\r\n",
		state, SlotCount, ok, SlotCount-ok, known, l.Shards, l.Epoch, l.Epoch)
}
