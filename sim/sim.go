package sim

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// Options tune a run.
type Options struct {
	// Ops is the number of workload steps; 0 draws it from the seed in
	// [200, 1000), skewed toward short runs.
	Ops int
}

// Stats count what runs did. Add sums them.
type Stats struct {
	Seeds        int64
	Steps        int64
	Commits      int64 // batches handed to Apply
	Acked        int64 // of which acknowledged
	Reads        int64 // Gets and iterator steps checked against the model
	Crashes      int64 // crash images recovered from
	Reopens      int64 // successful recoveries checked against the model
	FaultReopens int64 // reopens after a fault turned the DB read-only
	Faults       int64 // injected errors
	Delayed      int64 // operations slowed down
	// MappedSeeds counts the seeds whose WAL was written through a
	// mapping, and MappedOps the operations of mappings they made.
	MappedSeeds int64
	MappedOps   int64
	// Sites counts the faults and crashes per site: "op/file/phase".
	Sites map[string]int
	// KnownBugs counts the occurrences of each known engine bug (see
	// known_bugs.go).
	KnownBugs map[string]int
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.Seeds += o.Seeds
	s.Steps += o.Steps
	s.Commits += o.Commits
	s.Acked += o.Acked
	s.Reads += o.Reads
	s.Crashes += o.Crashes
	s.Reopens += o.Reopens
	s.FaultReopens += o.FaultReopens
	s.Faults += o.Faults
	s.Delayed += o.Delayed
	s.MappedSeeds += o.MappedSeeds
	s.MappedOps += o.MappedOps
	if s.Sites == nil {
		s.Sites = map[string]int{}
	}
	for k, v := range o.Sites {
		s.Sites[k] += v
	}
	if s.KnownBugs == nil {
		s.KnownBugs = map[string]int{}
	}
	for k, v := range o.KnownBugs {
		s.KnownBugs[k] += v
	}
}

func (s Stats) String() string {
	str := fmt.Sprintf("%d seeds (%d with a mapped WAL, %d mapped operations), %d steps, %d commits (%d acked), %d checked reads, %d crash-restarts, %d recoveries checked, %d fault reopens, %d faults injected, %d slow ops, %d distinct fault sites",
		s.Seeds, s.MappedSeeds, s.MappedOps, s.Steps, s.Commits, s.Acked, s.Reads, s.Crashes, s.Reopens, s.FaultReopens,
		s.Faults, s.Delayed, len(s.Sites))
	for _, k := range slices.Sorted(maps.Keys(s.KnownBugs)) {
		str += fmt.Sprintf("; known bug %q hit %d times", k, s.KnownBugs[k])
	}
	return str
}

// SiteList returns the sites hit, sorted.
func (s Stats) SiteList() []string { return slices.Sorted(maps.Keys(s.Sites)) }

// Result is the outcome of one run.
type Result struct {
	Seed   uint64
	Config string
	// Trace lists every step with its outcome, every fault and every crash.
	Trace string
	Stats Stats
	// Err is nil if every check passed, else a *Failure.
	Err error
}

// Failure is a failed check. Its message names the seed, the step, and
// the command that replays the run.
type Failure struct {
	Seed uint64
	Step int
	Msg  string
	// Replay is the command that replays the run.
	Replay string
	// Tail is the end of the trace.
	Tail string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("sim: seed %d, step %d: %s\nreplay: %s\nlast trace lines:\n%s",
		f.Seed, f.Step, f.Msg, f.Replay, f.Tail)
}

// errStopKnownBug ends a run after a known bug left the DB in a state
// that later checks cannot judge.
var errStopKnownBug = errors.New("sim: stopped by a known bug")

// errDead reports that a crash struck: the process is gone.
var errDead = errors.New("sim: process crashed")

