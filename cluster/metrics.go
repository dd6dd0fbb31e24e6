package cluster

import (
	"net/http"

	tempestprom "github.com/tempestdb/tempest/metrics/prometheus"
)

// MetricsHandler serves Prometheus metrics: the node's database's
// (namespace "tempest": every local shard's data and raft log share it)
// and the node's (namespace "tempest_cluster"). Call it after Listen.
func (n *Node) MetricsHandler() http.Handler {
	load := func(v interface{ Load() int64 }) func() float64 { return func() float64 { return float64(v.Load()) } }
	return tempestprom.Handler(n.db, "tempest_cluster",
		tempestprom.Func{Name: "connected_clients", Help: "Connections open now.", Value: load(&n.srv.clients)},
		tempestprom.Func{Name: "connections_total", Help: "Connections accepted.", Counter: true, Value: load(&n.srv.conns)},
		tempestprom.Func{Name: "rejected_connections_total", Help: "Connections refused at maxclients.", Counter: true, Value: load(&n.srv.rejected)},
		tempestprom.Func{Name: "commands_total", Help: "Commands processed.", Counter: true, Value: load(&n.srv.commands)},
		tempestprom.Func{Name: "expired_keys_total", Help: "Expired keys deleted by the sweep entries this node proposed as a shard's leader.", Counter: true, Value: load(&n.expired)},
		tempestprom.Func{Name: "shards_led", Help: "Local shards this node leads now.", Value: func() float64 { return float64(len(n.ledShards())) }},
		tempestprom.Func{Name: "shards_local", Help: "Shards with a replica on this node.", Value: func() float64 {
			n.mu.RLock()
			defer n.mu.RUnlock()
			return float64(len(n.shards))
		}},
	)
}
