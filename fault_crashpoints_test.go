package tempest

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// Enumerated crash points: each canonical workload runs once on a MemFS;
// just before every write-class file operation (create, write, sync,
// rename, remove, mkdir) the test takes crash images of the file system
// as it is at that instant, reopens each image, and checks the prefix
// oracle: the recovered state is the state after some prefix of the
// commits that keeps every commit acknowledged with Sync (or made durable
// by a Flush or Close) before the crash, and, for a process crash, every
// acknowledged commit. Crashing "at op k" this way is the same as running
// the workload k times and stopping at op k, at a fraction of the cost.

// faultCrashVariants are the crash images taken at each point: power loss
// keeping no unsynced data, half of it, half with the last write torn,
// and a process crash.
var faultCrashVariants = []vfs.CrashOptions{
	{UnsyncedDataPercent: 0},
	{UnsyncedDataPercent: 50},
	{UnsyncedDataPercent: 50, TornLastWrite: true},
	{UnsyncedDataPercent: 100},
}

// faultWorkload is a canonical workload for crash and error enumeration.
type faultWorkload struct {
	name string
	opts func(fs vfs.FS) *Options
	run  func(d *DB, o *faultOracle) error
}

func faultRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7e57)) }

func faultBaseOptions(fs vfs.FS) *Options {
	return &Options{
		FS:                    fs,
		MemTableSize:          MinMemTableSize,
		MaxImmutableMemTables: 2,
		BlockSize:             512,
		SeqNumLeaseStep:       100,
		FileNumLeaseStep:      5,
		Scheduler:             InlineScheduler{},
	}
}

// faultCompact compacts the whole DB if the DB can, else flushes.
func faultCompact(d *DB) error {
	if c, ok := any(d).(interface {
		Compact(ctx context.Context, start, end []byte) error
	}); ok {
		return c.Compact(context.Background(), nil, nil)
	}
	return d.Flush()
}

// faultWorkloads are the canonical workloads: synced puts; mixed
// sync/no-sync batches with deletes; WAL rotation (a small memtable and
// large values); flushes; compaction (DB.Compact when the DB has it,
// else repeated flushes of overlapping keys); manifest rotation (a tiny
// growth baseline and a lease step of 1, so nearly every commit appends
// a manifest edit).
var faultWorkloads = []faultWorkload{
	{"synced-puts", faultBaseOptions, func(d *DB, o *faultOracle) error {
		for i := range 50 {
			if err := o.apply(d, true, fmt.Sprintf("k%02d=20", i%20)); err != nil {
				return err
			}
		}
		return nil
	}},
	{"mixed-batches", faultBaseOptions, func(d *DB, o *faultOracle) error {
		rng := faultRand(2)
		for range 70 {
			var w []string
			for range 1 + rng.IntN(4) {
				k := fmt.Sprintf("k%02d", rng.IntN(30))
				if rng.IntN(4) == 0 {
					w = append(w, "-"+k)
				} else {
					w = append(w, fmt.Sprintf("%s=%d", k, rng.IntN(200)))
				}
			}
			if err := o.apply(d, rng.IntN(3) == 0, w...); err != nil {
				return err
			}
		}
		return nil
	}},
	{"wal-rotation", faultBaseOptions, func(d *DB, o *faultOracle) error {
		rng := faultRand(3)
		for i := range 60 {
			if err := o.apply(d, rng.IntN(4) == 0, fmt.Sprintf("k%02d=3000", i%25)); err != nil {
				return err
			}
		}
		return nil
	}},
	{"flush", faultBaseOptions, func(d *DB, o *faultOracle) error {
		rng := faultRand(4)
		for i := range 48 {
			if err := o.apply(d, rng.IntN(3) == 0, fmt.Sprintf("k%02d=100", rng.IntN(40)), fmt.Sprintf("-k%02d", rng.IntN(40))); err != nil {
				return err
			}
			if i%8 == 7 {
				if err := d.Flush(); err != nil {
					return err
				}
				o.durable()
			}
		}
		return nil
	}},
	{"compaction", faultBaseOptions, func(d *DB, o *faultOracle) error {
		rng := faultRand(5)
		for i := range 45 {
			if err := o.apply(d, false, fmt.Sprintf("k%02d=300", rng.IntN(15)), fmt.Sprintf("-k%02d", rng.IntN(15))); err != nil {
				return err
			}
			if i%5 == 4 {
				if err := d.Flush(); err != nil {
					return err
				}
				o.durable()
			}
			if i%15 == 14 {
				if err := faultCompact(d); err != nil {
					return err
				}
				o.durable()
			}
		}
		return nil
	}},
	{"manifest-rotation", func(fs vfs.FS) *Options {
		o := faultBaseOptions(fs)
		o.ManifestGrowthBaseline = 256
		o.SeqNumLeaseStep = 1
		o.FileNumLeaseStep = 1
		return o
	}, func(d *DB, o *faultOracle) error {
		for i := range 40 {
			if err := o.apply(d, i%3 == 0, fmt.Sprintf("k%02d=50", i%10)); err != nil {
				return err
			}
			if i%10 == 9 {
				if err := d.Flush(); err != nil {
					return err
				}
				o.durable()
			}
		}
		return nil
	}},
}

