package tempest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// TestMetamorphic runs one generated operation sequence against several
// engine configurations drawn from the same seed (metamorphic_config_test.go)
// and requires every result of every configuration to equal the model's
// (metamorphic_ops_test.go), and so each other's: Get values and errors,
// iterator walks with bounds in both directions, reads at snapshots and
// at NewSnapshotAt of earlier WriteTokens, batch results, DeleteRange
// effects and reads after reopens. DB.Check must pass after every reopen
// and at the end of each configuration.
//
// Seeds: run i uses seed+i; an odd seed runs under FixedSuffixComparer(8)
// with versioned keys, an even one under DefaultComparer; the seed also
// draws the size of the key space. Sizes:
// TEMPEST_META_RUNS (seeds, default 4), TEMPEST_META_OPS (ops per seed,
// default 1500), TEMPEST_META_CONFIGS (default 4). See docs/testing.md.
func TestMetamorphic(t *testing.T) {
	base := testSeed(t)
	runs := envInt(t, "TEMPEST_META_RUNS", 4)
	nops := envInt(t, "TEMPEST_META_OPS", 1500)
	nconf := envInt(t, "TEMPEST_META_CONFIGS", 4)
	if !metaStrict && len(metaKnownBugs) > 0 {
		t.Logf("leaving out the ops that trigger %d known engine bugs (TEMPEST_META_STRICT=1 keeps them)", len(metaKnownBugs))
	}
	start := time.Now()
	var total metaStats
	for i := range runs {
		seed := base + uint64(i)
		total.add(runMetamorphic(t, seed, nops, nconf))
		if t.Failed() {
			return
		}
	}
	faultFigures(t, "metamorphic: %d seeds × %d configs × %d ops in %v: %s",
		runs, nconf, nops, time.Since(start).Round(time.Millisecond), total)
	if memFS := total.configs - total.osFS; nconf >= 3 && (total.memMapped == 0 || total.memMapped == memFS) {
		t.Errorf("%d of %d MemFS configurations wrote the WAL through a mapping: want both paths", total.memMapped, memFS)
	}
}

// metaKnownBugs are the engine bugs the metamorphic test found that are
// not fixed yet. The generator leaves out the ops that trigger them
// unless TEMPEST_META_STRICT=1, so that they do not hide new bugs.
var metaKnownBugs = []string{
	// None left out.
	// Fixed, and exercised by default: a replayed memtable's flush ended
	// a merge fold at a value a newer range tombstone covers, so that a
	// snapshot at the operand's batch read the operand alone (seed
	// 1796678863833832014); bottommost compactions
	// and tombstone-only delete-only compactions dropped point tombstones
	// under a suffix comparer; Get stopped at a point tombstone covered
	// by a range tombstone; the compaction horizon and the visible seqnum
	// of batches that left no entry were lost on reopen.
}

var metaStrict = os.Getenv("TEMPEST_META_STRICT") == "1"

// metaStats count what a run exercised.
type metaStats struct {
	configs, ops, checkedReads, iterSteps      int64
	flushes, compactions, reopens, refusedAt   int64
	readCompactions                            int64
	suffixRuns, inline, goSched, osFS, noAutoC int64
	mappedWAL, memMapped, mappedOps            int64
	maxLevel                                   int
}

func (s *metaStats) add(o metaStats) {
	s.configs += o.configs
	s.ops += o.ops
	s.checkedReads += o.checkedReads
	s.iterSteps += o.iterSteps
	s.flushes += o.flushes
	s.compactions += o.compactions
	s.readCompactions += o.readCompactions
	s.reopens += o.reopens
	s.refusedAt += o.refusedAt
	s.suffixRuns += o.suffixRuns
	s.inline += o.inline
	s.goSched += o.goSched
	s.osFS += o.osFS
	s.noAutoC += o.noAutoC
	s.mappedWAL += o.mappedWAL
	s.memMapped += o.memMapped
	s.mappedOps += o.mappedOps
	s.maxLevel = max(s.maxLevel, o.maxLevel)
}

