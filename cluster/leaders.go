package cluster

import (
	"bufio"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Leaders publish their leadership on the cluster bus, so that a node
// can name the leader of a shard it does not run (it holds no replica,
// or its replica is stopped). The bus Mux carries, beside each shard's
// raft stream, a leadership stream: a node that accepts a connection on
// it writes the shards it leads now as one line of decimal shard
// numbers separated by spaces, and closes it. Every hintEvery, a node
// that does not run every shard asks each other node and keeps the
// answers as hints. A hint only names where to redirect a client; the
// leader itself checks, so a stale hint costs one more redirect.
const (
	hintEvery     = 250 * time.Millisecond
	leadersStream = "leaders" // a shard's stream is its decimal number
)

type leaderHints struct {
	mu     sync.Mutex
	leader map[int]int // shard -> node index; guarded by mu
}

// ledShards returns the shards this node leads now.
func (n *Node) ledShards() []int {
	var led []int
	for s, sh := range n.shards {
		if sh.running() && sh.raft.State() == raft.Leader {
			led = append(led, s)
		}
	}
	return led
}

// openLeaders opens the leadership stream on the bus; connections to it
// wait until serveLeaders runs.
func (n *Node) openLeaders() (err error) {
	n.leaders, err = n.mux.StreamLayer(leadersStream)
	return err
}

// serveLeaders answers the leadership stream until its layer closes. It
// runs once n.shards is complete.
func (n *Node) serveLeaders() {
	for {
		c, err := n.leaders.Accept()
		if err != nil {
			return // closed
		}
		c.SetWriteDeadline(time.Now().Add(hintEvery))
		c.Write([]byte(formatShards(n.ledShards())))
		c.Close()
	}
}

func formatShards(shards []int) string {
	var b strings.Builder
	for i, s := range shards {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(s))
	}
	b.WriteByte('\n')
	return b.String()
}

func (n *Node) hintedLeader(s int) int {
	n.hints.mu.Lock()
	defer n.hints.mu.Unlock()
	if i, ok := n.hints.leader[s]; ok {
		return i
	}
	return -1
}

// needsHints reports whether some shard is not run here.
func (n *Node) needsHints() bool {
	for s := range n.layout.Shards {
		if !n.shards[s].running() {
			return true
		}
	}
	return false
}

// hintLoop polls the other nodes until stop is closed.
func (n *Node) hintLoop(stop chan struct{}) {
	t := time.NewTicker(hintEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if !n.needsHints() {
			continue
		}
		next := map[int]int{}
		for i, nd := range n.layout.Nodes {
			if nd.ID == n.id {
				continue
			}
			for _, s := range n.askLeads(nd.Bus) {
				next[s] = i
			}
		}
		n.hints.mu.Lock()
		n.hints.leader = next
		n.hints.mu.Unlock()
	}
}

// askLeads asks the node at bus which shards it leads; nil on any
// failure.
func (n *Node) askLeads(bus string) []int {
	c, err := n.leaders.Dial(raft.ServerAddress(bus), hintEvery)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(hintEvery))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(line) {
		s, err := strconv.Atoi(f)
		if err != nil || s < 0 || s >= n.layout.Shards {
			return nil
		}
		out = append(out, s)
	}
	return out
}