// Sim is one seeded run. It is single-threaded: the engine runs on the
// goroutine that calls Run, background tasks included.
type Sim struct {
	seed  uint64
	opts  Options
	cfg   config
	rng   *rand.Rand // workload choices
	mem   *vfs.MemFS
	fs    *errorfs.FS
	inj   *injector
	lat   *errorfs.LatencyInjector
	sched *scheduler
	clock *clock
	model *model
	db    *tempest.DB
	opens uint64

	// proc describes the current process (since the last Open).
	proc struct {
		faults     int64 // errors injected
		syncFaults int64
		// strict is the first injected failure that must make the DB
		// read-only (see isStrict); no commit may be acknowledged after it.
		strict *errorfs.Op
		// readOnly is set once a write failed; the DB serves reads for
		// patience more steps before the simulator reopens it.
		readOnly bool
		patience int
	}
	// manifestDirRisk is set when a sync of the manifest directory failed
	// (see lostManifestBug).
	manifestDirRisk bool

	iters  []*keptIter
	snaps  []*keptSnap
	tokens []savedToken

	// readingAtToken is set while reading at a snapshot made by
	// NewSnapshotAt (see snapshotAtBug).
	readingAtToken bool

	phase string
	step  int
	trace strings.Builder
	stats Stats
}

