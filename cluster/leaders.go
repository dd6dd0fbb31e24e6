package cluster

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Leadership of shards a node does not run (it holds no replica, or its
// replica is stopped) is learnt from the other nodes: every hintEvery the
// node asks each other node, over the client protocol, which shards it
// leads (CLUSTER TEMPEST-LEADERS) and keeps the answers as hints. A hint
// only names where to redirect a client; the leader itself checks, so a
// stale hint costs one more redirect.
const hintEvery = 250 * time.Millisecond

type leaderHints struct {
	mu     sync.Mutex
	leader map[int]int // shard -> node index; guarded by mu
}

// ledShards is the reply of CLUSTER TEMPEST-LEADERS: the shards this
// node leads now.
func (n *Node) ledShards() Reply {
	var w respWriter
	var led []int
	for s, sh := range n.shards {
		if sh.running() && sh.raft.State() == raft.Leader {
			led = append(led, s)
		}
	}
	w.array(len(led))
	for _, s := range led {
		w.int(int64(s))
	}
	return w.reply()
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
			for _, s := range askLeads(nd.Addr) {
				next[s] = i
			}
		}
		n.hints.mu.Lock()
		n.hints.leader = next
		n.hints.mu.Unlock()
	}
}

// askLeads asks the node at addr which shards it leads; nil on any
// failure.
func askLeads(addr string) []int {
	c, err := net.DialTimeout("tcp", addr, hintEvery)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(hintEvery))
	if _, err := c.Write([]byte("*2\r\n$7\r\nCLUSTER\r\n$15\r\nTEMPEST-LEADERS\r\n")); err != nil {
		return nil
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil
	}
	count, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil
	}
	var out []int
	for range count {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, ":") {
			return nil
		}
		s, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil {
			return nil
		}
		out = append(out, s)
	}
	return out
}