func (s metaStats) String() string {
	return fmt.Sprintf("%d config runs (%d inline, %d go scheduler, %d OS FS, %d with a mapped WAL (%d on MemFS; %d mapped operations), %d without automatic compactions), %d suffix-comparer config runs; "+
		"%d ops, %d checked reads, %d iterator steps, %d flushes, %d compactions (%d read-triggered), %d reopens, %d NewSnapshotAt refused (horizon), deepest level L%d",
		s.configs, s.inline, s.goSched, s.osFS, s.mappedWAL, s.memMapped, s.mappedOps, s.noAutoC, s.suffixRuns, s.ops, s.checkedReads, s.iterSteps,
		s.flushes, s.compactions, s.readCompactions, s.reopens, s.refusedAt, s.maxLevel)
}

// metaResult is the outcome of one op in one configuration. na marks an
// outcome that may differ between configurations (NewSnapshotAt refused
// because compactions raised the horizon, and reads of the snapshot it
// did not open): it is checked on its own terms, not against the model.
type metaResult struct {
	s      string
	na     bool
	detail string // a panic's stack
}

// runMetamorphic runs one seed: the op sequence in every configuration.
func runMetamorphic(t *testing.T, seed uint64, nops, nconf int) metaStats {
	rng := newRand(seed)
	ks := metaKeySpace{suffix: seed%2 == 1, alphabet: pick(rng, "abc", "abcdef")}
	// Half the seeds of each key space hold merges; the others draw the
	// sequences they drew before merges existed.
	ops := generateMetaOps(rng, ks, nops, metaStrict, seed/2%2 == 1)
	configs := drawMetaConfigs(rng, nconf)
	results := make([][]metaResult, nconf)
	var total metaStats
	fail := -1 // the first op at which some configuration disagrees with the model
	for i, c := range configs {
		r := &metaRunner{t: t, ks: ks, cfg: c, seed: seed, tokens: map[int]WriteToken{}, lastWrite: -1, lastCompact: -1}
		results[i] = r.runAll(ops)
		if f := len(results[i]) - 1; r.failed && (fail < 0 || f < fail) {
			fail = f
		}
		if ks.suffix {
			r.stats.suffixRuns++
		}
		total.add(r.stats)
	}
	if fail >= 0 {
		reportMetaFailure(t, seed, nops, nconf, ks, ops, configs, results, fail)
	}
	return total
}

func reportMetaFailure(t *testing.T, seed uint64, nops, nconf int, ks metaKeySpace, ops []*metaOp, configs []*metaConfig, results [][]metaResult, fail int) {
	var b strings.Builder
	fmt.Fprintf(&b, "metamorphic: seed %d, op %d of %d differs\n", seed, fail, len(ops))
	for i := max(0, fail-12); i < fail && i < len(ops); i++ {
		fmt.Fprintf(&b, "  op %d: %s\n", i, ops[i].format(ks))
	}
	want := "ok (Check passes)"
	if fail < len(ops) {
		fmt.Fprintf(&b, "> op %d: %s\n", fail, ops[fail].format(ks))
		want = ops[fail].want
	}
	if fail < len(ops) {
		for _, i := range metaProvenance(ops, fail) {
			fmt.Fprintf(&b, "  (op %d: %s)\n", i, ops[i].format(ks))
		}
	}
	fmt.Fprintf(&b, "  model: %s\n", want)
	for i, c := range configs {
		got := "(stopped at an earlier op)"
		if fail < len(results[i]) {
			res := results[i][fail]
			got = res.s
			if res.na {
				got += " (allowed to differ)"
			}
			if res.detail != "" {
				got += "\n" + res.detail
			}
		}
		fmt.Fprintf(&b, "  %s\n    got: %s\n", c, got)
	}
	strict := ""
	if metaStrict {
		strict = "TEMPEST_META_STRICT=1 "
	}
	fmt.Fprintf(&b, "replay: %sTEMPEST_META_RUNS=1 TEMPEST_META_OPS=%d TEMPEST_META_CONFIGS=%d go test -run TestMetamorphic -seed=%d -v .",
		strict, nops, nconf, seed)
	t.Error(b.String())
}

