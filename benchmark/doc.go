// Package benchmark runs db_bench and YCSB style workloads against a
// storage engine behind the Engine interface, and reports throughput,
// latency percentiles (HdrHistogram), write and space amplification, peak
// RSS and size on disk. `tempest bench` drives it; the Tempest adapter is
// here, the Pebble, Badger and goleveldb adapters in the separate module
// github.com/tempestdb/tempest/bench, whose cmd/peerbench runs them.
//
// # Runs
//
// Each workload runs on a fresh engine in a fresh directory (removed
// afterwards): an optional load, then a measured phase of Options.Num
// operations (or Options.Duration of them) from Options.Concurrency
// goroutines. The load writes Num main-space keys once each in a fixed
// pseudo-random order, in unsynced batches, then calls Engine.Settle
// (flush the memtable, wait for running compactions); it is not measured.
// Every random choice derives from Options.Seed.
//
// # Workloads
//
//	fillseq           Num writes in key order, empty database
//	fillrandom        Num writes of uniformly random keys (repeats allowed), empty database
//	overwrite         load; Num writes of random loaded keys
//	readrandom        load; Num point reads, half hits, half misses (reported apart)
//	readseq           load; Num iterator steps in key order (each goroutine its share)
//	scan              load; Num/10 × (new iterator, seek to a random key, 100 nexts)
//	deleterandom      load; Num deletes of random loaded keys (repeats allowed)
//	readwhilewriting  load; Num random reads while one more goroutine overwrites non-stop
//	ycsb-a .. ycsb-f  load; Num YCSB operations (see ycsbMix: F is read-modify-write)
//	queue             Num/10 × (append at the tail, seek to the head, delete it)
//	sync              Num/100 synced writes of random keys, empty database
//	sync16            Num synced writes of random keys from 16 goroutines, empty database
//
// Writes are synced when Options.Sync is set (the sync workload always
// syncs). Misses are keys between loaded keys (see keyFormat), so that
// only a filter or a search, not file bounds, can rule them out.
//
// # Figures
//
// Latencies are per operation, measured around the Engine call(s) that
// make it up, recorded in nanoseconds to 3 significant digits. Throughput
// is operations over the wall time of the measured phase. UserBytes are
// the key and value bytes written, load included; WriteAmp divides by
// them what the engine counts as written (EngineStats), OSWriteAmp what
// the operating system counted for the process (Linux
// /proc/self/io write_bytes) from Open to after Close. DiskBytes is the
// allocated size of the directory after Close; SpaceAmp divides it by the
// key and value bytes of the live keys. PeakRSS is the process's peak;
// a comparison runs each engine and workload in its own process, so that
// it is the workload's own.
//
// Fsync-bound results (every measured operation one synced single-key
// write: FsyncBound) also carry SyncFigures: the engine's commits per
// fsync (SyncStater), the disk's fsync rate from the probes run just
// before and after the workload (ProbeFsync, Prober), and the sync ratio
// ops/s ÷ (fsync rate × commits per fsync) against SyncRatioTarget. See
// syncstats.go.
//
// Values are 100-byte runs of 50 random printable bytes repeated once,
// as db_bench makes them: they compress to about half.
package benchmark
