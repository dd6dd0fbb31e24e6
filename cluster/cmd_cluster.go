package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// keyless runs the commands without keys.
func (n *Node) keyless(st *connState, name string, argv [][]byte) Reply {
	switch name {
	case "ping":
		if len(argv) > 2 {
			return errReply("ERR wrong number of arguments for 'ping' command")
		}
		if len(argv) == 2 {
			return bulkReply(argv[1])
		}
		return statusReply("PONG")
	case "echo":
		if len(argv) != 2 {
			return errReply("ERR wrong number of arguments for 'echo' command")
		}
		return bulkReply(argv[1])
	case "select":
		if len(argv) != 2 {
			return errReply("ERR wrong number of arguments for 'select' command")
		}
		if string(argv[1]) != "0" {
			return errReply("ERR SELECT is not allowed in cluster mode")
		}
		return okReply
	case "readonly":
		st.readonly = true
		return okReply
	case "readwrite":
		st.readonly = false
		return okReply
	case "asking":
		return okReply
	case "command":
		return commandInfo()
	case "cluster":
		return n.clusterCmd(argv)
	}
	return errReply(unknownCommand(argv))
}

func (n *Node) clusterCmd(argv [][]byte) Reply {
	if len(argv) < 2 {
		return errReply("ERR wrong number of arguments for 'cluster' command")
	}
	sub := strings.ToLower(string(argv[1]))
	switch {
	case sub == "myid" && len(argv) == 2:
		return bulkReply([]byte(n.id))
	case sub == "keyslot" && len(argv) == 3:
		return intReply(int64(KeySlot(argv[2])))
	case sub == "slots" && len(argv) == 2:
		return n.clusterSlots()
	case sub == "shards" && len(argv) == 2:
		return n.clusterShards()
	case sub == "nodes" && len(argv) == 2:
		return bulkReply([]byte(n.clusterNodes()))
	case sub == "info" && len(argv) == 2:
		return bulkReply([]byte(n.clusterInfo()))
	case (sub == "replace" || sub == "addreplica") && len(argv) == 4,
		sub == "tempest-join" && len(argv) == 5:
		return n.membershipCmd(sub, argv)
	}
	return errReply(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLUSTER HELP.", argv[1]))
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
func (n *Node) clusterSlots() Reply {
	var w respWriter
	w.array(n.lay().Shards)
	for s := range n.lay().Shards {
		first, end := n.lay().SlotRange(s)
		nodes, _ := n.replicasLeaderFirst(s)
		w.array(2 + len(nodes))
		w.int(int64(first))
		w.int(int64(end - 1))
		for _, i := range nodes {
			nd := n.lay().Nodes[i]
			h, p := hostPort(nd.Addr)
			w.array(3)
			w.bulk(h)
			w.int(p)
			w.bulk(nd.ID)
		}
	}
	return w.reply()
}

// clusterShards is CLUSTER SHARDS (RESP2: maps as flat arrays).
func (n *Node) clusterShards() Reply {
	var w respWriter
	w.array(n.lay().Shards)
	for s := range n.lay().Shards {
		first, end := n.lay().SlotRange(s)
		nodes, known := n.replicasLeaderFirst(s)
		w.array(4)
		w.bulk("slots")
		w.array(2)
		w.int(int64(first))
		w.int(int64(end - 1))
		w.bulk("nodes")
		w.array(len(nodes))
		for j, i := range nodes {
			nd := n.lay().Nodes[i]
			h, p := hostPort(nd.Addr)
			role := "replica"
			if j == 0 && known {
				role = "master"
			}
			w.array(14)
			w.bulk("id")
			w.bulk(nd.ID)
			w.bulk("port")
			w.int(p)
			w.bulk("ip")
			w.bulk(h)
			w.bulk("endpoint")
			w.bulk(h)
			w.bulk("role")
			w.bulk(role)
			w.bulk("replication-offset")
			w.int(0)
			w.bulk("health")
			w.bulk("online")
		}
	}
	return w.reply()
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

// respWriter builds a raw RESP2 reply.
type respWriter struct{ b []byte }

func (w *respWriter) array(n int) {
	w.b = append(strconv.AppendInt(append(w.b, '*'), int64(n), 10), "\r\n"...)
}
func (w *respWriter) int(n int64) {
	w.b = append(strconv.AppendInt(append(w.b, ':'), n, 10), "\r\n"...)
}
func (w *respWriter) bulk(s string) {
	w.b = append(strconv.AppendInt(append(w.b, '$'), int64(len(s)), 10), "\r\n"...)
	w.b = append(append(w.b, s...), "\r\n"...)
}
func (w *respWriter) reply() Reply { return Reply{Kind: kindRaw, Str: w.b} }