// metaProvenance returns the indexes of the ops that opened the iterator
// and the snapshot op i reads, and of the batch whose token a
// NewSnapshotAt among them used.
func metaProvenance(ops []*metaOp, i int) []int {
	var out []int
	iter, snap := -1, -1
	switch op := ops[i]; op.kind {
	case metaIterSteps, metaIterClose:
		iter = op.iter
	case metaGet, metaIter, metaIterOpen, metaSnapshotClose:
		snap = op.snap
	case metaSnapshotAt:
		out = append(out, op.token)
	}
	for j := i - 1; j >= 0 && (iter >= 0 || snap >= 0); j-- {
		switch op := ops[j]; {
		case iter >= 0 && op.kind == metaIterOpen && op.iter == iter:
			out = append(out, j)
			iter, snap = -1, op.snap
		case snap >= 0 && (op.kind == metaSnapshot || op.kind == metaSnapshotAt) && op.snap == snap:
			out = append(out, j)
			if op.kind == metaSnapshotAt {
				out = append(out, op.token)
			}
			snap = -1
		}
	}
	return out
}

// metaRunner runs an op sequence against one configuration.
type metaRunner struct {
	t      *testing.T
	ks     metaKeySpace
	cfg    *metaConfig
	seed   uint64
	dir    string
	opts   *Options
	d      *DB
	snaps  [metaSnapSlots]*Snapshot
	snapNA [metaSnapSlots]bool // NewSnapshotAt refused the slot's snapshot
	iters  [metaIterSlots]*Iterator
	iterNA [metaIterSlots]bool // the iterator reads a refused snapshot
	tokens map[int]WriteToken  // by op index
	// lastWrite and lastCompact are the indexes of the last op that
	// committed a batch and of the last Compact.
	lastWrite, lastCompact int
	lastToken              WriteToken
	// merged: a merge was written, so flushes too may have raised the
	// horizon (they combine operands).
	merged bool

	flushes, compactions, readCompactions atomic.Int64
	stats                                 metaStats
	failed                                bool
}

// metaOpTimeout bounds one op: a hang (a lost wakeup, a stall nothing
// ends) panics with the seed and the op instead of running into the go
// test timeout.
const metaOpTimeout = 3 * time.Minute

// runAll runs ops until the first result that differs from the model and
// returns the results so far; a failed final Check is a last result.
func (r *metaRunner) runAll(ops []*metaOp) []metaResult {
	o := r.cfg.opts
	r.opts = &o
	var fs vfs.FS
	if r.cfg.osFS {
		fs, r.dir = vfs.Default, filepath.Join(r.t.TempDir(), "db")
	} else {
		mem := vfs.NewMem()
		mem.SetMappable(r.cfg.mappedWAL)
		fs, r.dir = mem, "/db"
	}
	// Counting the operations of mappings checks that the WAL took the
	// path the configuration chose.
	mapped := errorfs.OnIndex(-1, nil, func(op errorfs.Op) bool { return op.Mapped })
	r.opts.FS = errorfs.Wrap(fs, mapped)
	r.opts.Comparer = r.ks.comparer()
	r.opts.Merger = metaAppendMerger
	r.opts.EventListener = &EventListener{
		FlushEnd: func(FlushInfo) { r.flushes.Add(1) },
		CompactionEnd: func(info CompactionInfo) {
			r.compactions.Add(1)
			if info.Kind == "read" {
				r.readCompactions.Add(1)
			}
		},
	}
	var current atomic.Int64
	watchdog := time.AfterFunc(metaOpTimeout, func() {
		i := current.Load()
		panic(fmt.Sprintf("metamorphic: seed %d, %s: op %d (%s) did not return within %v",
			r.seed, r.cfg, i, ops[i].format(r.ks), metaOpTimeout))
	})
	defer watchdog.Stop()

	var results []metaResult
	d, err := Open(r.dir, r.opts)
	if err != nil {
		r.failed = true
		return []metaResult{{s: "open: " + err.Error()}}
	}
	r.d = d
	for i, op := range ops {
		current.Store(int64(i))
		watchdog.Reset(metaOpTimeout)
		res := r.exec(i, op)
		results = append(results, res)
		switch op.kind {
		case metaSet, metaMerge, metaDelete, metaDeleteRange, metaApply, metaIngest:
			if res.s == "ok" {
				r.lastWrite = i
			}
		case metaCompact:
			r.lastCompact = i
		}
		r.stats.ops++
		if !res.na && res.s != op.want {
			r.failed = true
			break
		}
	}
	if r.d != nil {
		if err := r.closeAll(); err != nil && !r.failed {
			r.failed = true
			results = append(results, metaResult{s: "final close: " + err.Error()})
		}
	}
	r.checkWALPath(mapped.Count())
	r.stats.configs++
	r.stats.flushes += r.flushes.Load()
	r.stats.compactions += r.compactions.Load()
	r.stats.readCompactions += r.readCompactions.Load()
	if r.cfg.osFS {
		r.stats.osFS++
	}
	if _, ok := r.opts.Scheduler.(GoScheduler); ok {
		r.stats.goSched++
	} else {
		r.stats.inline++
	}
	if r.opts.DisableAutomaticCompactions {
		r.stats.noAutoC++
	}
	return results
}

