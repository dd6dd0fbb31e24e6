package tool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tempestdb/tempest/benchmark"
	"github.com/tempestdb/tempest/internal/charts"
)

// ratioTarget is the throughput ratio to every peer Tempest aims at on
// its target workloads (README, "Benchmarks"): at least 1.1×.
const ratioTarget = 1.1

// engineColors are the engines' colors in every chart of a bench page.
var engineColors = map[string]string{
	"tempest": "#1f77b4", "pebble": "#d62728", "badger": "#2ca02c", "goleveldb": "#ff7f0e", "bbolt": "#9467bd",
}

// writeBenchPicture writes the page of c to path.
func writeBenchPicture(path string, c benchmark.Comparison) error {
	return writeHTMLFile(path, func(b *bytes.Buffer) error { return writeBenchPage(b, c) })
}

// readBenchJSON reads the JSON report of a run of `tempest bench --json`:
// a comparison or a single engine's report. The engines, the workloads'
// order and Tempest's ratios are derived from the results when absent.
func readBenchJSON(path string) (benchmark.Comparison, error) {
	var c benchmark.Comparison
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: not a report of tempest bench --json: %w", path, err)
	}
	if len(c.Results) == 0 {
		return c, fmt.Errorf("%s: a report without results", path)
	}
	if len(c.Engines) == 0 {
		for _, r := range c.Results {
			if !slices.Contains(c.Engines, r.Engine) {
				c.Engines = append(c.Engines, r.Engine)
			}
		}
	}
	if len(c.Ratios) == 0 {
		c.Ratios = benchmark.Compare(c.Results, benchWorkloads(c), c.Engines)
	}
	return c, nil
}

// benchWorkloads returns the workloads of c's results in their order.
func benchWorkloads(c benchmark.Comparison) []string {
	var out []string
	for _, r := range c.Results {
		if !slices.Contains(out, r.Workload) {
			out = append(out, r.Workload)
		}
	}
	return out
}

// writeBenchPage writes the page of a run: throughput over time and the
// latency distribution per workload, one line per engine; Tempest's
// throughput ratio to each peer against the target; peak RSS and size on
// disk.
func writeBenchPage(w io.Writer, c benchmark.Comparison) error {
	o := c.Options
	p := charts.Page{
		Title: "tempest bench: " + strings.Join(c.Engines, ", "),
		Subtitle: fmt.Sprintf("%s · %s %s/%s, %d CPUs · num %d, concurrency %d, key %d B, value %d B, sync %v, settings %s, seed %d",
			c.Date.Format("2006-01-02 15:04 MST"), c.GoVersion, c.GOOS, c.GOARCH, c.CPUs, o.Num, o.Concurrency, o.KeySize, o.ValueSize, o.Sync, o.Settings, o.Seed),
	}
	var tput, lat []charts.Chart
	for _, wl := range benchWorkloads(c) {
		tput = append(tput, throughputChart(c, wl))
		lat = append(lat, latencyChart(c, wl))
	}
	p.Sections = append(p.Sections,
		charts.Section{Title: "Throughput over time", Text: []string{
			"Operations per second in each 100 ms interval of the measured phase (the load before it is not shown), one line per engine."}, Charts: tput},
		charts.Section{Title: "Latency distribution", Text: []string{
			"HdrHistogram's percentile plot: the latency (log scale) at or below which each percentile of the operations completed; the x-axis spreads 90%, 99%, 99.9% evenly, so the tail is as visible as the median."}, Charts: lat})
	if len(c.Ratios) > 0 {
		p.Sections = append(p.Sections, charts.Section{Title: "Tempest's throughput ÷ each peer's", Text: []string{fmt.Sprintf(
			"One bar per workload and peer: Tempest's operations per second divided by the peer's; above 1 Tempest is faster. The dashed line is the target, %.1f×.", ratioTarget)},
			Charts: []charts.Chart{ratioChart(c)}})
	}
	p.Sections = append(p.Sections, charts.Section{Title: "Peak RSS and size on disk", Text: []string{
		"Peak resident memory of the process that ran the workload (a subprocess per engine and workload in a comparison), and the databases' size on disk after Close."},
		HTML: resourceTable(c), Charts: resourceCharts(c)})
	if failed := failedResults(c); failed != "" {
		p.Sections = append(p.Sections, charts.Section{Title: "Failed", Text: []string{failed}})
	}
	return p.WriteHTML(w)
}

