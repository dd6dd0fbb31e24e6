package journal

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// syncOf matches syncs of the journal's files (not of the directory).
func syncOf(op errorfs.Op) bool {
	return op.Kind == errorfs.OpSync && strings.Contains(op.Path, testPrefix+"-")
}

func TestFailedSync(t *testing.T) {
	mem := vfs.NewMem()
	toggle := errorfs.Toggle(errorfs.Always(errorfs.ErrInjected, syncOf))
	fs := errorfs.Wrap(mem, toggle)
	j := openCounter(t, fs, framed(Config{}))
	mustAppend(t, j, set(10))
	size := j.Size()

	toggle.Enable()
	err := j.Append(add(5))
	if !errors.Is(err, base.ErrReadOnly) || !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("append: %v", err)
	}
	if j.Data().v != 10 || j.Size() != size {
		t.Fatalf("failed append changed the state: %d size %d", j.Data().v, j.Size())
	}
	toggle.Disable()
	// Sticky: the same error, without retrying the fsync.
	if err2 := j.Append(add(1)); err2 != err {
		t.Fatalf("second append: %v, want the same error %v", err2, err)
	}
	if err2 := j.Rotate(); err2 != err {
		t.Fatalf("rotate: %v", err2)
	}
	if j.Err() != err || j.Data().v != 10 {
		t.Fatalf("Err %v state %d", j.Err(), j.Data().v)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// The failed edit was never made durable: a power loss keeps only the
	// synced state, a process restart may see it.
	crashed := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0})
	j = openCounter(t, crashed, framed(Config{}))
	if j.Data().v != 10 {
		t.Fatalf("after power loss: state %d, want 10", j.Data().v)
	}
	j.Close()
	j = openCounter(t, mem, framed(Config{}))
	if v := j.Data().v; v != 10 && v != 15 {
		t.Fatalf("after restart: state %d, want 10 or 15", v)
	}
	j.Close()
}

func TestFailedWrite(t *testing.T) {
	for _, partial := range []bool{false, true} {
		t.Run(fmt.Sprintf("partial=%v", partial), func(t *testing.T) {
			seed := testSeed(t)
			mem := vfs.NewMem()
			toggle := errorfs.Toggle(errorfs.Always(errorfs.ErrNoSpace, func(op errorfs.Op) bool { return op.Kind == errorfs.OpWrite }))
			var opts []errorfs.Option
			if partial {
				opts = append(opts, errorfs.WithPartialWrites(seed))
			}
			fs := errorfs.Wrap(mem, toggle, opts...)
			j := openCounter(t, fs, framed(Config{}))
			mustAppend(t, j, set(3))
			toggle.Enable()
			err := j.Append(set(1 << 40))
			toggle.Disable()
			if !errors.Is(err, base.ErrReadOnly) || !errors.Is(err, errorfs.ErrNoSpace) || j.Data().v != 3 {
				t.Fatalf("append: %v, state %d", err, j.Data().v)
			}
			if err2 := j.Append(add(1)); err2 != err {
				t.Fatalf("second append: %v", err2)
			}
			j.Close()
			j = openCounter(t, mem, framed(Config{}))
			defer j.Close()
			if j.Data().v != 3 {
				t.Fatalf("reopen: state %d", j.Data().v)
			}
		})
	}
}

// failScript opens a journal on fs and appends edits (rotating often) until
// an operation fails for good. It returns the state acknowledged as
// durable, and the edit whose Append failed, if one did.
func failScript(t *testing.T, fs vfs.FS) (acked int64, failed *counterEdit) {
	cfg := framed(Config{GrowthFactor: 2, GrowthBaseline: 80})
	j, err := Open(fs, testDir, testPrefix, newCounter, counterCodec{}, cfg)
	if err != nil {
		return 0, nil
	}
	defer j.Close()
	for i := 1; i <= 12; i++ {
		e := add(int64(i) * 3)
		if i%4 == 0 {
			e = set(int64(i) * 1000)
		}
		if err := j.Append(e); err != nil {
			if !errors.Is(err, base.ErrReadOnly) {
				t.Fatalf("append failed without failing the journal: %v", err)
			}
			return j.Data().v, &e
		}
		if j.Data().v != apply(acked, e) {
			t.Fatalf("state %d after %s on %d", j.Data().v, e, acked)
		}
		acked = j.Data().v
		if i%5 == 0 {
			if err := j.Rotate(); err != nil && j.Err() != nil {
				return acked, nil
			}
		}
		if j.Err() != nil {
			// A rotation after the append failed the journal.
			if err := j.Append(add(1)); err != j.Err() {
				t.Fatalf("append on a failed journal: %v", err)
			}
			return acked, nil
		}
	}
	return acked, nil
}

// apply returns v after e.
func apply(v int64, e counterEdit) int64 {
	c := counter{v}
	_ = c.Apply(e)
	return c.v
}