// checkWALPath fails the test unless the WAL took the configuration's
// path: n operations through mappings, some exactly when mapped.
func (r *metaRunner) checkWALPath(n int64) {
	if want := r.cfg.walMapped(); (n > 0) != want {
		r.t.Errorf("metamorphic: seed %d, %s: the WAL made %d operations through a mapping, want mapped=%t",
			r.seed, r.cfg, n, want)
	}
	if n > 0 {
		r.stats.mappedWAL++
		r.stats.mappedOps += n
		if !r.cfg.osFS {
			r.stats.memMapped++
		}
	}
}

// closeAll checks the DB, releases iterators and snapshots and closes it.
func (r *metaRunner) closeAll() error {
	var errs []error
	if lsm, err := r.d.LSM(); err == nil {
		for l, files := range lsm {
			if len(files) > 0 {
				r.stats.maxLevel = max(r.stats.maxLevel, l)
			}
		}
	}
	if err := r.d.Check(); err != nil {
		errs = append(errs, fmt.Errorf("check: %w", err))
	}
	for i, it := range r.iters {
		if it != nil {
			errs = append(errs, it.Close())
		}
		r.iters[i], r.iterNA[i] = nil, false
	}
	for i, s := range r.snaps {
		if s != nil && !r.snapNA[i] && !s.closed.Load() {
			errs = append(errs, s.Close())
		}
		r.snapNA[i] = false
	}
	errs = append(errs, r.d.Close())
	r.d = nil
	return errors.Join(errs...)
}

func metaErr(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrClosed):
		return "err:closed"
	case errors.Is(err, ErrInvalidArgument):
		return "err:invalid-argument"
	case errors.Is(err, ErrCorruption):
		return "err:corruption: " + err.Error()
	case errors.Is(err, ErrReadOnly):
		return "err:read-only: " + err.Error()
	case errors.Is(err, ErrNotFound):
		return "err:not-found"
	}
	return "err:other: " + err.Error()
}

func metaWriteOptions(sync bool) *WriteOptions {
	if sync {
		return Sync
	}
	return NoSync
}

