package benchmark

import (
	"errors"
	"fmt"
	"time"
)

var readRandom = &workload{
	name:    "readrandom",
	about:   "load Num keys and settle, then Num point reads: half hit a loaded key, half miss between loaded keys",
	preload: true,
	parts:   []string{"hit", "miss"},
	op: func(w *worker, i int64) (int, error) {
		if w.rng.Uint64()&1 == 0 {
			return 0, w.mustGetMain(w.uniformKey())
		}
		w.key = w.r.keys.missing(w.key, w.uniformKey())
		found, err := w.get(w.key)
		if err == nil && found {
			err = fmt.Errorf("%w: found never-written key %x", errMismatch, w.key)
		}
		return 1, err
	},
}

var readMissing = &workload{
	name:    "readmissing",
	about:   "load Num keys and settle, then Num point reads of absent keys, each between two loaded keys",
	preload: true,
	op: func(w *worker, i int64) (int, error) {
		w.key = w.r.keys.missing(w.key, w.uniformKey())
		found, err := w.get(w.key)
		if err == nil && found {
			err = fmt.Errorf("%w: found never-written key %x", errMismatch, w.key)
		}
		return 0, err
	},
}

var readSeq = &workload{
	name:    "readseq",
	about:   "load Num keys and settle, then Num iterator steps in key order (each worker scans its share, wrapping around)",
	preload: true,
	initWorker: func(w *worker) error {
		r := w.r
		c := uint64(r.wl.goroutines(r.opts))
		w.lo = r.keys.main(nil, uint64(w.id)*r.num/c)
		w.hi = r.keys.main(nil, uint64(w.id+1)*r.num/c)
		it, err := r.eng.NewIter(w.lo, w.hi)
		if err != nil {
			return err
		}
		w.iter = it
		it.SeekGE(w.lo)
		return it.Error()
	},
	closeWorker: closeIter,
	op: func(w *worker, i int64) (int, error) {
		ok := w.iter.Next()
		if !ok {
			if err := w.iter.Error(); err != nil {
				return 0, err
			}
			ok = w.iter.SeekGE(w.lo)
		}
		if ok {
			w.touch(w.iter)
		}
		return 0, w.iter.Error()
	},
}

func closeIter(w *worker) error {
	if w.iter == nil {
		return nil
	}
	err := w.iter.Close()
	w.iter = nil
	return err
}

// scanLength is the number of Next calls after each seek of scan.
const scanLength = 100

var scan = &workload{
	name:    "scan",
	about:   "load Num keys and settle, then Num/10 scans: a new iterator, a seek to a random key and 100 nexts",
	preload: true,
	ops:     func(n int64) int64 { return n / 10 },
	op: func(w *worker, i int64) (int, error) {
		w.key = w.r.keys.main(w.key, w.uniformKey())
		return 0, w.scan(w.key, scanLength)
	},
}

// scan seeks to key with a new iterator and steps n times, reading every
// entry it lands on.
func (w *worker) scan(key []byte, n int) error {
	it, err := w.r.eng.NewIter(nil, nil)
	if err != nil {
		return err
	}
	ok := it.SeekGE(key)
	for j := 0; ok; j++ {
		w.touch(it)
		if j == n {
			break
		}
		ok = it.Next()
	}
	return errors.Join(it.Error(), it.Close())
}

// touch reads the iterator's key and value, as a reader of the data
// would: engines that fetch values lazily must fetch them.
func (w *worker) touch(it Iter) {
	w.readBytes += int64(len(it.Key()) + len(it.Value()))
}

var readWhileWriting = &workload{
	name:    "readwhilewriting",
	about:   "load Num keys and settle, then Num random reads from --concurrency goroutines while one more overwrites random keys non-stop",
	preload: true,
	parts:   []string{"read"},
	op: func(w *worker, i int64) (int, error) {
		return 0, w.mustGetMain(w.uniformKey())
	},
	backgroundPart: "write",
	background: func(w *worker, stop <-chan struct{}) error {
		h := w.parts[len(w.parts)-1]
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			start := time.Now()
			if err := w.set(w.uniformKey()); err != nil {
				return err
			}
			record(h, time.Since(start))
		}
	},
}
