package benchmark

var fillSeq = &workload{
	name:  "fillseq",
	about: "write Num keys in key order into an empty database",
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(uint64(i))
	},
}

var fillRandom = &workload{
	name:  "fillrandom",
	about: "write Num uniformly random keys (with repeats) into an empty database",
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

var overwrite = &workload{
	name:    "overwrite",
	about:   "load Num keys, then overwrite Num uniformly random ones",
	preload: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}

var deleteRandom = &workload{
	name:    "deleterandom",
	about:   "load Num keys, then delete Num uniformly random ones (with repeats)",
	preload: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.delete(w.uniformKey())
	},
}

var syncWrites = &workload{
	name:    "sync",
	about:   "Num/100 synced writes of random keys from --concurrency goroutines (fsync-bound; group commit helps)",
	ops:     func(n int64) int64 { return n / 100 },
	syncAll: true,
	op: func(w *worker, i int64) (int, error) {
		return 0, w.set(w.uniformKey())
	},
}
