package sim

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
	"go.uber.org/goleak"
)

var (
	seedFlag  = flag.Uint64("sim.seed", 0, "run only this seed (and print its trace with -v)")
	baseFlag  = flag.Uint64("sim.base", 0, "first seed of the run (0: from the clock)")
	seedsFlag = flag.Int("sim.seeds", 0, "number of seeds (0: TEMPEST_SIM_SEEDS or 1000)")
	opsFlag   = flag.Int("sim.ops", 0, "steps per seed (0: drawn from the seed in [200, 1000), mean 400)")
	traceFlag = flag.Bool("sim.trace", false, "print the whole trace of a -sim.seed run")
)

// summary collects the figures of the tests that ran; TestMain prints them.
var summary struct {
	sync.Mutex
	lines []string
}

func report(format string, args ...any) {
	summary.Lock()
	defer summary.Unlock()
	summary.lines = append(summary.lines, fmt.Sprintf(format, args...))
}

// TestMain checks for leaked goroutines and prints the figures. go test
// shows a passing package's output only with -v, so the figures are also
// appended to the file TEMPEST_FIGURES names, if set.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		for _, l := range summary.lines {
			fmt.Println(l)
		}
		if path := os.Getenv("TEMPEST_FIGURES"); path != "" && len(summary.lines) > 0 {
			if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				for _, l := range summary.lines {
					fmt.Fprintln(f, l)
				}
				f.Close()
			}
		}
		os.Exit(code)
	}))
}

// seedBudget returns how many seeds to run and for how long at most. The
// default is 1000 seeds; TEMPEST_SIM_SEEDS=N or -sim.seeds=N runs N,
// TEMPEST_SIM_DURATION=10m runs seeds until the time is up.
func seedBudget(t *testing.T) (int, time.Duration) {
	n := 1000
	if v := os.Getenv("TEMPEST_SIM_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("TEMPEST_SIM_SEEDS=%q: %v", v, err)
		}
	}
	if *seedsFlag > 0 {
		n = *seedsFlag
	}
	var d time.Duration
	if v := os.Getenv("TEMPEST_SIM_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("TEMPEST_SIM_DURATION=%q: %v", v, err)
		}
		n = int(^uint(0) >> 1)
	}
	if testing.Short() && d == 0 {
		n = min(n, 100)
	}
	return n, d
}

// runSeed runs one seed under a watchdog that names the seed if the run
// hangs.
func runSeed(seed uint64) Result {
	dog := time.AfterFunc(5*time.Minute, func() {
		panic(fmt.Sprintf("sim: seed %d hangs; replay: go test ./sim -run TestSim -sim.seed=%d -v", seed, seed))
	})
	defer dog.Stop()
	return Run(seed, Options{Ops: *opsFlag})
}

