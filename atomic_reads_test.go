package tempest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// TestAtomicReads checks that a read at the latest state is atomic with
// respect to flushes and compactions: every Get returns the value its key
// held at some seqnum between the call and the return, and every scan
// returns, as a whole, the state over its bounds at one such seqnum.
//
// Method: writers apply batches of sets, deletes and an occasional range
// delete on a small key space, with values unique per write; each batch's
// WriteToken gives its seqnum, so the state at every seqnum is known
// (atomic_reads_model_test.go). Readers call Get, walk iterators (bounded
// or not, forward or backward) and range over DB.All. For each read, lo
// is the highest seqnum acknowledged before the call and hi the visible
// seqnum after the return. A scan is checked whole: a per-key check would
// pass one that mixes two states.
//
// The workload is hostile on purpose. One goroutine loops Flush and three
// loop Compact (concurrently), on 64 KiB memtables, 4 KiB target files
// and an L0 compacted at every file, so that a flush and a compaction can
// complete while a read is between its steps. Monitors loop DB.LSM, which
// keeps d.mu contended as on a busy server, and there are more Ps than
// cores: a read then waits for d.mu or for a core, and a read that had
// taken its seqnum before waiting is the one that a compaction could
// leave reading versions it dropped.
//
// The workload's choices come from the seed (-seed, TEMPEST_SEED); the
// interleaving does not. TEMPEST_ATOMIC_READS_DURATION (a Go duration,
// 10s by default) runs it longer.
func TestAtomicReads(t *testing.T) {
	const writers, readers, compactors, monitors = 4, 8, 3, 4
	seed := testSeed(t)
	runFor := atomicReadsDuration(t)
	// More Ps than cores: the OS then suspends the engine's threads at any
	// instruction, a read's too, between two of its steps.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(8, 2*runtime.NumCPU())))
	w := &atomicWorkload{d: mustOpen(t, "/db", atomicReadsOptions()), start: time.Now()}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { w.writer(newRand(seed + uint64(i))) })
	}
	for i := range readers {
		wg.Go(func() { w.reader(newRand(seed + uint64(writers+i))) })
	}
	for i := range compactors {
		wg.Go(func() { w.compactor(newRand(seed + uint64(writers+readers+i))) })
	}
	for range monitors {
		wg.Go(w.monitor)
	}
	wg.Go(w.flusher)
	w.wait(runFor, 50)
	w.stop.Store(true)
	wg.Wait()
	elapsed := time.Since(w.start)
	metrics := w.d.Metrics()
	mustClose(t, w.d)
	for _, err := range w.errs {
		t.Error(err)
	}

	m := newAtomicModel(w.batches)
	failed, first := 0, elapsed
	for _, r := range w.reads {
		if err := m.check(r); err != nil {
			first = min(first, r.at)
			if failed++; failed <= 3 {
				t.Errorf("seed %d: %v", seed, err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("seed %d: %d of %d reads returned a state that never existed between their call and return, the first %v into the run",
			seed, failed, len(w.reads), first.Round(time.Millisecond))
	}
	if metrics.Compactions == 0 || metrics.Flushes == 0 {
		t.Fatalf("no flush or compaction ran (%d flushes, %d compactions): the test proves nothing", metrics.Flushes, metrics.Compactions)
	}
	faultFigures(t, "atomic reads: %d batches by %d writers, %d reads by %d readers (%d gets, %d scans returning %d keys), each a state of its window; %d flushes, %d compactions in %v",
		len(w.batches), writers, len(w.reads), readers, w.gets.Load(), w.scans.Load(), w.scanned.Load(),
		metrics.Flushes, metrics.Compactions, elapsed.Round(time.Millisecond))
}

// wait returns once runFor has passed and the DB has run minCompactions
// compactions, or at 2*runFor: on a loaded machine compactions are rarer,
// and each is a chance for a read to find versions it dropped.
func (w *atomicWorkload) wait(runFor time.Duration, minCompactions uint64) {
	time.Sleep(runFor)
	for time.Since(w.start) < 2*runFor && w.d.Metrics().Compactions < minCompactions && !w.stop.Load() {
		time.Sleep(10 * time.Millisecond)
	}
}

// atomicReadsDuration is how long TestAtomicReads runs its workload.
func atomicReadsDuration(t *testing.T) time.Duration {
	s := os.Getenv("TEMPEST_ATOMIC_READS_DURATION")
	if s == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("TEMPEST_ATOMIC_READS_DURATION=%q: want a positive Go duration", s)
	}
	return d
}

// atomicReadsOptions make flushes and compactions constant: tiny
// memtables, tiny files, small levels, an L0 compacted at every file, and
// background work on goroutines.
func atomicReadsOptions() *Options {
	o := smallOptions(vfs.NewMem())
	o.TargetFileSize = 4 << 10
	o.LBaseMaxBytes = 16 << 10
	o.L0CompactionThreshold = 1
	o.MaxConcurrentCompactions = 3
	return o
}

// atomicWorkload is the state the goroutines of TestAtomicReads share.
type atomicWorkload struct {
	d      *DB
	start  time.Time
	stop   atomic.Bool
	acked  atomic.Uint64 // the highest seqnum acknowledged
	nextID atomic.Uint32 // the last value id handed out

	gets, scans, scanned atomic.Uint64

	mu      sync.Mutex
	batches []atomicBatch // guarded by mu
	reads   []*atomicRead // guarded by mu
	errs    []error       // guarded by mu
}

func (w *atomicWorkload) fail(err error) {
	w.mu.Lock()
	w.errs = append(w.errs, err)
	w.mu.Unlock()
	w.stop.Store(true)
}

// ack records that seq was acknowledged.
func (w *atomicWorkload) ack(seq uint64) {
	for {
		cur := w.acked.Load()
		if cur >= seq || w.acked.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// writer applies batches of one to four operations; keys overlap with
// the other writers'.
func (w *atomicWorkload) writer(rng *rand.Rand) {
	var done []atomicBatch
	defer func() {
		w.mu.Lock()
		w.batches = append(w.batches, done...)
		w.mu.Unlock()
	}()
	for !w.stop.Load() {
		b := w.d.NewBatch()
		var ops []atomicOp
		for range 1 + rng.IntN(4) {
			op, err := w.addOp(b, rng)
			if err != nil {
				w.fail(err)
				return
			}
			ops = append(ops, op)
		}
		tok, err := w.d.Apply(b, NoSync)
		if err != nil {
			w.fail(fmt.Errorf("apply: %w", err))
			return
		}
		done = append(done, atomicBatch{seq: tok.SeqNum(), ops: ops})
		w.ack(tok.SeqNum())
	}
}

func (w *atomicWorkload) addOp(b *Batch, rng *rand.Rand) (atomicOp, error) {
	k := rng.IntN(atomicKeys)
	switch p := rng.IntN(100); {
	case p < 4:
		end := min(atomicKeys, k+1+rng.IntN(4))
		return atomicOp{key: k, end: end, rangeDel: true}, b.DeleteRange(atomicKey(k), atomicKey(end))
	case p < 20:
		return atomicOp{key: k}, b.Delete(atomicKey(k))
	default:
		id := w.nextID.Add(1)
		return atomicOp{key: k, val: id}, b.Set(atomicKey(k), atomicValue(id))
	}
}

// reader loops reads: Gets, iterator walks and DB.All. Most are scans,
// which see more keys that a compaction may have rewritten.
func (w *atomicWorkload) reader(rng *rand.Rand) {
	var done []*atomicRead
	defer func() {
		w.mu.Lock()
		w.reads = append(w.reads, done...)
		w.mu.Unlock()
	}()
	for !w.stop.Load() {
		r := &atomicRead{at: time.Since(w.start)}
		var err error
		switch p := rng.IntN(100); {
		case p < 20:
			r.key = rng.IntN(atomicKeys)
			r.lo = w.acked.Load()
			err = w.get(r)
		case p < 80:
			lower, upper := atomicBounds(r, rng)
			r.kind = "iter forward"
			if rng.IntN(2) == 0 {
				r.kind = "iter backward"
			}
			r.lo = w.acked.Load()
			err = w.iterScan(r, lower, upper)
		default:
			lower, upper := atomicBounds(r, rng)
			r.kind = "all"
			r.lo = w.acked.Load()
			err = w.allScan(r, lower, upper)
		}
		r.hi = w.d.visibleSeq.Load()
		if err != nil {
			w.fail(fmt.Errorf("%v: %w", r, err))
			return
		}
		done = append(done, r)
	}
}

// atomicBounds draws scan bounds into r (as key indices) and returns them
// as IterOptions bounds: half the scans are unbounded (they see the most
// keys), the others have a random lower or upper bound or both.
func atomicBounds(r *atomicRead, rng *rand.Rand) (lower, upper []byte) {
	r.lower, r.upper = 0, atomicKeys
	if rng.IntN(2) == 0 {
		return nil, nil
	}
	a, b := rng.IntN(atomicKeys+1), rng.IntN(atomicKeys+1)
	if a > b {
		a, b = b, a
	}
	if p := rng.IntN(3); p != 0 {
		r.lower, lower = a, atomicKey(a)
	}
	if p := rng.IntN(3); p != 1 {
		r.upper, upper = b, atomicKey(b)
	}
	return lower, upper
}

func (w *atomicWorkload) get(r *atomicRead) error {
	r.kind = "get"
	w.gets.Add(1)
	v, err := w.d.Get(atomicKey(r.key))
	switch {
	case errors.Is(err, ErrNotFound):
		r.got = []uint32{0}
		return nil
	case err != nil:
		return err
	}
	id := atomicValueID(v)
	if id == 0 {
		return fmt.Errorf("value %q is no value the test wrote", v)
	}
	r.got = []uint32{id}
	return nil
}

func (w *atomicWorkload) iterScan(r *atomicRead, lower, upper []byte) error {
	w.scans.Add(1)
	it, err := w.d.NewIter(&IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	forward := r.kind == "iter forward"
	first, step := it.First, it.Next
	if !forward {
		first, step = it.Last, it.Prev
	}
	r.got = make([]uint32, atomicKeys)
	prev := -1
	for ok := first(); ok; ok = step() {
		if err := w.scanned1(r, &prev, forward, it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return errors.Join(it.Error(), it.Close())
}

func (w *atomicWorkload) allScan(r *atomicRead, lower, upper []byte) error {
	w.scans.Add(1)
	r.got = make([]uint32, atomicKeys)
	prev := -1
	for kv, err := range w.d.All(lower, upper) {
		if err != nil {
			return err
		}
		if err := w.scanned1(r, &prev, true, kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// scanned1 records one entry of a scan into r.got, after checking that
// it is a key of the bounds, in order after prev (the index of the
// previous entry, -1 at first), with a value the test wrote.
func (w *atomicWorkload) scanned1(r *atomicRead, prev *int, forward bool, key, value []byte) error {
	k := atomicKeyIndex(key)
	switch {
	case k < r.lower || k >= r.upper:
		return fmt.Errorf("key %q outside the bounds", key)
	case *prev >= 0 && forward && k <= *prev, *prev >= 0 && !forward && k >= *prev:
		return fmt.Errorf("key %q out of order after k%03d", key, *prev)
	}
	id := atomicValueID(value)
	if id == 0 {
		return fmt.Errorf("value %q of %q is no value the test wrote", value, key)
	}
	r.got[k], *prev = id, k
	w.scanned.Add(1)
	return nil
}

// flusher loops Flush.
func (w *atomicWorkload) flusher() {
	for !w.stop.Load() {
		if err := w.d.Flush(); err != nil {
			w.fail(fmt.Errorf("flush: %w", err))
		}
	}
}

// monitor loops DB.LSM.
func (w *atomicWorkload) monitor() {
	for !w.stop.Load() {
		if _, err := w.d.LSM(); err != nil {
			w.fail(fmt.Errorf("LSM: %w", err))
		}
	}
}

// compactor loops Compact over the whole key space or a random range.
func (w *atomicWorkload) compactor(rng *rand.Rand) {
	for !w.stop.Load() {
		var start, end []byte
		if rng.IntN(2) == 0 {
			a := rng.IntN(atomicKeys)
			start, end = atomicKey(a), atomicKey(a+rng.IntN(atomicKeys-a))
		}
		if err := w.d.Compact(context.Background(), start, end); err != nil {
			w.fail(fmt.Errorf("compact: %w", err))
		}
	}
}