func throughputChart(c benchmark.Comparison, wl string) charts.Chart {
	ch := charts.Chart{ID: "throughput-" + wl, Title: wl + ": throughput", XLabel: "seconds", YLabel: "ops/s", Kind: charts.Lines}
	for _, r := range okResults(c, wl) {
		s := charts.Series{Tag: r.Engine + "/" + wl, Label: r.Engine, Color: engineColors[r.Engine]}
		for _, pt := range r.Timeline {
			s.X, s.Y = append(s.X, pt.Seconds), append(s.Y, pt.OpsPerSec)
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// latencyChart is the percentile plot of wl: the points of each
// engine's distribution below 100% (100% has no place on its x-axis).
func latencyChart(c benchmark.Comparison, wl string) charts.Chart {
	ch := charts.Chart{ID: "latency-" + wl, Title: wl + ": latency by percentile", XLabel: "percentile", YLabel: "latency",
		XFormat: charts.Percentile, YFormat: charts.Nanos, XLog: true, YLog: true, Kind: charts.Lines}
	for _, r := range okResults(c, wl) {
		s := charts.Series{Tag: "latency/" + r.Engine + "/" + wl, Label: r.Engine, Color: engineColors[r.Engine]}
		for _, pt := range r.Percentiles {
			if pt.Quantile < 100 && pt.ValueNs > 0 {
				s.X, s.Y = append(s.X, charts.PercentileX(pt.Quantile)), append(s.Y, float64(pt.ValueNs))
			}
		}
		ch.Series = append(ch.Series, s)
	}
	return ch
}

// ratioChart draws c's throughput ratios, a bar per workload and peer.
func ratioChart(c benchmark.Comparison) charts.Chart {
	ch := charts.Chart{ID: "ratios", Title: "Tempest's throughput ÷ the peer's", YLabel: "ratio", Kind: charts.Bars}
	series := map[string]*charts.Series{}
	var peers []string
	for _, q := range c.Ratios {
		if q.Throughput <= 0 {
			continue
		}
		i := float64(len(ch.Categories))
		ch.Categories = append(ch.Categories, q.Workload+" ÷ "+q.Peer)
		s, ok := series[q.Peer]
		if !ok {
			s = &charts.Series{Tag: "ratio/" + q.Peer, Label: "÷ " + q.Peer, Color: engineColors[q.Peer]}
			series[q.Peer] = s
			peers = append(peers, q.Peer)
		}
		s.X, s.Y = append(s.X, i), append(s.Y, q.Throughput)
	}
	for _, peer := range peers {
		ch.Series = append(ch.Series, *series[peer])
	}
	n := float64(len(ch.Categories))
	ch.Series = append(ch.Series, charts.Series{Tag: "target", Label: fmt.Sprintf("target %.1f×", ratioTarget), Color: "#b8860b", Dash: true,
		X: []float64{-0.5, n - 0.5}, Y: []float64{ratioTarget, ratioTarget}})
	return ch
}

// resourceCharts draw peak RSS and disk size, a bar per workload and
// engine.
func resourceCharts(c benchmark.Comparison) []charts.Chart {
	rss := charts.Chart{ID: "peak-rss", Title: "Peak RSS", YLabel: "bytes", YFormat: charts.Bytes, Kind: charts.Bars}
	disk := charts.Chart{ID: "disk", Title: "Size on disk", YLabel: "bytes", YFormat: charts.Bytes, Kind: charts.Bars}
	rssBy, diskBy := map[string]*charts.Series{}, map[string]*charts.Series{}
	for _, wl := range benchWorkloads(c) {
		for _, r := range okResults(c, wl) {
			i := float64(len(rss.Categories))
			label := wl + " · " + r.Engine
			rss.Categories, disk.Categories = append(rss.Categories, label), append(disk.Categories, label)
			addBar(rssBy, "rss/", r.Engine, i, float64(r.PeakRSS))
			addBar(diskBy, "disk/", r.Engine, i, float64(r.DiskBytes))
		}
	}
	for _, e := range c.Engines {
		if s, ok := rssBy[e]; ok {
			rss.Series = append(rss.Series, *s)
			disk.Series = append(disk.Series, *diskBy[e])
		}
	}
	return []charts.Chart{rss, disk}
}

func addBar(by map[string]*charts.Series, prefix, engine string, x, y float64) {
	s, ok := by[engine]
	if !ok {
		s = &charts.Series{Tag: prefix + engine, Label: engine, Color: engineColors[engine]}
		by[engine] = s
	}
	if y > 0 {
		s.X, s.Y = append(s.X, x), append(s.Y, y)
	}
}

// resourceTable is the table of the figures the resource charts draw.
func resourceTable(c benchmark.Comparison) template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="figures"><tr><th>workload</th><th>engine</th><th>ops/s</th><th>p99</th><th>peak RSS</th><th>disk</th></tr>`)
	for _, wl := range benchWorkloads(c) {
		for _, r := range okResults(c, wl) {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
				svgText(wl), svgText(r.Engine), benchmark.FormatCount(r.OpsPerSec), benchmark.FormatNanos(r.Latency.P99),
				benchmark.FormatBytes(r.PeakRSS), benchmark.FormatBytes(r.DiskBytes))
		}
	}
	b.WriteString("</table>")
	return template.HTML(b.String())
}

// okResults returns the results of wl that did not fail, in the order of
// c's engines.
func okResults(c benchmark.Comparison, wl string) []benchmark.Result {
	var out []benchmark.Result
	for _, e := range c.Engines {
		for _, r := range c.Results {
			if r.Engine == e && r.Workload == wl && r.Error == "" {
				out = append(out, r)
			}
		}
	}
	return out
}

func failedResults(c benchmark.Comparison) string {
	var failed []string
	for _, r := range c.Results {
		if r.Error != "" {
			failed = append(failed, fmt.Sprintf("%s/%s: %s", r.Engine, r.Workload, firstLineOf(r.Error)))
		}
	}
	return strings.Join(failed, "; ")
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
