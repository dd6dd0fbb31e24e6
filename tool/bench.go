package tool

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/benchmark"
)

// benchFlags are the flags of `tempest bench` beyond benchmark.Options.
type benchFlags struct {
	engine    string
	json      bool
	list      bool
	repo      string
	peerbench string
	// html is a file for the run's HTML page of charts ("" for none).
	html string
	// cpuProfile and memProfile are files for the CPU and heap profiles
	// of an in-process run ("" for none).
	cpuProfile string
	memProfile string
	// child marks a subprocess spawned by a comparison: it runs Tempest in
	// process and prints a benchmark.Report as JSON.
	child bool
}

func newBenchCmd() *cobra.Command {
	opts := benchmark.DefaultOptions()
	opts.Benchmarks = nil
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark Tempest, alone or side by side with Pebble, Badger and goleveldb",
		Long: `Bench runs db_bench and YCSB style workloads (see --list) and reports, per
workload, throughput, latency percentiles, write and space amplification,
peak RSS and size on disk, then one benchstat line per workload.

With --engine tempest (the default) the workloads run in this process. With
a peer engine, several, or all, every engine runs each workload in its own
subprocess, the engines' order rotating from one workload to the next; the
peers run in a peerbench binary built from the benchmark/peers module of the
repository (--repo), which needs the go command. A side-by-side table with
Tempest's ratios to each peer closes the run. --html also writes the run's
charts as an HTML page; bench report draws one from a saved --json report
(docs/pictures.md). See docs/bench-tool.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return runBench(ctx, cmd, opts, f)
		},
	}
	gofs := flag.NewFlagSet("bench", flag.ContinueOnError)
	opts.RegisterFlags(gofs)
	cmd.Flags().AddGoFlagSet(gofs)
	fl := cmd.Flags()
	fl.StringVar(&f.engine, "engine", "tempest", "engines: tempest, pebble, badger, goleveldb, bbolt, all, or a comma-separated list")
	fl.BoolVar(&f.json, "json", false, "print one JSON document instead of text")
	fl.BoolVar(&f.list, "list", false, "list the workloads and exit")
	fl.StringVar(&f.repo, "repo", "", "the Tempest repository, for building peerbench (default: found from the working directory)")
	fl.StringVar(&f.peerbench, "peerbench", "", "a peerbench binary to use instead of building one")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the in-process run to this file")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile, taken at the end of the in-process run, to this file")
	fl.StringVar(&f.html, "html", "", "also write the run's charts as a self-contained HTML page to this file")
	fl.BoolVar(&f.child, "child", false, "run as a comparison's subprocess")
	_ = fl.MarkHidden("child")
	cmd.AddCommand(newBenchReportCmd())
	return cmd
}

func runBench(ctx context.Context, cmd *cobra.Command, opts benchmark.Options, f benchFlags) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	progress := errOut
	if pf := cmd.Flag("progress"); pf != nil && pf.Value.String() == "off" {
		progress = nil // the root command's --progress=off
	}
	if f.list {
		for _, name := range benchmark.Names() {
			fmt.Fprintf(out, "%-16s %s\n", name, benchmark.Describe(name))
		}
		fmt.Fprintf(out, "%-16s %s\n", benchmark.FsyncProbeName,
			"the disk's fsync rate alone: 4KiB writes, each followed by a data sync, for --fsync-probe (not in the default list; fsync-bound workloads run it before and after)")
		return nil
	}
	if err := opts.Validate(); err != nil {
		return usagef("%v", err)
	}
	engines, err := parseBenchEngines(f.engine)
	if err != nil {
		return usagef("%v", err)
	}
	inProcess := f.child || slices.Equal(engines, []string{"tempest"})
	if !inProcess && (f.cpuProfile != "" || f.memProfile != "") {
		return usagef("--cpuprofile and --memprofile profile in-process runs: use --engine tempest")
	}
	if opts.Dir != "" {
		// The parent of the databases: made if absent, as its flag says.
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return fmt.Errorf("--dir: %w", err)
		}
	}
	if !inProcess {
		return runComparison(ctx, cmd, opts, engines, f, progress)
	}
	if f.child && !slices.Equal(engines, []string{"tempest"}) {
		return usagef("--child runs tempest only")
	}
	stopProfiles, err := startBenchProfiles(f.cpuProfile, f.memProfile)
	if err != nil {
		return err
	}
	err = runInProcess(ctx, out, progress, opts, f)
	return errors.Join(err, stopProfiles())
}

// benchProbeFsync runs the fsync probes of `tempest bench`; tests replace
// it.
var benchProbeFsync = benchmark.ProbeFsync

// parseBenchEngines expands "all" and checks the names.
func parseBenchEngines(s string) ([]string, error) {
	if s == "all" {
		return benchmark.Engines, nil
	}
	var engines []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(benchmark.Engines, name) {
			return nil, fmt.Errorf("--engine: unknown engine %q (want %s or all)", name, strings.Join(benchmark.Engines, ", "))
		}
		if !slices.Contains(engines, name) {
			engines = append(engines, name)
		}
	}
	// Tempest first, then the peers in their usual order.
	slices.SortStableFunc(engines, func(a, b string) int {
		return slices.Index(benchmark.Engines, a) - slices.Index(benchmark.Engines, b)
	})
	return engines, nil
}

// runInProcess runs the workloads on Tempest in this process, printing
// each result as it completes (text) or one JSON report at the end, with
// fsync probes just before and after each fsync-bound workload. A child
// reports failed workloads in its JSON only, for its parent to read, and
// runs no probe: its parent does.
func runInProcess(ctx context.Context, out, progress io.Writer, opts benchmark.Options, f benchFlags) error {
	asJSON, child := f.json || f.child, f.child
	probeOut := out
	if asJSON {
		probeOut = progress
	} else {
		writeBenchHeader(out, opts, []string{"tempest"})
	}
	prober := benchmark.NewProber(opts, probeOut)
	prober.ProbeFunc = benchProbeFsync
	var results []benchmark.Result
	for _, name := range opts.Benchmarks {
		if !child {
			if err := prober.Before(ctx, name); err != nil {
				return err
			}
		}
		if name == benchmark.FsyncProbeName {
			continue
		}
		res, err := benchmark.RunWorkload(ctx, benchmark.NewTempest(), name, opts, progress)
		if err != nil {
			res.Error = err.Error()
		}
		results = append(results, res)
		if !child && ctx.Err() == nil {
			if err := prober.After(ctx, name, results[len(results)-1:]); err != nil {
				return err
			}
		}
		if !asJSON {
			results[len(results)-1].WriteText(out)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	report := benchmark.NewReport(opts, results)
	report.FsyncProbes = prober.Probes
	if f.html != "" && !child {
		if err := writeBenchPicture(f.html, benchmark.Comparison{Report: report, Engines: []string{"tempest"}}); err != nil {
			return err
		}
	}
	if asJSON {
		if err := writeBenchJSON(out, report); err != nil || child {
			return err
		}
	} else {
		benchmark.WriteSyncTable(out, results, opts.Benchmarks, []string{"tempest"})
		writeBenchstat(out, results)
	}
	return benchFailures(results)
}

func writeBenchHeader(w io.Writer, opts benchmark.Options, engines []string) {
	dur := "-"
	if opts.Duration > 0 {
		dur = opts.Duration.String()
	}
	sizes := fmt.Sprintf("memtable %s   cache %s   compression %s",
		benchmark.FormatBytes(opts.MemTableSize), benchmark.FormatBytes(opts.CacheSize), opts.Compression)
	if opts.Settings == benchmark.SettingsDefaults {
		sizes = "each engine's defaults"
	}
	fmt.Fprintf(w, "tempest bench   engines %s   num %d   duration %s   concurrency %d   key %dB   value %dB   sync %v   settings %s   %s   seed %d\n",
		strings.Join(engines, ","), opts.Num, dur, opts.Concurrency, opts.KeySize, opts.ValueSize, opts.Sync,
		opts.Settings, sizes, opts.Seed)
}

// writeBenchstat prints the results as benchstat input, after a blank line.
func writeBenchstat(w io.Writer, results []benchmark.Result) {
	r := benchmark.NewReport(benchmark.Options{}, nil)
	fmt.Fprintf(w, "\ngoos: %s\ngoarch: %s\n", r.GOOS, r.GOARCH)
	for i := range results {
		results[i].WriteBenchstat(w)
	}
}

func writeBenchJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// benchFailures returns an error naming the failed workloads, if any.
func benchFailures(results []benchmark.Result) error {
	var failed []string
	for _, r := range results {
		if r.Error != "" {
			failed = append(failed, r.Engine+"/"+r.Workload)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("bench: %d runs failed: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}
