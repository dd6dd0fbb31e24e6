// Package sim is Tempest's deterministic simulator: it runs the engine,
// single-threaded, on an in-memory file system (vfs.MemFS) wrapped by a
// fault injector (vfs/errorfs), under a seeded workload, and checks every
// result against a model.
//
// # One seed, one run
//
// A seed fixes everything: the engine configuration, whether the WAL is
// written through a mapping (the MemFS is made mappable, as files of
// vfs.Default are on linux) or with File.Write, the workload mix
// (batches with and without Sync, gets, bounded iterators walked in both
// directions and kept open across writes, snapshots and reads at them,
// flushes, clean closes and reopens), the fault rates of the run (swarm
// testing: each seed turns each fault class on or off and picks its own
// rate), when background tasks run, and where the 1 to 5 crashes strike.
// Two runs of one seed perform the same operations with the same outcomes:
// Run records a trace of both, and the tests compare traces byte for byte.
//
// Faults: EIO on read, write, sync and create, ENOSPC on write, create and
// sync; on a mapped WAL, EIO on allocate, store (as a memory fault), sync
// and truncate, and ENOSPC on allocate; EIO on the other file-system
// calls (remove, rename, list, ...); and slow operations (errorfs.Latency
// with a fake sleep that advances the simulated clock). Crashes: a crash image (MemFS.CrashClone) taken just
// before a seeded write-class file operation, keeping each unsynced block
// with probability 0, 10, 50 or 90 percent (power loss) or 100 percent
// (process crash), optionally with the last write torn. The image may be
// taken in the middle of a commit, a flush, a close, or of the recovery
// that follows an earlier crash, and before a mapping's allocate, store,
// sync or truncate as before any other write. A run fails if its WAL did
// not take the path its seed chose.
//
// # Scheduling
//
// Options.Scheduler is the simulator's: a task (a flush) runs either
// inline, when it is scheduled, or at a seeded later point; queued tasks
// always run before the next operation that writes, so a writer never
// stalls on a flush that the single goroutine would never run. Reads may
// run while flushes are pending, so they see frozen memtables.
//
// # Oracles
//
// Values encode their key and the index of the commit that wrote them, so
// any value read maps back to one write. The model keeps the commits in
// order. A run fails if
//   - a read (Get, iterator step, read at a snapshot) differs from the
//     model at the read's sequence number, or fails without an injected
//     fault to explain it;
//   - after a crash or a reopen, the recovered state is not the model after
//     some prefix of L commits with L at least the last acknowledged synced
//     commit (power loss) or the last acknowledged commit (process crash,
//     clean or failed close): a lost synced write, a hole, a partial batch
//     or a resurrected delete;
//   - a reopen fails without an injected fault, or DB.Check reports a
//     problem after recovery;
//   - a commit is acknowledged after an injected write or sync failure on a
//     WAL or SST file or directory in the same process, or a failing write
//     does not report ErrReadOnly wrapping its cause;
//   - any operation panics, or returns ErrCorruption.
//
// After a write fault the DB turns read-only; the simulator keeps reading
// for a few steps, then "space returns": it turns faults off, closes and
// reopens the DB, and checks recovery as above.
//
// A failure names the seed and the command that replays it:
//
//	go test ./sim -run TestSim -sim.seed=N -v
package sim
