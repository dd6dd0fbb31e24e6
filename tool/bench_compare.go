package tool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest/benchmark"
)

// runComparison runs every workload on every engine, each in its own
// subprocess, rotating the engines' order from workload to workload so
// that drifting machine noise falls on all alike, then prints the
// side-by-side table (or one JSON benchmark.Comparison). Just before and
// just after each fsync-bound workload (all its engines) it probes the
// disk's fsync rate in this process, and attaches the two probes to every
// engine's result of that workload. A workload's results are printed
// when all its engines have run it.
func runComparison(ctx context.Context, cmd *cobra.Command, opts benchmark.Options, engines []string, f benchFlags, progress io.Writer) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if progress == nil {
		progress = io.Discard
	}
	tempestCmd, err := benchTempestCommand(cmd)
	if err != nil {
		return err
	}
	peerbench := f.peerbench
	needPeers := slices.ContainsFunc(engines, func(e string) bool { return e != "tempest" })
	if needPeers && peerbench == "" {
		tmp, err := os.MkdirTemp("", "tempest-peerbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if peerbench, err = buildPeerbench(ctx, f.repo, tmp, errOut); err != nil {
			return err
		}
	}
	if !f.json {
		writeBenchHeader(out, opts, engines)
	}
	var results []benchmark.Result
	var probeOut io.Writer = out
	if f.json {
		probeOut = progress
	}
	prober := benchmark.NewProber(opts, probeOut)
	prober.ProbeFunc = benchProbeFsync
	for i, workload := range opts.Benchmarks {
		if err := prober.Before(ctx, workload); err != nil {
			return err
		}
		if workload == benchmark.FsyncProbeName {
			continue
		}
		first := len(results)
		for _, engine := range rotateEngines(engines, i) {
			var argv []string
			if engine == "tempest" {
				argv = append(append(tempestCmd[:len(tempestCmd):len(tempestCmd)], "--child", "--engine=tempest"), opts.Args(workload)...)
			} else {
				argv = append([]string{peerbench, "--engine=" + engine}, opts.Args(workload)...)
			}
			results = append(results, runChild(ctx, argv, engine, workload, progress))
			if ctx.Err() != nil {
				break
			}
		}
		if ctx.Err() == nil {
			if err := prober.After(ctx, workload, results[first:]); err != nil {
				return err
			}
		}
		if !f.json {
			for i := range results[first:] {
				results[first+i].WriteText(out)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	sortResults(results, opts.Benchmarks, engines)
	report := benchmark.NewReport(opts, results)
	report.FsyncProbes = prober.Probes
	c := benchmark.Comparison{Report: report, Engines: engines, Ratios: benchmark.Compare(results, opts.Benchmarks, engines)}
	if f.html != "" {
		if err := writeBenchPicture(f.html, c); err != nil {
			return err
		}
	}
	if f.json {
		if err := writeBenchJSON(out, c); err != nil {
			return err
		}
		return benchFailures(results)
	}
	fmt.Fprintln(out)
	benchmark.WriteTable(out, results, opts.Benchmarks, engines)
	writeBenchstat(out, results)
	return benchFailures(results)
}

// sortResults orders results by workload, then engine, as listed.
func sortResults(results []benchmark.Result, workloads, engines []string) {
	slices.SortStableFunc(results, func(a, b benchmark.Result) int {
		if c := slices.Index(workloads, a.Workload) - slices.Index(workloads, b.Workload); c != 0 {
			return c
		}
		return slices.Index(engines, a.Engine) - slices.Index(engines, b.Engine)
	})
}

// rotateEngines returns engines rotated left by i.
func rotateEngines(engines []string, i int) []string {
	i %= len(engines)
	return append(engines[i:len(engines):len(engines)], engines[:i]...)
}

// benchTempestCommand returns the command line of Tempest's subprocess;
// tests replace it.
var benchTempestCommand = tempestChildCommand

// tempestChildCommand returns the command line that runs this bench
// command again: this executable and the subcommand path (tempest bench).
func tempestChildCommand(cmd *cobra.Command) ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: locating this executable for Tempest's subprocess: %w", err)
	}
	path := strings.Fields(cmd.CommandPath())
	return append([]string{exe}, path[1:]...), nil
}

// runChild runs one engine's workload in a subprocess and returns its
// result, with the subprocess's peak RSS. Its stderr (progress) is passed
// through to progress; a failure becomes the result's Error, with the
// last line the subprocess printed on stderr.
func runChild(ctx context.Context, argv []string, engine, workload string, progress io.Writer) benchmark.Result {
	res := benchmark.Result{Engine: engine, Workload: workload}
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout bytes.Buffer
	tail := &benchTail{w: progress}
	c.Stdout, c.Stderr = &stdout, tail
	err := c.Run()
	if err != nil {
		res.Error = fmt.Sprintf("%s: %v", filepath.Base(argv[0]), err)
		if tail.last != "" {
			res.Error += ": " + tail.last
		}
		return res
	}
	var report benchmark.Report
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		res.Error = fmt.Sprintf("%s printed no report: %v", filepath.Base(argv[0]), err)
		return res
	}
	if len(report.Results) != 1 {
		res.Error = fmt.Sprintf("%s printed %d results, want 1", filepath.Base(argv[0]), len(report.Results))
		return res
	}
	res = report.Results[0]
	if rss := childPeakRSS(c.ProcessState); rss > 0 {
		res.PeakRSS = rss
	}
	return res
}

// benchTail passes writes through to w and remembers the last non-empty
// line, which names a failed child's error.
type benchTail struct {
	w    io.Writer
	buf  []byte
	last string
}

func (l *benchTail) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			l.last = line
		}
		l.buf = l.buf[i+1:]
	}
	return l.w.Write(p)
}

// peersModuleDir is where the peers module lies in the repository.
const peersModuleDir = "benchmark/peers"

// buildPeerbench builds benchmark/peers/cmd/peerbench of the repository
// into dir.
func buildPeerbench(ctx context.Context, repo, dir string, stderr io.Writer) (string, error) {
	if repo == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		if repo, err = findTempestRepo(wd); err != nil {
			return "", err
		}
	}
	exe := filepath.Join(dir, "peerbench")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	peersDir := filepath.Join(repo, filepath.FromSlash(peersModuleDir))
	fmt.Fprintf(stderr, "building peerbench in %s\n", peersDir)
	// -mod=mod lets the build bring the peers module's go.mod up to date
	// when the root module's requirements have moved on since it was tidied.
	c := exec.CommandContext(ctx, "go", "build", "-mod=mod", "-o", exe, "./cmd/peerbench")
	c.Dir = peersDir
	c.Stdout, c.Stderr = stderr, stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("bench: building peerbench in %s: %w", c.Dir, err)
	}
	return exe, nil
}

// tempestModule is the module path of the repository root.
const tempestModule = "github.com/tempestdb/tempest"

// findTempestRepo walks up from dir to the directory whose go.mod declares the
// Tempest module.
func findTempestRepo(dir string) (string, error) {
	for d := dir; ; {
		if isTempestModule(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("bench: no go.mod of %s in %s or above; pass --repo", tempestModule, dir)
		}
		d = parent
	}
}

func isTempestModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == tempestModule
		}
	}
	return false
}