// exec runs op; a panic becomes its result.
func (r *metaRunner) exec(i int, op *metaOp) (res metaResult) {
	defer func() {
		if p := recover(); p != nil {
			res = metaResult{s: fmt.Sprintf("panic: %v", p), detail: string(debug.Stack())}
		}
	}()
	d := r.d
	switch op.kind {
	case metaSet:
		return metaResult{s: metaErr(d.Set(op.key, op.value, metaWriteOptions(op.sync)))}
	case metaMerge:
		r.merged = true
		return metaResult{s: metaErr(d.Merge(op.key, op.value, metaWriteOptions(op.sync)))}
	case metaDelete:
		return metaResult{s: metaErr(d.Delete(op.key, metaWriteOptions(op.sync)))}
	case metaDeleteRange:
		return metaResult{s: metaErr(d.DeleteRange(op.key, op.end, metaWriteOptions(op.sync)))}
	case metaIngest:
		return r.ingest(i, op)
	case metaApply:
		b := d.NewBatch()
		for _, e := range op.batch {
			var err error
			switch e.kind {
			case metaSet:
				err = b.Set(e.key, e.value)
			case metaMerge:
				r.merged = true
				err = b.Merge(e.key, e.value)
			case metaDelete:
				err = b.Delete(e.key)
			default:
				err = b.DeleteRange(e.key, e.end)
			}
			if err != nil {
				return metaResult{s: "batch: " + metaErr(err)}
			}
		}
		tok, err := d.Apply(b, metaWriteOptions(op.sync))
		if err == nil {
			r.tokens[i] = tok
			// Sequence numbers never go back, not even across a reopen.
			if tok.SeqNum() <= r.lastToken.SeqNum() {
				return metaResult{s: fmt.Sprintf("%v follows %v", tok, r.lastToken)}
			}
			r.lastToken = tok
		}
		return metaResult{s: metaErr(err)}
	case metaGet:
		var v []byte
		var err error
		if op.snap < 0 {
			v, err = d.Get(op.key)
		} else if r.snapNA[op.snap] {
			return metaResult{s: "n/a: snapshot refused", na: true}
		} else {
			v, err = r.snaps[op.snap].Get(op.key)
		}
		r.stats.checkedReads++
		switch {
		case err == nil:
			return metaResult{s: "value:" + formatValue(v)}
		case errors.Is(err, ErrNotFound):
			return metaResult{s: "notfound"}
		}
		return metaResult{s: metaErr(err)}
	case metaIter, metaIterOpen:
		o := &IterOptions{LowerBound: op.lower, UpperBound: op.upper}
		var it *Iterator
		var err error
		if op.snap < 0 {
			it, err = d.NewIter(o)
		} else if r.snapNA[op.snap] {
			if op.kind == metaIterOpen {
				r.iterNA[op.iter] = true
			}
			return metaResult{s: "n/a: snapshot refused", na: true}
		} else {
			it, err = r.snaps[op.snap].NewIter(o)
		}
		if err != nil {
			return metaResult{s: metaErr(err)}
		}
		if op.kind == metaIterOpen {
			r.iters[op.iter] = it
			return metaResult{s: "ok"}
		}
		s := r.walk(it, op.steps)
		if err := it.Close(); err != nil {
			s += " close:" + metaErr(err)
		}
		return metaResult{s: s}
	case metaIterSteps:
		if r.iterNA[op.iter] {
			return metaResult{s: "n/a: snapshot refused", na: true}
		}
		return metaResult{s: r.walk(r.iters[op.iter], op.steps)}
	case metaIterClose:
		it, na := r.iters[op.iter], r.iterNA[op.iter]
		r.iters[op.iter], r.iterNA[op.iter] = nil, false
		if na {
			return metaResult{s: "n/a: snapshot refused", na: true}
		}
		return metaResult{s: metaErr(it.Close())}
	case metaSnapshot:
		r.snaps[op.snap], r.snapNA[op.snap] = d.NewSnapshot(), false
		if r.snaps[op.snap] == nil {
			return metaResult{s: "NewSnapshot returned nil"}
		}
		return metaResult{s: "ok"}
	case metaSnapshotAt:
		return r.snapshotAt(op)
	case metaSnapshotClose:
		if r.snapNA[op.snap] {
			r.snapNA[op.snap] = false
			r.snaps[op.snap] = nil
			return metaResult{s: "n/a: snapshot refused", na: true}
		}
		return metaResult{s: metaErr(r.snaps[op.snap].Close())}
	case metaFlush:
		return metaResult{s: metaErr(d.Flush())}
	case metaCompact:
		return metaResult{s: metaErr(d.Compact(context.Background(), op.key, op.end))}
	case metaReopen:
		r.stats.reopens++
		if err := r.closeAll(); err != nil {
			return metaResult{s: "close: " + err.Error()}
		}
		d, err := Open(r.dir, r.opts)
		if err != nil {
			return metaResult{s: "open: " + err.Error()}
		}
		r.d = d
		if err := d.Check(); err != nil {
			return metaResult{s: "check after open: " + err.Error()}
		}
		return metaResult{s: "ok"}
	}
	return metaResult{s: fmt.Sprintf("unknown op kind %d", op.kind)}
}

