package server

import (
	"net/http"

	tempestprom "github.com/tempestdb/tempest/metrics/prometheus"
)

// MetricsHandler serves Prometheus metrics: the engine's (namespace
// "tempest") and the server's connections and commands.
func (s *Server) MetricsHandler() http.Handler {
	load := func(v interface{ Load() int64 }) func() float64 { return func() float64 { return float64(v.Load()) } }
	return tempestprom.Handler(s.db, "tempest_serve",
		tempestprom.Func{Name: "connected_clients", Help: "Connections open now.", Value: load(&s.clients)},
		tempestprom.Func{Name: "connections_total", Help: "Connections accepted.", Counter: true, Value: load(&s.conns)},
		tempestprom.Func{Name: "rejected_connections_total", Help: "Connections refused at maxclients.", Counter: true, Value: load(&s.rejected)},
		tempestprom.Func{Name: "commands_total", Help: "Commands processed.", Counter: true, Value: load(&s.commands)},
		tempestprom.Func{Name: "expired_keys_total", Help: "Expired keys the sweep deleted.", Counter: true, Value: load(&s.expired)},
	)
}
