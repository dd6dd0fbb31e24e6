package benchmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Run runs opts.Benchmarks in order, each on a fresh engine from
// newEngine in a fresh directory, and returns one Result per workload. A
// workload that fails yields a Result with Error set and the run goes on;
// Run returns an error only for invalid options or a cancelled ctx.
// Progress lines (one a second) go to progress, if not nil.
//
// Run runs no fsync probe (FsyncProbeName entries are skipped): the
// process that orchestrates a run probes the disk next to the workloads
// (Prober) and attaches the probes to the results, so that the engines'
// subprocesses need not.
func Run(ctx context.Context, newEngine func() Engine, opts Options, progress io.Writer) ([]Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var results []Result
	for _, name := range opts.Benchmarks {
		if name == FsyncProbeName {
			continue
		}
		res, err := RunWorkload(ctx, newEngine(), name, opts, progress)
		if err != nil {
			res.Error = err.Error()
		}
		results = append(results, res)
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
	}
	return results, nil
}

// run is one workload on one engine.
type run struct {
	opts   *Options
	wl     *workload
	eng    Engine
	keys   keyFormat
	values *valueSource
	// timeline is the measured phase's throughput, interval by interval.
	timeline []TimelinePoint
	live     *liveSet
	sync     bool
	num      uint64
	progress io.Writer

	// Measured phase: operations are numbered by next; the phase ends at
	// limit operations (num mode) or at deadline (duration mode), or when
	// stop is set (error or cancellation).
	limit    int64
	deadline time.Time
	next     atomic.Int64
	stop     atomic.Bool
	errMu    sync.Mutex
	err      error

	// inserted counts the main-space keys numbered from 0 that are written
	// (YCSB inserts extend it); nextInsert hands out insert numbers.
	inserted   atomic.Uint64
	nextInsert atomic.Uint64
	// zipf is the zipfian over the loaded keys (see zipfian).
	zipfOnce sync.Once
	zipf     zipfian
	// queued is the number of live queue entries.
	queued atomic.Int64
	// loadBytes are the user bytes written by the load.
	loadBytes int64
}

// worker is one goroutine's state.
type worker struct {
	r      *run
	id     int
	rng    *rand.Rand
	key    []byte
	buf    []byte
	choose chooser
	parts  []*hdrhistogram.Histogram
	// userBytes are the key and value bytes this worker wrote, readBytes
	// those it read through iterators.
	userBytes, readBytes int64
	// batch and arena serve fillbatch: the batch and its keys' bytes.
	batch Batch
	arena []byte
	// iter, lo and hi serve readseq; head and tail the queue workload.
	iter       Iter
	lo, hi     []byte
	head, tail uint64
}

// RunWorkload runs one workload on eng (unopened) in a fresh subdirectory
// of opts.Dir, and removes the directory after.
func RunWorkload(ctx context.Context, eng Engine, name string, opts Options, progress io.Writer) (Result, error) {
	res := Result{Engine: eng.Name(), Workload: name}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	wl := Lookup(name)
	if wl == nil {
		return res, fmt.Errorf("%s is not a workload: it runs no engine", name)
	}
	if _, ok := eng.(Transactor); wl.txn && !ok {
		res.Unsupported = "no transactions that detect conflicts"
		return res, nil
	}
	r := &run{
		opts: &opts, wl: wl, eng: eng, keys: keyFormat{opts.KeySize},
		values: newValueSource(opts.Seed, opts.ValueSize),
		sync:   opts.Sync || wl.syncAll, num: uint64(opts.Num), progress: progress,
	}
	capacity := uint64(opts.Num) + uint64(wl.measuredOps(opts.Num))
	if opts.Duration > 0 {
		capacity = 4*uint64(opts.Num) + 1<<20
	}
	r.live = newLiveSet(capacity)
	dir, err := os.MkdirTemp(opts.Dir, "tempest-bench-"+eng.Name()+"-"+name+"-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	osBefore, osOK := osBytesWritten()
	cfg := opts.config(r.sync)
	cfg.Transactions = wl.txn
	if err := eng.Open(dir, cfg); err != nil {
		return res, fmt.Errorf("open %s: %w", eng.Name(), err)
	}
	if d, ok := eng.(Describer); ok {
		res.EngineOptions = d.Effective()
	}
	workers, err := r.runPhases(ctx, &res)
	if err == nil && opts.SettleWait > 0 {
		res.Settled, err = waitSettled(ctx, eng, opts.SettleWait)
	}
	stats := eng.Stats()
	if cerr := eng.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return res, err
	}
	for _, w := range workers {
		res.UserBytes += w.userBytes
		res.ReadBytes += w.readBytes
	}
	res.UserBytes += r.loadBytes
	res.EngineBytes = stats.BytesWritten
	if osAfter, ok := osBytesWritten(); ok && osOK {
		res.OSBytes = osAfter - osBefore
	}
	res.WriteAmp, res.OSWriteAmp = ratio(res.EngineBytes, res.UserBytes), ratio(res.OSBytes, res.UserBytes)
	if res.DiskBytes, err = eng.DiskUsage(); err != nil {
		return res, fmt.Errorf("disk usage: %w", err)
	}
	if live, ok := r.live.len(); ok {
		res.LiveBytes = (live + r.queued.Load()) * int64(opts.KeySize+opts.ValueSize)
	}
	res.SpaceAmp = ratio(res.DiskBytes, res.LiveBytes)
	if res.Settled != nil {
		res.Settled.SpaceAmp = ratio(res.Settled.DiskBytes, res.LiveBytes)
	}
	res.PeakRSS = PeakRSS()
	return res, nil
}

// errMismatch reports an engine that returned something other than what
// the workload wrote.
var errMismatch = errors.New("benchmark: engine returned an unexpected result")
