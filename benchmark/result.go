package benchmark

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// Result is the outcome of one workload on one engine.
type Result struct {
	Engine   string `json:"engine"`
	Workload string `json:"workload"`
	// Ops is the number of measured operations, Seconds their wall time,
	// OpsPerSec their throughput.
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	// Latency is the distribution over all measured operations;
	// Percentiles the whole of it (for a percentile plot).
	Latency     Latency      `json:"latency"`
	Percentiles []Percentile `json:"latency_percentiles,omitempty"`
	// Timeline is the throughput over the measured phase, interval by
	// interval.
	Timeline []TimelinePoint `json:"timeline,omitempty"`
	// Goroutines is the number of goroutines that issued them.
	Goroutines int `json:"goroutines"`
	// Parts break the operations down by kind (readrandom: hit and miss;
	// YCSB: read, update, insert, scan, rmw). Background parts
	// (readwhilewriting's writer) are not counted in Ops.
	Parts []Part `json:"parts,omitempty"`

	// UserBytes is the key and value bytes the workload wrote, load
	// included. EngineBytes is what the engine counts as written to
	// storage (0: the engine does not say), OSBytes what the operating
	// system counted for the process from Open to after Close (0: not
	// measured). The amplifications divide them by UserBytes.
	UserBytes int64 `json:"user_bytes"`
	// ReadBytes is the key and value bytes read through iterators.
	ReadBytes   int64   `json:"read_bytes"`
	EngineBytes int64   `json:"engine_bytes_written"`
	OSBytes     int64   `json:"os_bytes_written"`
	WriteAmp    float64 `json:"write_amp"`
	OSWriteAmp  float64 `json:"os_write_amp"`
	// DiskBytes is the size on disk after Close; LiveBytes the key and
	// value bytes of the live keys; SpaceAmp their ratio.
	DiskBytes int64   `json:"disk_bytes"`
	LiveBytes int64   `json:"live_bytes"`
	SpaceAmp  float64 `json:"space_amp"`
	// Settled is the size on disk after the engine settled on its own
	// (Options.SettleWait), nil when not measured.
	Settled *Settled `json:"settled,omitempty"`
	// PeakRSS is the peak resident set size of the process that ran the
	// workload (in-process runs: of the whole run so far).
	PeakRSS int64 `json:"peak_rss_bytes"`
	// Sync holds the group-commit figures of an fsync-bound workload
	// (FsyncBound), nil for the others.
	Sync *SyncFigures `json:"sync,omitempty"`
	// EngineOptions are the options the engine says it ran with
	// (Describer), empty if it does not say.
	EngineOptions string `json:"engine_options,omitempty"`
	// Error is set when the workload failed; the other fields are then
	// partial.
	Error string `json:"error,omitempty"`
	// Unsupported says why the engine did not run the workload (it lacks
	// what the workload needs); the other fields are then empty. It is not
	// a failure.
	Unsupported string `json:"unsupported,omitempty"`
}

// Part is one kind of operation within a workload.
type Part struct {
	Name       string  `json:"name"`
	Ops        int64   `json:"ops"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	Latency    Latency `json:"latency"`
	Background bool    `json:"background,omitempty"`
}

// Report is the JSON document of a run.
type Report struct {
	Date      time.Time `json:"date"`
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	CPUs      int       `json:"cpus"`
	Options   Options   `json:"options"`
	Results   []Result  `json:"results"`
	// FsyncProbes are the fsync probes of the run, in order; each
	// fsync-bound result also carries the two that bracket it.
	FsyncProbes []FsyncProbe `json:"fsync_probes,omitempty"`
}

// NewReport returns a report of opts with the machine filled in.
func NewReport(opts Options, results []Result) Report {
	return Report{
		Date: time.Now().UTC().Truncate(time.Second), GoVersion: runtime.Version(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(),
		Options: opts, Results: results,
	}
}

// WriteText prints r as a few human-readable lines.
func (r *Result) WriteText(w io.Writer) {
	if r.Error != "" {
		fmt.Fprintf(w, "%-16s %-9s FAILED %s\n", r.Workload, r.Engine, r.Error)
		return
	}
	if r.Unsupported != "" {
		fmt.Fprintf(w, "%-16s %-9s unsupported: %s\n", r.Workload, r.Engine, r.Unsupported)
		return
	}
	fmt.Fprintf(w, "%-16s %-9s %9d ops %8.2fs %12s ops/s   p50 %8s  p99 %8s  p99.9 %8s\n",
		r.Workload, r.Engine, r.Ops, r.Seconds, FormatCount(r.OpsPerSec),
		FormatNanos(r.Latency.P50), FormatNanos(r.Latency.P99), FormatNanos(r.Latency.P999))
	for _, p := range r.Parts {
		bg := ""
		if p.Background {
			bg = " (background)"
		}
		fmt.Fprintf(w, "    %-12s %9d ops %12s ops/s   p50 %8s  p99 %8s  p99.9 %8s%s\n",
			p.Name, p.Ops, FormatCount(p.OpsPerSec),
			FormatNanos(p.Latency.P50), FormatNanos(p.Latency.P99), FormatNanos(p.Latency.P999), bg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "    write-amp %s (os %s)  disk %s  space-amp %s  peak-rss %s",
		formatRatio(r.WriteAmp), formatRatio(r.OSWriteAmp), FormatBytes(r.DiskBytes),
		formatRatio(r.SpaceAmp), FormatBytes(r.PeakRSS))
	if st := r.Settled; st != nil {
		fmt.Fprintf(&b, "\n    settled after %.1fs%s: disk %s  space-amp %s",
			st.Seconds, map[bool]string{true: "", false: " (still changing)"}[st.Steady],
			FormatBytes(st.DiskBytes), formatRatio(st.SpaceAmp))
	}
	fmt.Fprintln(w, b.String())
	if r.EngineOptions != "" {
		fmt.Fprintf(w, "    options: %s\n", r.EngineOptions)
	}
	r.writeSyncText(w)
}

// BenchName is the benchstat name of r: BenchmarkTempest/fillrandom.
func (r *Result) BenchName() string {
	engine := r.Engine
	if engine != "" {
		engine = strings.ToUpper(engine[:1]) + engine[1:]
	}
	return "Benchmark" + engine + "/" + r.Workload
}

// WriteBenchstat prints r as a line benchstat reads: name, operation count,
// mean wall time per operation, and the p99 latency. Failed results print
// nothing.
func (r *Result) WriteBenchstat(w io.Writer) {
	if r.Error != "" || r.Ops == 0 {
		return
	}
	fmt.Fprintf(w, "%s \t %d \t %.1f ns/op \t %d p99-ns\n", r.BenchName(), r.Ops, r.Seconds*1e9/float64(r.Ops), r.Latency.P99)
}

// FormatNanos formats a latency in ns with a unit: 850ns, 12.3µs, 4.56ms, 1.2s.
func FormatNanos(ns int64) string {
	switch {
	case ns <= 0:
		return "-"
	case ns < 1_000:
		return fmt.Sprintf("%dns", ns)
	case ns < 1_000_000:
		return fmt.Sprintf("%.1fµs", float64(ns)/1e3)
	case ns < 1_000_000_000:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.2fs", float64(ns)/1e9)
}

// FormatCount formats a rate with a k or M suffix.
func FormatCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// FormatBytes formats a size in binary units; 0 is "-" (unknown).
func FormatBytes(n int64) string {
	const unit = 1024
	if n <= 0 {
		return "-"
	}
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func formatRatio(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(a, b int64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