// faultBlobOptions separate values of 100 bytes and more into blob files
// and rewrite a blob file once a tenth of it is dead.
func faultBlobOptions(fs vfs.FS) *Options {
	o := faultBaseOptions(fs)
	o.ValueSeparationThreshold = 100
	o.BlobGCThreshold = 0.9
	return o
}

// faultBlobWorkloads write blob files at flush (blob-write) and rewrite
// and delete them in compactions (blob-gc: overwrites make the first
// files' values dead).
var faultBlobWorkloads = []faultWorkload{
	{"blob-write", faultBlobOptions, func(d *DB, o *faultOracle) error {
		rng := faultRand(7)
		for i := range 30 {
			if err := o.apply(d, rng.IntN(3) == 0, fmt.Sprintf("k%02d=%d", rng.IntN(20), 50+rng.IntN(300))); err != nil {
				return err
			}
			if i%10 == 9 {
				if err := d.Flush(); err != nil {
					return err
				}
				o.durable()
			}
		}
		return nil
	}},
	{"blob-gc", faultBlobOptions, func(d *DB, o *faultOracle) error {
		// Each round overwrites part of the keys: the older blob files
		// keep some live values, which the compactions copy.
		for round, keys := range []int{8, 6, 3} {
			for i := range keys {
				if err := o.apply(d, false, fmt.Sprintf("k%02d=%d", i, 200+round)); err != nil {
					return err
				}
			}
			if err := d.Flush(); err != nil {
				return err
			}
			if err := faultCompact(d); err != nil {
				return err
			}
			o.durable()
		}
		if n := d.counters.blobFilesDeleted.Load(); n < 2 {
			return fmt.Errorf("%d blob files deleted, want at least 2", n)
		}
		return nil
	}},
}

// faultMappedOp names the operation of a mapping that op is, or returns
// "" if op is none.
func faultMappedOp(op errorfs.Op) string {
	switch {
	case !op.Mapped:
		return ""
	case op.Kind == errorfs.OpWrite:
		return "store"
	}
	return op.Kind.String()
}

// faultCrashRun runs w once, with the WAL mapped or not, checking a crash
// image before every write-class operation; it returns the number of
// images checked, and adds those taken before each operation of a
// mapping to mappedPoints.
func faultCrashRun(t *testing.T, wi int, w faultWorkload, mapped bool, known faultKnownBugs, mappedPoints map[string]int) int {
	mem := vfs.NewMem()
	mem.SetMappable(mapped)
	path := map[bool]uint64{false: 0, true: 1}[mapped]
	o := &faultOracle{}
	points, failures, k := 0, 0, 0
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !op.Kind.IsWrite() {
			return nil
		}
		if name := faultMappedOp(op); name != "" {
			if !mapped {
				t.Errorf("%s: %s on the write path", w.name, op)
			}
			mappedPoints[name] += len(faultCrashVariants)
		}
		k++
		for vi, v := range faultCrashVariants {
			v.Rand = faultRand(path<<48 | uint64(wi)<<32 | uint64(k)<<4 | uint64(vi))
			img := mem.CrashClone(v)
			need := o.synced
			if v.UnsyncedDataPercent == 100 {
				need = o.acked
			}
			points++
			if _, err := faultRecover(img, w.opts(img), o, need); err != nil {
				if faultIsTornWALHeader(img, err) {
					known[faultTornWALHeaderBug]++
					continue
				}
				if failures++; failures <= 5 {
					t.Errorf("%s (mapped WAL: %t): crash before write op %d (%s), %s: %v", w.name, mapped, k, op, v, err)
				}
			}
		}
		return nil
	})
	fs := errorfs.Wrap(mem, inj)
	d, err := Open("/db", w.opts(fs))
	if err != nil {
		t.Fatalf("%s: open: %v", w.name, err)
	}
	if err := w.run(d, o); err != nil {
		t.Fatalf("%s: %v", w.name, err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("%s: close: %v", w.name, err)
	}
	o.durable()
	// After a clean close, a power loss keeps everything.
	img := mem.CrashClone(vfs.CrashOptions{})
	if l, err := faultRecover(img, w.opts(img), o, o.acked); err != nil || l != len(o.commits) {
		t.Errorf("%s: after close: recovered %d of %d commits: %v", w.name, l, len(o.commits), err)
	}
	t.Logf("%s (mapped WAL: %t): %d write ops, %d commits, %d crash images", w.name, mapped, k, len(o.commits), points)
	return points
}

