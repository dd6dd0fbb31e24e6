package benchmark

import (
	"errors"
	"fmt"
)

// The queue workload: each worker owns a FIFO queue in the 'q' key space,
// its entries numbered worker<<40 | sequence. A worker first pushes a
// backlog of min(Num, queueBacklog) entries (not measured); each measured
// operation then appends one entry at the tail, seeks a new iterator to
// the start of the queue's key range to find the head, and deletes it, so
// the backlog stays constant while deleted entries pile up ahead of the
// live head. An engine that leaves tombstones in place pays for them on
// every seek, so an operation costs more the more came before it; the
// workload runs Num/10 operations to keep its time in line with the
// others'.
const queueBacklog = 1000

var queue = &workload{
	name:       "queue",
	about:      "Num/10 operations on per-worker FIFO queues: append at the tail, seek to the head, delete it",
	ops:        func(n int64) int64 { return n / 10 },
	initWorker: initQueue,
	op: func(w *worker, i int64) (int, error) {
		if err := w.push(); err != nil {
			return 0, err
		}
		return 0, w.pop()
	},
}

func (w *worker) queueKey(seq uint64) []byte {
	w.key = w.r.keys.appendKey(w.key, tagQueue, uint64(w.id)<<40|seq)
	return w.key
}

func initQueue(w *worker) error {
	r := w.r
	n := min(r.num, queueBacklog)
	per := r.loadBatchSize()
	var b Batch
	arena := make([]byte, per*r.opts.KeySize)
	for w.tail < n {
		off := b.Len() * r.opts.KeySize
		key := r.keys.appendKey(arena[off:off:off+r.opts.KeySize], tagQueue, uint64(w.id)<<40|w.tail)
		v := r.values.value(w.rng)
		b.Set(key, v)
		w.userBytes += int64(len(key) + len(v))
		w.tail++
		if b.Len() == per || w.tail == n {
			if err := r.eng.Apply(&b, false); err != nil {
				return err
			}
			b.Reset()
		}
	}
	r.queued.Add(int64(n))
	w.lo = r.keys.appendKey(nil, tagQueue, uint64(w.id)<<40)
	w.hi = r.keys.appendKey(nil, tagQueue, uint64(w.id+1)<<40)
	return nil
}

// push appends an entry at the tail.
func (w *worker) push() error {
	v := w.r.values.value(w.rng)
	if err := w.r.eng.Set(w.queueKey(w.tail), v, w.r.sync); err != nil {
		return err
	}
	w.userBytes += int64(len(w.key) + len(v))
	w.tail++
	w.r.queued.Add(1)
	return nil
}

// pop finds the head by seeking to the start of the queue, checks that it
// is the expected entry, and deletes it.
func (w *worker) pop() error {
	it, err := w.r.eng.NewIter(w.lo, w.hi)
	if err != nil {
		return err
	}
	if !it.SeekGE(w.lo) {
		err = it.Error()
		if err == nil {
			err = fmt.Errorf("%w: queue %d is empty, want head %d", errMismatch, w.id, w.head)
		}
		return errors.Join(err, it.Close())
	}
	got := w.r.keys.number(it.Key())
	want := uint64(w.id)<<40 | w.head
	if err := it.Close(); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: queue %d head is %d, want %d", errMismatch, w.id, got&(1<<40-1), w.head)
	}
	if err := w.r.eng.Delete(w.queueKey(w.head), w.r.sync); err != nil {
		return err
	}
	w.userBytes += int64(len(w.key))
	w.head++
	w.r.queued.Add(-1)
	return nil
}