// TestSim runs the simulation over many seeds, on GOMAXPROCS workers.
// Every failure prints its seed and the command that replays it.
func TestSim(t *testing.T) {
	if *seedFlag != 0 {
		res := runSeed(*seedFlag)
		t.Logf("config: %s", res.Config)
		if *traceFlag {
			t.Logf("trace:\n%s", res.Trace)
		}
		t.Logf("%s", res.Stats)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return
	}
	n, d := seedBudget(t)
	base := *baseFlag
	if base == 0 {
		base = uint64(time.Now().UnixNano())
	}
	t.Logf("seeds %d.. (replay the run with -sim.base=%d)", base, base)
	start := time.Now()
	var (
		next   atomic.Int64
		failed atomic.Int64
		mu     sync.Mutex
		total  Stats
		wg     sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || failed.Load() >= 3 || (d > 0 && time.Since(start) > d) {
					return
				}
				t0 := time.Now()
				res := runSeed(base + uint64(i))
				if el := time.Since(t0); el > 5*time.Second {
					t.Logf("seed %d took %v", base+uint64(i), el)
				}
				mu.Lock()
				total.Add(res.Stats)
				mu.Unlock()
				if res.Err != nil {
					failed.Add(1)
					t.Errorf("%v\nconfig: %s", res.Err, res.Config)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Round(time.Millisecond)
	t.Logf("%s in %v", total, elapsed)
	t.Logf("fault sites: %v", total.SiteList())
	report("sim: %s in %v", total, elapsed)
	checkBothWALPaths(t, total)
}

// checkBothWALPaths fails a run of many seeds unless both WAL paths ran,
// and crashes struck the mapped path's allocations, stores and syncs.
// (Each run also checks that its WAL took the path its seed chose.)
func checkBothWALPaths(t *testing.T, total Stats) {
	if total.Seeds < 100 {
		return
	}
	if total.MappedSeeds == 0 || total.MappedSeeds == total.Seeds {
		t.Errorf("%d of %d seeds wrote the WAL through a mapping: want both paths", total.MappedSeeds, total.Seeds)
	}
	for _, op := range []string{"allocate", "store", "msync"} {
		hit := 0
		for site, n := range total.Sites {
			if strings.HasPrefix(site, "crash-"+op+"/wal/") {
				hit += n
			}
		}
		if hit == 0 {
			t.Errorf("no crash struck before a mapped WAL %s", op)
		}
	}
}

// TestSimDeterministic runs seeds twice and compares the traces byte for
// byte.
func TestSimDeterministic(t *testing.T) {
	base := *baseFlag
	if base == 0 {
		base = uint64(time.Now().UnixNano())
	}
	t.Logf("seeds %d.. (replay with -sim.base=%d)", base, base)
	for i := range uint64(20) {
		seed := base + i
		a, b := Run(seed, Options{Ops: 300}), Run(seed, Options{Ops: 300})
		if a.Trace != b.Trace {
			t.Fatalf("seed %d: two runs differ:\n%s", seed, firstDiff(a.Trace, b.Trace))
		}
		if (a.Err == nil) != (b.Err == nil) {
			t.Fatalf("seed %d: outcomes differ: %v / %v", seed, a.Err, b.Err)
		}
		if a.Err != nil {
			var f *Failure
			if !errors.As(a.Err, &f) {
				t.Fatalf("seed %d: %v is not a *Failure", seed, a.Err)
			}
		}
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf("at byte %d:\n--- first\n%s\n--- second\n%s", i, a[lo:min(len(a), i+200)], b[lo:min(len(b), i+200)])
}

// lyingFS plants a bug under the engine: File.Sync (unless onlyMapped)
// and Mapping.Sync return nil without syncing, so synced data is lost in
// a power loss.
type lyingFS struct {
	vfs.FS
	onlyMapped bool
}

type lyingFile struct {
	vfs.File
	fs lyingFS
}

func (f lyingFile) Sync() error {
	if f.fs.onlyMapped {
		return f.File.Sync()
	}
	return nil
}

// lyingMapFile is a lyingFile whose mappings lie.
type lyingMapFile struct {
	lyingFile
	inner vfs.MappableFile
}

func (f lyingMapFile) Map() (vfs.Mapping, error) {
	m, err := f.inner.Map()
	if err != nil {
		return nil, err
	}
	return lyingMapping{m}, nil
}

type lyingMapping struct{ vfs.Mapping }

func (lyingMapping) Sync() error { return nil }

func (fs lyingFS) lie(f vfs.File) vfs.File {
	if mf, ok := f.(vfs.MappableFile); ok {
		return lyingMapFile{lyingFile{f, fs}, mf}
	}
	return lyingFile{f, fs}
}

func (fs lyingFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return fs.lie(f), nil
}

func (fs lyingFS) OpenForAppend(name string) (vfs.File, error) {
	f, err := fs.FS.OpenForAppend(name)
	if err != nil {
		return nil, err
	}
	return fs.lie(f), nil
}

// TestSimFindsLostSyncs checks that the simulator can fail: with syncs
// that lie, power-loss crashes lose synced commits (or whole files).
// When every sync lies, some of 100 seeds must fail among those whose WAL
// is written through a mapping and among the others. When only the
// mappings' syncs lie, some seeds with a mapped WAL must fail, and no
// other.
func TestSimFindsLostSyncs(t *testing.T) {
	for _, onlyMapped := range []bool{false, true} {
		t.Run(fmt.Sprintf("onlyMapped=%t", onlyMapped), func(t *testing.T) {
			testHookFS = func(fs vfs.FS) vfs.FS { return lyingFS{fs, onlyMapped} }
			defer func() { testHookFS = nil }()
			base := uint64(time.Now().UnixNano())
			found := map[bool]int{} // by mapped WAL
			for i := range uint64(100) {
				res := Run(base+i, Options{Ops: 200})
				if res.Err != nil {
					mapped := res.Stats.MappedSeeds > 0
					if found[mapped]++; found[mapped] == 1 {
						t.Logf("first failure (mapped WAL: %t): %s", mapped, strings.SplitN(res.Err.Error(), "\n", 2)[0])
					}
				}
			}
			t.Logf("seeds %d..: %d of 100 failed (%d with a mapped WAL)", base, found[false]+found[true], found[true])
			if found[true] == 0 || (found[false] == 0) == !onlyMapped {
				t.Fatalf("%d failures with a mapped WAL, %d without (seeds %d..)", found[true], found[false], base)
			}
		})
	}
}
