package tempest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// ckFaultSetup opens /db on fs and commits synced writes over a few
// flushes and a compaction; it returns the DB and the state it holds.
func ckFaultSetup(t *testing.T, fs vfs.FS) (*DB, map[string]string) {
	t.Helper()
	d := mustOpen(t, "/db", faultBaseOptions(fs))
	want := map[string]string{}
	rng := faultRand(12)
	for i := range 120 {
		k, v := fmt.Sprintf("k%02d", rng.IntN(40)), fmt.Sprintf("v%d", i)
		if rng.IntN(5) == 0 {
			if err := d.Delete([]byte(k), Sync); err != nil {
				t.Fatal(err)
			}
			delete(want, k)
		} else {
			mustSet(t, d, k, v, Sync)
			want[k] = v
		}
		if i%30 == 29 {
			if err := faultCompact(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return d, want
}

// ckReopen opens dir on fs (read-only or not), checks it, and returns its
// state.
func ckReopen(fs vfs.FS, dir string, readOnly bool) (map[string]string, error) {
	o := faultBaseOptions(fs)
	o.ReadOnly = readOnly
	d, err := Open(dir, o)
	if err != nil {
		return nil, err
	}
	got, err := faultDump(d)
	if err == nil {
		err = d.Check()
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return got, err
}

// TestCheckpointCrashPoints takes crash images of a MemFS before every
// write-class file operation of a Checkpoint (power losses keeping none
// or half of the unsynced data, torn or not, and a process crash). In
// every image the source reopens with every acknowledged (synced) write,
// and /ck either does not exist or is a complete checkpoint that opens
// read-only and read-write, checks clean, and equals the source's state.
// A leftover /ck.checkpoint-tmp is allowed: it is not at the
// destination, and the next Checkpoint to /ck removes it.
func TestCheckpointCrashPoints(t *testing.T) {
	mem := vfs.NewMem()
	var images []*vfs.MemFS
	var ops []errorfs.Op
	armed := false
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !armed || !op.Kind.IsWrite() {
			return nil
		}
		for vi, v := range faultCrashVariants {
			v.Rand = faultRand(uint64(len(ops))<<4 | uint64(vi))
			images = append(images, mem.CrashClone(v))
			ops = append(ops, op)
		}
		return nil
	})
	d, want := ckFaultSetup(t, errorfs.Wrap(mem, inj))
	armed = true
	tok, err := d.Checkpoint("/ck")
	armed = false
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	images = append(images, mem.CrashClone(vfs.CrashOptions{}))
	ops = append(ops, errorfs.Op{Kind: errorfs.OpClose, Path: "(after Close)"})
	complete := 0
	for i, img := range images {
		what := fmt.Sprintf("image %d, crash before %s", i, ops[i])
		if got, err := ckReopen(img, "/db", false); err != nil || !maps.Equal(got, want) {
			t.Fatalf("%s: source: %d keys, want %d: %v", what, len(got), len(want), err)
		}
		if _, err := img.Stat("/ck"); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		complete++
		for _, ro := range []bool{true, false} {
			if got, err := ckReopen(img, "/ck", ro); err != nil || !maps.Equal(got, want) {
				t.Fatalf("%s: checkpoint (read-only %v): %d keys, want %d: %v", what, ro, len(got), len(want), err)
			}
		}
	}
	if complete == 0 || complete == len(images) {
		t.Fatalf("%d of %d images hold the checkpoint; want some but not all", complete, len(images))
	}
	faultFigures(t, "checkpoint crash points: %d write ops, %d images, %d with a complete checkpoint (token %d)",
		len(ops)/len(faultCrashVariants), len(images), complete, tok.SeqNum())
}

// TestCheckpointFailures: a destination that exists fails with
// ErrInvalidArgument and changes nothing; an injected failure at any
// write-class operation of the copy fails Checkpoint and leaves neither
// the destination nor the temporary directory, and the DB keeps working.
func TestCheckpointFailures(t *testing.T) {
	mem := vfs.NewMem()
	failAt, k := -1, 0
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !op.Kind.IsWrite() || failAt < 0 {
			return nil
		}
		// Fail only inside the checkpoint's directories, so that the
		// source keeps working.
		if len(op.Path) < 3 || op.Path[:3] != "/ck" {
			return nil
		}
		if k++; k == failAt {
			return errorfs.ErrInjected
		}
		return nil
	})
	d, want := ckFaultSetup(t, errorfs.Wrap(mem, inj))
	defer mustClose(t, d)
	if err := mem.MkdirAll("/ck", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Checkpoint("/ck"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("checkpoint to an existing directory: %v, want ErrInvalidArgument", err)
	}
	if names, err := mem.List("/ck"); err != nil || len(names) != 0 {
		t.Fatalf("the existing destination changed: %v, %v", names, err)
	}
	if err := mem.Remove("/ck"); err != nil {
		t.Fatal(err)
	}
	failures := 0
	for failAt = 1; ; failAt++ {
		k = 0
		_, err := d.Checkpoint("/ck")
		if err == nil {
			break
		}
		failures++
		if !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("failure at op %d: %v, want the injected error", failAt, err)
		}
		for _, dir := range []string{"/ck", "/ck" + checkpointTempSuffix} {
			if _, err := mem.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("failure at op %d: %s is left: %v", failAt, dir, err)
			}
		}
	}
	failAt = -1
	if failures < 5 {
		t.Fatalf("only %d injected failures", failures)
	}
	if got := dump(t, d); !maps.Equal(got, want) {
		t.Fatalf("the source holds %d keys, want %d", len(got), len(want))
	}
	if got, err := ckReopen(mem, "/ck", false); err != nil || !maps.Equal(got, want) {
		t.Fatalf("checkpoint after %d failures: %d keys, want %d: %v", failures, len(got), len(want), err)
	}
	t.Logf("%d injected failures, each cleaned up", failures)
}