// TestFailEveryWriteOp fails each write-class operation of a script in
// turn, with partial writes, and checks what survives a restart and a power
// loss.
func TestFailEveryWriteOp(t *testing.T) {
	seed := testSeed(t)
	counting := errorfs.OnIndex(-1, nil, errorfs.WriteOps)
	failScript(t, errorfs.Wrap(vfs.NewMem(), counting))
	n := counting.Count()
	if n < 50 {
		t.Fatalf("script has only %d write ops", n)
	}
	for i := int64(0); i < n; i++ {
		mem := vfs.NewMem()
		inj := errorfs.OnIndex(i, errorfs.ErrInjected, errorfs.WriteOps)
		acked, failed := failScript(t, errorfs.Wrap(mem, inj, errorfs.WithPartialWrites(seed+uint64(i))))
		if !inj.Fired() {
			t.Fatalf("op %d: injector did not fire", i)
		}
		want := []int64{acked}
		if failed != nil {
			want = append(want, apply(acked, *failed))
		}
		for _, c := range []struct {
			name  string
			fs    vfs.FS
			exact bool
		}{
			{"restart", mem, false},
			{"power loss", mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0}), true},
		} {
			j, err := Open(c.fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
			if err != nil {
				t.Fatalf("op %d, %s: open: %v", i, c.name, err)
			}
			got := j.Data().v
			j.Close()
			if got != want[0] && (c.exact || len(want) == 1 || got != want[1]) {
				t.Fatalf("op %d, %s: state %d, want %v", i, c.name, got, want)
			}
		}
	}
}

// TestRotationFailureRetried: a rotation that fails before its file could
// become valid leaves the journal usable on the old file; the next append
// retries it.
func TestRotationFailureRetried(t *testing.T) {
	mem := vfs.NewMem()
	inj := errorfs.OnIndex(0, errorfs.ErrNoSpace, func(op errorfs.Op) bool { return op.Kind == errorfs.OpCreate })
	cfg := framed(Config{GrowthFactor: 2, GrowthBaseline: 60})
	// Open's own Create (file 0's temporary) is op 0: open on the raw FS.
	j := openCounter(t, mem, cfg)
	j.Close()
	j = openCounter(t, errorfs.Wrap(mem, inj), cfg)
	defer j.Close()
	mustAppend(t, j, add(1)) // 24+21 = 45 bytes
	mustAppend(t, j, add(1)) // 66 >= 60: rotation fails at Create
	if !inj.Fired() || j.FileNum() != 0 || j.Err() != nil {
		t.Fatalf("fired %v file %d err %v", inj.Fired(), j.FileNum(), j.Err())
	}
	mustAppend(t, j, add(1)) // retried
	if j.FileNum() != 1 || j.Data().v != 3 {
		t.Fatalf("file %d state %d", j.FileNum(), j.Data().v)
	}
}

// TestRotationHeaderFailure: when the header write fails, the new file is
// removed and the journal stays on the old one; if it cannot be removed,
// the journal fails (the header might still reach the disk and hide later
// appends to the old file).
func TestRotationHeaderFailure(t *testing.T) {
	newName := testDir + "/" + makeFilename(testPrefix, 1)
	headerWrite := func(op errorfs.Op) bool {
		return op.Kind == errorfs.OpWrite && op.Path == newName && op.Offset == 0
	}
	for _, removeFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("removeFails=%v", removeFails), func(t *testing.T) {
			mem := vfs.NewMem()
			// The first write to file 1 is the reserved header plus snapshot
			// (Write at 0); the second is the header (WriteAt at 0).
			writes := errorfs.OnIndex(1, errorfs.ErrInjected, headerWrite)
			injs := []errorfs.Injector{writes}
			if removeFails {
				injs = append(injs, errorfs.Always(errorfs.ErrInjected, func(op errorfs.Op) bool {
					return op.Kind == errorfs.OpRemove && op.Path == newName
				}))
			}
			j := openCounter(t, errorfs.Wrap(mem, errorfs.Any(injs...)), framed(Config{}))
			mustAppend(t, j, set(4))
			err := j.Rotate()
			if err == nil || !writes.Fired() {
				t.Fatalf("rotate: %v (fired %v)", err, writes.Fired())
			}
			if j.FileNum() != 0 {
				t.Fatalf("file %d", j.FileNum())
			}
			if removeFails {
				if !errors.Is(j.Err(), base.ErrReadOnly) || j.Append(add(1)) == nil {
					t.Fatalf("journal not failed: %v", j.Err())
				}
			} else {
				if j.Err() != nil {
					t.Fatalf("journal failed: %v", j.Err())
				}
				mustAppend(t, j, add(1))
				if files := journalFiles(t, mem); len(files) != 1 {
					t.Fatalf("files %v", files)
				}
			}
			j.Close()
			j = openCounter(t, mem, framed(Config{}))
			defer j.Close()
			want := int64(5)
			if removeFails {
				want = 4
			}
			if j.Data().v != want {
				t.Fatalf("reopen: state %d, want %d", j.Data().v, want)
			}
		})
	}
}
