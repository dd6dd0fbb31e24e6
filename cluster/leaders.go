package cluster

import (
	"bufio"
	"encoding/json"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Leaders publish their leadership on the cluster bus, so that a node
// can name the leader of a shard it does not run (it holds no replica,
// or its replica is stopped). The bus Mux carries, beside each shard's
// raft stream, a leadership stream: a node that accepts a connection on
// it writes one line of JSON, a busNews: the shards it leads now and the
// newest Layout it knows, and closes it. Every hintEvery, a node asks
// each other (not retired) node, keeps the leaderships as hints and
// adopts a newer Layout (membership.go). A hint only names where to
// redirect a client; the leader itself checks, so a stale hint costs one
// more redirect.
const (
	hintEvery     = 250 * time.Millisecond
	leadersStream = "leaders" // a shard's stream is its decimal number
)

// busNews is what a node answers on the leadership stream.
type busNews struct {
	Led    []int   `json:"led"`
	Layout *Layout `json:"layout"`
}

type leaderHints struct {
	mu     sync.Mutex
	leader map[int]int // shard -> node index; guarded by mu
}

// ledShards returns the shards this node leads now.
func (n *Node) ledShards() []int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	led := []int{}
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

// serveLeaders answers the leadership stream until its layer closes.
func (n *Node) serveLeaders() {
	for {
		c, err := n.leaders.Accept()
		if err != nil {
			return // closed
		}
		b, _ := json.Marshal(busNews{Led: n.ledShards(), Layout: n.lay()})
		c.SetWriteDeadline(time.Now().Add(hintEvery))
		c.Write(append(b, '\n'))
		c.Close()
	}
}

func (n *Node) hintedLeader(s int) int {
	n.hints.mu.Lock()
	defer n.hints.mu.Unlock()
	if i, ok := n.hints.leader[s]; ok {
		return i
	}
	return -1
}

// hintLoop polls the other nodes and reconciles the local shards with
// the layout until stop is closed.
func (n *Node) hintLoop(stop chan struct{}) {
	t := time.NewTicker(hintEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		l := n.lay()
		next := map[int]int{}
		answered := map[int]bool{}
		for i, nd := range l.Nodes {
			if nd.ID == n.id || nd.Retired {
				continue
			}
			news := n.askNews(nd.Bus)
			if news == nil {
				continue
			}
			answered[i] = true
			for _, s := range news.Led {
				next[s] = i
			}
			if news.Layout != nil {
				n.adopt(news.Layout)
			}
		}
		n.hints.mu.Lock()
		n.hints.leader = next
		n.hints.mu.Unlock()
		n.reconcile()
		if !n.cfg.NoLeaderBalance {
			n.balanceLeaders(l, answered, time.Now())
		}
	}
}

// askNews asks the node at bus for its news; nil on any failure.
func (n *Node) askNews(bus string) *busNews {
	c, err := n.leaders.Dial(raft.ServerAddress(bus), hintEvery)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(hintEvery))
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return nil
	}
	var news busNews
	if json.Unmarshal(line, &news) != nil {
		return nil
	}
	shards := n.lay().Shards
	for _, s := range news.Led {
		if s < 0 || s >= shards {
			return nil
		}
	}
	return &news
}