// TestFaultCrashPoints crashes every canonical workload, on both WAL
// paths, before each of its write-class operations. Required: no failed
// reopen, no lost durable or (for a process crash) acknowledged commit,
// no hole; and on the mapped path, crash points before the mapping's
// allocations, stores, syncs and truncations.
func TestFaultCrashPoints(t *testing.T) {
	total := 0
	known := faultKnownBugs{}
	mappedPoints := map[string]int{}
	for _, mapped := range []bool{false, true} {
		for wi, w := range faultWorkloads {
			total += faultCrashRun(t, wi, w, mapped, known, mappedPoints)
		}
	}
	rec := faultCrashDuringRecovery(t, false) + faultCrashDuringRecovery(t, true)
	faultFigures(t, "crash points: %d images over %d workloads on both WAL paths (%d with unsynced p in {0,50}%% or torn; %d before a mapped WAL's allocations, %d stores, %d syncs, %d truncations), plus %d during recovery",
		total, len(faultWorkloads), total*3/4, mappedPoints["allocate"], mappedPoints["store"], mappedPoints["sync"],
		mappedPoints["truncate"], rec)
	if total*3/4 < 2000 {
		t.Errorf("only %d crash points with p in {0,50}%% or torn; want >= 2000", total*3/4)
	}
	for _, op := range []string{"allocate", "store", "sync", "truncate"} {
		if mappedPoints[op] == 0 {
			t.Errorf("no crash point before a mapped WAL's %s", op)
		}
	}
	known.skipIfAny(t)
}

// faultCrashDuringRecovery crashes Open itself, repeatedly: from an image
// whose WALs need replaying, it crashes the recovery before each of its
// write-class operations, then crashes the recovery of that image before
// each of its operations, and so on one level deeper. Every image must
// recover to exactly the state the uninterrupted recovery gives: repeated
// crashes converge. With mapped, the WALs are written through a mapping.
func faultCrashDuringRecovery(t *testing.T, mapped bool) int {
	// The start image: the mixed workload, crashed (power loss, half the
	// unsynced data kept) before it closed.
	mem := vfs.NewMem()
	mem.SetMappable(mapped) // the images inherit it
	o := &faultOracle{}
	d, err := Open("/db", faultBaseOptions(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := faultWorkloads[1].run(d, o); err != nil {
		t.Fatal(err)
	}
	start := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 50, Rand: faultRand(7)})
	d.Close()

	want, err := faultRecoveredState(start.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100}), nil)
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if _, err := o.prefix(want, o.synced); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	points := 0
	var crashOpen func(img *vfs.MemFS, depth int, path string)
	crashOpen = func(img *vfs.MemFS, depth int, path string) {
		// Count the write ops of a recovery of img, on a copy.
		var images []*vfs.MemFS
		probe := img.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
		if _, err := faultRecoveredState(probe, func(op errorfs.Op) {
			pct := []int{0, 50}[len(images)%2]
			images = append(images, probe.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: pct,
				TornLastWrite: len(images)%3 == 2, Rand: faultRand(uint64(len(images)))}))
		}); err != nil {
			t.Errorf("recovery %s: %v", path, err)
			return
		}
		for k, c := range images {
			points++
			p := fmt.Sprintf("%s/%d", path, k+1)
			got, err := faultRecoveredState(c.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100}), nil)
			if err != nil {
				t.Errorf("recovery after crashes at write ops %s: %v", p, err)
				continue
			}
			if !maps.Equal(got, want) {
				t.Errorf("recovery after crashes at write ops %s: %d keys, want the %d of the uninterrupted recovery", p, len(got), len(want))
			}
			if depth < 2 && k%3 == 0 {
				crashOpen(c, depth+1, p)
			}
		}
	}
	crashOpen(start, 1, "")
	return points
}

// faultRecoveredState opens the DB in fs, calling each(op) before every
// write-class operation of the recovery, and returns its state.
func faultRecoveredState(fs *vfs.MemFS, each func(errorfs.Op)) (map[string]string, error) {
	var wfs vfs.FS = fs
	if each != nil {
		wfs = errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
			if op.Kind.IsWrite() {
				each(op)
			}
			return nil
		}))
	}
	d, err := Open("/db", faultBaseOptions(wfs))
	if err != nil {
		return nil, err
	}
	got, err := faultDump(d)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return got, err
}

// TestFaultCrashPointsBlobs crashes the blob workloads before each of
// their write-class operations: while blob files are written at flush,
// and while compactions rewrite them and the last references go (the
// old files' removal and deletion). Required as in TestFaultCrashPoints,
// and some crash images taken while a blob file existed.
func TestFaultCrashPointsBlobs(t *testing.T) {
	known := faultKnownBugs{}
	for wi, w := range faultBlobWorkloads {
		points := faultCrashRun(t, len(faultWorkloads)+wi, w, false, known, map[string]int{})
		if points < 100 {
			t.Errorf("%s: only %d crash images", w.name, points)
		}
	}
}
