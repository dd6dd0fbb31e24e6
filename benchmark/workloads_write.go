package benchmark

var fillSeq = &workload{
	name:     "fillseq",
	about:    "write Num keys in key order into an empty database",
	oneWrite: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(uint64(i))
	},
}

var fillRandom = &workload{
	name:     "fillrandom",
	about:    "write Num uniformly random keys (with repeats) into an empty database",
	oneWrite: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

var overwrite = &workload{
	name:     "overwrite",
	about:    "load Num keys, then overwrite Num uniformly random ones",
	preload:  true,
	oneWrite: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

var deleteRandom = &workload{
	name:     "deleterandom",
	about:    "load Num keys, then delete Num uniformly random ones (with repeats)",
	preload:  true,
	oneWrite: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.delete(w.uniformKey())
	},
}

var syncWrites = &workload{
	name:     "sync",
	about:    "Num/100 synced writes of random keys from --concurrency goroutines (fsync-bound; group commit helps)",
	ops:      func(n int64) int64 { return n / 100 },
	syncAll:  true,
	oneWrite: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

// sync16Writers is the number of goroutines of sync16.
const sync16Writers = 16

var sync16 = &workload{
	name:     "sync16",
	about:    "Num synced single-key Sets of random keys from 16 goroutines, whatever --concurrency says (group commit against the disk's fsync rate)",
	syncAll:  true,
	oneWrite: true,
	writers:  sync16Writers,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

// fillBatchSize is the number of keys per batch of fillbatch.
const fillBatchSize = 1000

var fillBatch = &workload{
	name:  "fillbatch",
	about: "write Num/1000 batches of 1000 uniformly random keys (with repeats) into an empty database; one operation is one batch (smaller batches under memtables below 2.4MiB, whose batch limit is lower)",
	ops:   func(n int64) int64 { return n / fillBatchSize },
	op: func(w *worker, i int64) (int, error) {
		return 0, w.setBatch(min(fillBatchSize, w.r.loadBatchSize()))
	},
}