// snapshotAt runs NewSnapshotAt. Compactions raise the horizon below
// which it refuses tokens to the visible sequence number at their start,
// and they run at different moments in different configurations, so a
// refusal is allowed (and the slot's later reads are skipped) unless
//   - an open snapshot reads at the token's sequence number (the versions
//     it needs are kept),
//   - the token's batch is the last one committed (the horizon is at most
//     the visible sequence number), or
//   - automatic compactions are off, no Compact ran since the token, and
//     no merge was written (a flush that combines operands raises the
//     horizon as a compaction does).
func (r *metaRunner) snapshotAt(op *metaOp) metaResult {
	tok, ok := r.tokens[op.token]
	if !ok {
		return metaResult{s: fmt.Sprintf("no token recorded for op %d", op.token)}
	}
	s, err := r.d.NewSnapshotAt(tok)
	if err == nil {
		r.snaps[op.snap], r.snapNA[op.snap] = s, false
		return metaResult{s: "ok"}
	}
	if errors.Is(err, ErrInvalidArgument) && strings.Contains(err.Error(), "horizon") {
		for i, o := range r.snaps {
			if o != nil && !r.snapNA[i] && !o.closed.Load() && o.SeqNum() == tok.SeqNum() {
				return metaResult{s: fmt.Sprintf("refused although snap%d reads at %d: %v", i, o.SeqNum(), err)}
			}
		}
		if op.token == r.lastWrite {
			return metaResult{s: "refused the token of the last committed batch: " + err.Error()}
		}
		if r.opts.DisableAutomaticCompactions && r.lastCompact < op.token && !r.merged {
			return metaResult{s: "refused without a compaction since the token: " + err.Error()}
		}
		r.stats.refusedAt++
		r.snaps[op.snap], r.snapNA[op.snap] = nil, true
		return metaResult{s: "refused: " + err.Error(), na: true}
	}
	return metaResult{s: metaErr(err) + ": " + err.Error()}
}

// walk runs iterator steps and renders them as the model does.
func (r *metaRunner) walk(it *Iterator, steps []metaIterStep) string {
	out := make([]string, 0, len(steps)+1)
	for _, s := range steps {
		var ok bool
		switch s.kind {
		case stepFirst:
			ok = it.First()
		case stepLast:
			ok = it.Last()
		case stepSeekGE:
			ok = it.SeekGE(s.key)
		case stepSeekLT:
			ok = it.SeekLT(s.key)
		case stepNext:
			ok = it.Next()
		case stepPrev:
			ok = it.Prev()
		}
		r.stats.iterSteps++
		if ok != it.Valid() {
			out = append(out, fmt.Sprintf("%s returned %v but Valid()=%v", metaStepNames[s.kind], ok, it.Valid()))
			continue
		}
		out = append(out, formatStep(r.ks, s, ok, it.Key(), it.Value()))
	}
	if err := it.Error(); err != nil {
		out = append(out, "iter-error:"+metaErr(err))
	}
	r.stats.checkedReads++
	return strings.Join(out, " ")
}

// ingest writes op's files for ingest beside the DB and ingests them.
func (r *metaRunner) ingest(i int, op *metaOp) metaResult {
	fs := r.opts.FS
	dir := fs.PathJoin(filepath.Dir(r.dir), fmt.Sprintf("ingest-%d", i))
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return metaResult{s: "mkdir: " + metaErr(err)}
	}
	var paths []string
	for j, entries := range op.files {
		path := fs.PathJoin(dir, fmt.Sprintf("%d.sst", j))
		f, err := fs.Create(path)
		if err != nil {
			return metaResult{s: "create: " + metaErr(err)}
		}
		w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: r.opts.Comparer})
		for _, e := range entries {
			if e.kind == metaSet {
				err = w.Set(e.key, e.value)
			} else {
				err = w.Delete(e.key)
			}
			if err != nil {
				w.Abort()
				return metaResult{s: "write: " + metaErr(err)}
			}
		}
		if _, err := w.Finish(); err != nil {
			return metaResult{s: "finish: " + metaErr(err)}
		}
		paths = append(paths, path)
	}
	var tok WriteToken
	var err error
	if op.replace {
		tok, err = r.d.IngestAndReplace(paths, op.key, op.end)
	} else {
		tok, err = r.d.Ingest(paths)
	}
	if err == nil {
		if tok.SeqNum() <= r.lastToken.SeqNum() {
			return metaResult{s: fmt.Sprintf("%v follows %v", tok, r.lastToken)}
		}
		r.lastToken = tok
	}
	return metaResult{s: metaErr(err)}
}
