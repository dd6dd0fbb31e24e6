package tempest

// Scheduler runs the DB's background work. The DB never holds its internal
// locks when it calls Schedule, so an implementation may run the task
// synchronously in the calling goroutine. It must run every task it is
// given, sooner or later: Close waits for all of them.
type Scheduler interface {
	Schedule(task func())
}

// GoScheduler runs each task in a new goroutine. It is the default.
type GoScheduler struct{}

// Schedule starts task in a goroutine.
func (GoScheduler) Schedule(task func()) { go task() }

// InlineScheduler runs each task synchronously in the goroutine that
// scheduled it. With it, a DB driven by one goroutine is deterministic:
// flushes happen at the moment a memtable is frozen.
type InlineScheduler struct{}

// Schedule runs task now.
func (InlineScheduler) Schedule(task func()) { task() }

// schedule runs task on the Scheduler as background work that Close waits
// for. The caller has counted it in d.bg, under d.mu and after checking
// that the DB is not closing, so that Close cannot miss it.
func (d *DB) schedule(task func()) {
	d.opts.Scheduler.Schedule(func() {
		defer d.bg.Done()
		task()
	})
}
