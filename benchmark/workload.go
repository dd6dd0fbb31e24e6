package benchmark

// workload is one benchmark: an optional load, then measured operations.
type workload struct {
	name  string
	about string
	// preload loads Num main-space keys, each once in a fixed
	// pseudo-random order, then settles the engine, before measuring.
	preload bool
	// ops is the number of measured operations for --num n (default n).
	ops func(n int64) int64
	// syncAll syncs every measured write whatever --sync says.
	syncAll bool
	// oneWrite says that every measured operation is one single-key
	// write (one commit): synced, the workload is fsync-bound (see
	// FsyncBound).
	oneWrite bool
	// txn marks a transaction workload: it runs on Transactors only.
	txn bool
	// writers, if positive, is the number of goroutines issuing measured
	// operations, whatever --concurrency says.
	writers int
	// parts name the kinds of measured operations; op returns an index
	// into them. The default is one part named after the workload.
	parts []string
	// initWorker prepares a worker before the measured phase (unmeasured).
	initWorker func(w *worker) error
	// closeWorker releases what initWorker took.
	closeWorker func(w *worker) error
	// op performs measured operation i.
	op func(w *worker, i int64) (part int, err error)
	// background, if set, runs on its own worker during the measured phase
	// until stop is closed, recording into its own part (not counted in
	// the workload's operations).
	background     func(w *worker, stop <-chan struct{}) error
	backgroundPart string
}

func (wl *workload) measuredOps(n int64) int64 {
	if wl.ops != nil {
		return max(1, wl.ops(n))
	}
	return n
}

// goroutines is the number of goroutines issuing measured operations.
func (wl *workload) goroutines(opts *Options) int {
	if wl.writers > 0 {
		return wl.writers
	}
	return opts.Concurrency
}

func (wl *workload) partNames() []string {
	if len(wl.parts) == 0 {
		return []string{wl.name}
	}
	return wl.parts
}

// workloads is the registry, in the default run order.
var workloads = []*workload{
	fillSeq, fillRandom, fillBatch, overwrite, readRandom, readMissing, readSeq, scan, deleteRandom, readWhileWriting,
	ycsbA, ycsbB, ycsbC, ycsbD, ycsbE, ycsbF, queue, txnLow, txnHigh, syncWrites, sync16,
}

// Names returns every workload's name in the default run order.
func Names() []string {
	names := make([]string, len(workloads))
	for i, wl := range workloads {
		names[i] = wl.name
	}
	return names
}

// Describe returns the one-line description of a workload ("" if unknown).
func Describe(name string) string {
	if wl := Lookup(name); wl != nil {
		return wl.about
	}
	return ""
}

// Lookup returns the workload called name, or nil.
func Lookup(name string) *workload {
	for _, wl := range workloads {
		if wl.name == name {
			return wl
		}
	}
	return nil
}
