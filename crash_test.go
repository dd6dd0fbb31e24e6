package tempest

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// crashCommit is one committed batch of the crash workload: key -> value,
// or key -> "" for a delete. Values are "c<commit index>".
type crashCommit map[string]string

// crashRun is one seeded run of the crash test.
type crashRun struct {
	seed     uint64
	commits  []crashCommit
	acked    int // commits acknowledged before the crash
	synced   int // commits up to and including the last synced one acknowledged before the crash
	crashAt  int64
	percent  int
	crashed  *vfs.MemFS
	writeOps int64
}

// TestCrashRecoveryPrefix crashes the engine at seeded write-class file
// operations on the in-memory FS: in the middle of commits, WAL
// rotations, flushes, manifest edits and reopens. The crash image keeps
// synced data plus a seeded fraction of unsynced data (0% to 100%: power
// loss to process crash). After each crash, the reopened state must equal
// the model after some prefix of L commits, with L covering every
// acknowledged synced commit: nothing synced lost, no holes, no partial
// batch, no resurrected delete.
//
// TEMPEST_CRASH_SEEDS sets the number of seeds (default 600).
func TestCrashRecoveryPrefix(t *testing.T) {
	n := 600
	if s := os.Getenv("TEMPEST_CRASH_SEEDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 50
	}
	base := testSeed(t)
	crashes := 0
	for i := range n {
		r := &crashRun{seed: base + uint64(i)}
		r.run(t)
		if r.crashed != nil {
			crashes++
		}
	}
	t.Logf("%d seeds, %d crash points hit mid-workload", n, crashes)
	if crashes < n/2 {
		t.Fatalf("only %d of %d seeds crashed mid-workload", crashes, n)
	}
}

func (r *crashRun) run(t *testing.T) {
	rng := newRand(r.seed)
	mem := vfs.NewMem()
	r.crashAt = 1 + rng.Int64N(900)
	r.percent = []int{0, 10, 50, 90, 100}[rng.IntN(5)]
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !op.Kind.IsWrite() || r.crashed != nil {
			return nil
		}
		r.writeOps++
		if r.writeOps == r.crashAt {
			r.crashed = mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: r.percent, Rand: newRand(r.seed ^ 0xc0ffee)})
		}
		return nil
	})
	opts := smallOptions(errorfs.Wrap(mem, inj))
	opts.Scheduler = InlineScheduler{}
	opts.MemTableSize = MinMemTableSize
	d, err := Open("/db", opts)
	if err != nil {
		t.Fatalf("seed %d: open: %v", r.seed, err)
	}
	for i := 0; i < 300 && r.crashed == nil; i++ {
		c := crashCommit{}
		b := d.NewBatch()
		for range 1 + rng.IntN(4) {
			k := fmt.Sprintf("k%02d", rng.IntN(40))
			if rng.IntN(4) == 0 {
				b.Delete([]byte(k))
				c[k] = ""
			} else {
				v := fmt.Sprintf("c%d", i)
				b.Set([]byte(k), append([]byte(v), make([]byte, rng.IntN(300))...))
				c[k] = v
			}
		}
		sync := rng.IntN(3) == 0
		r.commits = append(r.commits, c)
		if _, err := d.Apply(b, &WriteOptions{Sync: sync}); err != nil {
			t.Fatalf("seed %d: commit %d: %v", r.seed, i, err)
		}
		if r.crashed == nil {
			r.acked = i + 1
			if sync {
				r.synced = i + 1
			}
		}
		switch rng.IntN(40) {
		case 0:
			if err := d.Flush(); err != nil {
				t.Fatalf("seed %d: flush: %v", r.seed, err)
			}
		case 1:
			mustClose(t, d)
			if d, err = Open("/db", opts); err != nil {
				t.Fatalf("seed %d: reopen: %v", r.seed, err)
			}
		}
	}
	d.Close()
	img := r.crashed
	if img == nil {
		// The workload ended first: crash at the end.
		img = mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: r.percent, Rand: newRand(r.seed)})
		r.acked = len(r.commits)
	}
	r.check(t, img)
}

// check reopens the crash image and finds the commit prefix it equals.
func (r *crashRun) check(t *testing.T, img *vfs.MemFS) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d (crash at write op %d, keep %d%% unsynced, %d acked, %d synced): %s",
			r.seed, r.crashAt, r.percent, r.acked, r.synced, fmt.Sprintf(format, args...))
	}
	d, err := Open("/db", &Options{FS: img, MemTableSize: MinMemTableSize})
	if err != nil {
		fail("reopen: %v", err)
	}
	defer d.Close()
	got := map[string]string{}
	for kv, err := range d.All(nil, nil) {
		if err != nil {
			fail("scan: %v", err)
		}
		v := string(kv.Value)
		if i := len(v); i > 0 {
			// strip padding
			for j := 1; j < len(v); j++ {
				if v[j] == 0 {
					v = v[:j]
					break
				}
			}
		}
		got[string(kv.Key)] = v
	}
	// A process crash (100% of written data kept) loses no acknowledged
	// commit; power loss loses none up to the last synced one.
	need := r.synced
	if r.percent == 100 {
		need = r.acked
	}
	model := map[string]string{}
	for l := 0; l <= len(r.commits); l++ {
		if l > 0 {
			for k, v := range r.commits[l-1] {
				if v == "" {
					delete(model, k)
				} else {
					model[k] = v
				}
			}
		}
		if l >= need && maps.Equal(model, got) {
			return
		}
	}
	fail("recovered state %v is no prefix of the %d commits of length >= %d", got, len(r.commits), need)
}
