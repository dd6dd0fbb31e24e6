package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	tempestprom "github.com/tempestdb/tempest/metrics/prometheus"
)

// MetricsHandler serves Prometheus metrics: the engine's (namespace
// "tempest") and the server's connections and commands.
func (s *Server) MetricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(tempestprom.NewCollector(s.db, "tempest"))
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tempest_serve", Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "tempest_serve", Name: name, Help: help}, f))
	}
	gauge("connected_clients", "Connections open now.", func() float64 { return float64(s.clients.Load()) })
	counter("connections_total", "Connections accepted.", func() float64 { return float64(s.conns.Load()) })
	counter("rejected_connections_total", "Connections refused at maxclients.", func() float64 { return float64(s.rejected.Load()) })
	counter("commands_total", "Commands processed.", func() float64 { return float64(s.commands.Load()) })
	counter("expired_keys_total", "Expired keys the sweep deleted.", func() float64 { return float64(s.expired.Load()) })
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
