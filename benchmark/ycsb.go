package benchmark

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
)

// The YCSB core workloads (Cooper et al., "Benchmarking cloud serving
// systems with YCSB", SoCC 2010, and YCSB's workloads/workload[a-f]
// files), on Num loaded records (the load phase is not measured) and Num
// measured operations:
//
//	A  50% read, 50% update                    zipfian
//	B  95% read,  5% update                    zipfian
//	C  100% read                               zipfian
//	D  95% read,  5% insert                    latest
//	E  95% scan,  5% insert                    zipfian (scan start)
//	F  50% read, 50% read-modify-write         zipfian
//
// An update or insert writes a whole record (a value of --value-size
// bytes). F's read-modify-write is the paper's: read a record, then write
// it back modified, timed as one operation. A scan makes an iterator,
// seeks to the chosen key and reads a uniformly random 1 to 100 records
// (YCSB's maxscanlength 100, scanlengthdistribution uniform). Inserts take
// the next unused key number, so that records are numbered in insertion
// order.
//
// Distributions: "zipfian" is YCSB's scrambled zipfian (constant 0.99)
// over the loaded records, popular records scattered by an FNV hash;
// "latest" is zipfian over recency, the newest insert being the most
// popular; "uniform" is uniform over the records inserted so far.
// --distribution replaces the workload's own.
type ycsbMix struct {
	read, update, insert, scan, rmw float64
	dist                            string
}

const (
	ycsbRead = iota
	ycsbUpdate
	ycsbInsert
	ycsbScan
	ycsbRMW
)

var ycsbPartNames = []string{"read", "update", "insert", "scan", "rmw"}

// maxScanLength is YCSB's default maxscanlength.
const maxScanLength = 100

var (
	ycsbA = newYCSB("ycsb-a", "update heavy: 50% read, 50% update, zipfian", ycsbMix{read: .5, update: .5, dist: "zipfian"})
	ycsbB = newYCSB("ycsb-b", "read mostly: 95% read, 5% update, zipfian", ycsbMix{read: .95, update: .05, dist: "zipfian"})
	ycsbC = newYCSB("ycsb-c", "read only: 100% read, zipfian", ycsbMix{read: 1, dist: "zipfian"})
	ycsbD = newYCSB("ycsb-d", "read latest: 95% read, 5% insert, latest", ycsbMix{read: .95, insert: .05, dist: "latest"})
	ycsbE = newYCSB("ycsb-e", "short ranges: 95% scan of 1-100 records, 5% insert, zipfian", ycsbMix{scan: .95, insert: .05, dist: "zipfian"})
	ycsbF = newYCSB("ycsb-f", "read-modify-write: 50% read, 50% read-modify-write, zipfian", ycsbMix{read: .5, rmw: .5, dist: "zipfian"})
)

func newYCSB(name, about string, mix ycsbMix) *workload {
	// parts lists the operation kinds the mix uses; index maps a kind to
	// its part.
	var parts []string
	index := make([]int, len(ycsbPartNames))
	for kind, p := range []float64{mix.read, mix.update, mix.insert, mix.scan, mix.rmw} {
		if p > 0 {
			index[kind] = len(parts)
			parts = append(parts, ycsbPartNames[kind])
		}
	}
	return &workload{
		name:    name,
		about:   "YCSB " + about,
		preload: true,
		parts:   parts,
		initWorker: func(w *worker) error {
			w.choose = w.r.ycsbChooser(mix.dist)
			return nil
		},
		op: func(w *worker, i int64) (int, error) {
			kind := mix.pick(w.rng.Float64())
			return index[kind], w.ycsbOp(kind)
		},
	}
}

// pick maps u in [0, 1) to an operation kind.
func (m *ycsbMix) pick(u float64) int {
	for kind, p := range []float64{m.read, m.update, m.insert, m.scan, m.rmw} {
		if u < p {
			return kind
		}
		u -= p
	}
	// Rounding left u just above the last share: take the last kind used.
	switch {
	case m.rmw > 0:
		return ycsbRMW
	case m.scan > 0:
		return ycsbScan
	case m.insert > 0:
		return ycsbInsert
	case m.update > 0:
		return ycsbUpdate
	}
	return ycsbRead
}

// ycsbChooser returns a worker's chooser for the named distribution, or
// the --distribution override.
func (r *run) ycsbChooser(dist string) chooser {
	if r.opts.Distribution != "" {
		dist = r.opts.Distribution
	}
	switch dist {
	case "latest":
		return &latest{z: r.zipfian(), count: &r.inserted}
	case "uniform":
		return insertedUniform{&r.inserted}
	}
	return &scrambledZipfian{z: r.zipfian()}
}

// insertedUniform is uniform over the records inserted so far.
type insertedUniform struct{ count *atomic.Uint64 }

func (u insertedUniform) next(rng *rand.Rand) uint64 { return rng.Uint64N(max(1, u.count.Load())) }

func (w *worker) ycsbOp(kind int) error {
	switch kind {
	case ycsbRead:
		_, err := w.getMain(w.choose.next(w.rng))
		return err
	case ycsbUpdate:
		return w.set(w.choose.next(w.rng))
	case ycsbInsert:
		return w.insert()
	case ycsbScan:
		w.key = w.r.keys.main(w.key, w.choose.next(w.rng))
		length := 1 + w.rng.IntN(maxScanLength) // records, the first by the seek
		return w.scan(w.key, length-1)
	case ycsbRMW:
		n := w.choose.next(w.rng)
		if _, err := w.getMain(n); err != nil {
			return err
		}
		return w.set(n)
	}
	return fmt.Errorf("benchmark: unknown YCSB operation %d", kind)
}

// insert writes the next unused key number and publishes it to the
// readers of the latest distribution.
func (w *worker) insert() error {
	n := w.r.nextInsert.Add(1) - 1
	if err := w.set(n); err != nil {
		return err
	}
	for {
		c := w.r.inserted.Load()
		if n < c || w.r.inserted.CompareAndSwap(c, n+1) {
			return nil
		}
	}
}

// zipfian returns the zipfian over the loaded records, computing it once
// (zeta(Num) takes O(Num) time). Workers copy it.
func (r *run) zipfian() zipfian {
	r.zipfOnce.Do(func() { r.zipf = newZipfian(max(r.num, 1)) })
	return r.zipf
}