// Run runs the simulation for seed. It never panics: an engine panic is
// reported as a failure.
func Run(seed uint64, o Options) (res Result) {
	s := newSim(seed, o)
	res.Seed, res.Config = seed, s.cfg.String()
	defer func() {
		if r := recover(); r != nil {
			res.Err = s.failure(fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
		}
		res.Trace = s.trace.String()
		s.stats.Faults = s.inj.injected
		s.stats.Delayed = s.lat.Delayed()
		s.stats.MappedOps = s.inj.mappedOps
		if s.cfg.mappedWAL {
			s.stats.MappedSeeds = 1
		}
		res.Stats = s.stats
	}()
	s.tracef("seed %d: %s", seed, s.cfg)
	defer s.cleanup()
	err := s.run()
	if err == nil {
		err = s.checkWALPath()
	}
	if err != nil && err != errStopKnownBug {
		var f *Failure
		if !errors.As(err, &f) {
			f = s.failure(err.Error())
		}
		res.Err = f
	}
	return res
}

func newSim(seed uint64, o Options) *Sim {
	rng := rand.New(rand.NewPCG(seed, 0x51ab))
	ops := o.Ops
	if ops == 0 {
		// In [200, 1000), skewed toward short runs (mean 400): the cost of a
		// step grows with the run's length, and many short runs find more
		// than a few long ones.
		u := rng.Float64()
		ops = 200 + int(800*u*u*u)
	}
	s := &Sim{
		seed:  seed,
		opts:  o,
		cfg:   newConfig(rng, ops),
		rng:   rng,
		mem:   vfs.NewMem(),
		clock: &clock{now: time.Unix(1_700_000_000, 0)},
		model: newModel(),
	}
	s.mem.SetMappable(s.cfg.mappedWAL) // crash images inherit it
	s.stats.Seeds = 1
	s.stats.Sites = map[string]int{}
	s.stats.KnownBugs = map[string]int{}
	s.inj = &injector{s: s, rng: rand.New(rand.NewPCG(seed, 0xfa17))}
	s.lat = errorfs.Latency(s.cfg.latency, s.cfg.latencyP, seed).WithSleep(s.clock.sleep)
	s.sched = &scheduler{s: s, rng: rand.New(rand.NewPCG(seed, 0x5c4e)), inlinePct: s.cfg.inlinePct}
	s.wrapFS()
	return s
}

// wrapFS puts the fault injector over the current MemFS.
func (s *Sim) wrapFS() {
	var opts []errorfs.Option
	if s.cfg.partialWrites {
		opts = append(opts, errorfs.WithPartialWrites(s.seed))
	}
	var inner vfs.FS = s.mem
	if testHookFS != nil {
		inner = testHookFS(inner)
	}
	s.fs = errorfs.Wrap(inner, errorfs.Any(s.lat, s.inj), opts...)
}

// testHookFS, when set by a test, wraps the MemFS under the fault
// injector: the tests use it to plant a bug and check the simulator finds
// it.
var testHookFS func(vfs.FS) vfs.FS

func (s *Sim) options() *tempest.Options {
	s.opens++
	return &tempest.Options{
		FS:                     s.fs,
		MemTableSize:           s.cfg.memTableSize,
		MaxImmutableMemTables:  s.cfg.maxImmutable,
		BlockSize:              s.cfg.blockSize,
		ManifestGrowthBaseline: s.cfg.manifestGrowth,
		SeqNumLeaseStep:        s.cfg.seqLeaseStep,
		FileNumLeaseStep:       s.cfg.fileLeaseStep,
		Scheduler:              s.sched,
		Clock:                  s.clock,
		RandomSeed:             s.seed ^ s.opens,
	}
}

func (s *Sim) failure(msg string) *Failure {
	replay := fmt.Sprintf("go test ./sim -run TestSim -sim.seed=%d -v", s.seed)
	if s.opts.Ops != 0 {
		replay += fmt.Sprintf(" -sim.ops=%d", s.opts.Ops)
	}
	return &Failure{Seed: s.seed, Step: s.step, Msg: msg, Replay: replay, Tail: s.traceTail(40)}
}

// failf returns a failure of the current step.
func (s *Sim) failf(format string, args ...any) error {
	s.tracef("  FAIL: "+format, args...)
	return s.failure(fmt.Sprintf(format, args...))
}

// checkWALPath fails the run unless the WAL took the path the seed chose:
// through a mapping exactly when the MemFS is mappable. It keeps the
// coverage of either path from disappearing silently.
func (s *Sim) checkWALPath() error {
	if mapped := s.inj.mappedOps > 0; mapped != s.cfg.mappedWAL {
		return s.failf("the run made %d operations through mappings, but the seed chose mappedWAL=%t",
			s.inj.mappedOps, s.cfg.mappedWAL)
	}
	return nil
}

// dead reports whether a crash struck the current process.
func (s *Sim) dead() bool { return s.inj.crash != nil }

func (s *Sim) run() error {
	s.phase = "open"
	if err := s.handle(s.reopen(true)); err != nil {
		return err
	}
	crashSteps := map[int]bool{}
	for len(crashSteps) < s.cfg.crashes {
		crashSteps[1+s.rng.IntN(s.cfg.ops-1)] = true
	}
	for s.step = 1; s.step <= s.cfg.ops; s.step++ {
		s.stats.Steps++
		err := s.doStep(crashSteps[s.step])
		if err := s.handle(err); err != nil {
			return err
		}
	}
	return s.finish()
}

// handle turns errDead into a restart from the crash image.
func (s *Sim) handle(err error) error {
	for err == errDead {
		err = s.restart()
	}
	return err
}

// finish closes the DB cleanly, reopens it, checks that nothing was lost,
// and closes it again.
func (s *Sim) finish() error {
	s.inj.crashAt = 0
	s.inj.enabled = false
	s.tracef("finish")
	if err := s.handle(s.closeAndReopen(false)); err != nil {
		return err
	}
	s.sched.drain()
	s.closeKept()
	s.phase = "close"
	if err := s.db.Close(); err != nil {
		return s.failf("final close: %v", err)
	}
	s.db = nil
	return nil
}

// cleanup closes whatever a run that stopped early left open.
func (s *Sim) cleanup() {
	if s.db == nil {
		return
	}
	s.inj.enabled, s.inj.crashAt = false, 0
	// Close waits for every scheduled background task, so the queued ones
	// must run (with faults off) before it.
	s.sched.drain()
	s.closeKept()
	_ = s.db.Close()
	s.db = nil
}
