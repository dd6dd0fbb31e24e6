package prometheus

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Func is a metric a server reads from a function at each scrape.
type Func struct {
	Name, Help string
	Counter    bool // a counter; else a gauge
	Value      func() float64
}

// Handler serves /metrics with a registry of its own: db's metrics
// (namespace "tempest") and funcs (namespace ns).
func Handler(db MetricsSource, ns string, funcs ...Func) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(db, "tempest"))
	for _, f := range funcs {
		if f.Counter {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: f.Name, Help: f.Help}, f.Value))
		} else {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: f.Name, Help: f.Help}, f.Value))
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
