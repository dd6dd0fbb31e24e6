package tempest

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// ingestFaultSetup opens /db on fs with the checkpoint tests' data, and
// writes two files for IngestAndReplace over [k10, k30), synced, on fs.
// It returns the DB, its state, and the state once the files replace the
// range.
func ingestFaultSetup(t *testing.T, fs vfs.FS) (d *DB, before, after map[string]string) {
	t.Helper()
	d, before = ckFaultSetup(t, fs)
	mustSet(t, d, "k12", "in-memtable", Sync) // the ingest flushes it first
	before["k12"] = "in-memtable"
	after = maps.Clone(before)
	for k := range after {
		if k >= "k10" && k < "k30" {
			delete(after, k)
		}
	}
	for i, keys := range [][]string{{"k11", "k15", "k19"}, {"k20", "k25"}} {
		var es []ingestEntry
		for _, k := range keys {
			es = append(es, ingestEntry{key: k, value: "ingested-" + k})
			after[k] = "ingested-" + k
		}
		writeIngestFile(t, fs, fmt.Sprintf("/in/%d.sst", i), d.cmp, es...)
	}
	return d, before, after
}

var ingestFaultPaths = []string{"/in/0.sst", "/in/1.sst"}

// TestIngestCrashPoints takes crash images of a MemFS before every
// write-class file operation of an IngestAndReplace (power losses keeping
// none or half of the unsynced data, torn or not, and a process crash).
// Every image reopens, checks clean, and holds either the state before
// the ingest or the state after it, whole: never the range deleted
// without the files, nor some files without the others.
func TestIngestCrashPoints(t *testing.T) {
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
	d, before, after := ingestFaultSetup(t, errorfs.Wrap(mem, inj))
	armed = true
	tok, err := d.IngestAndReplace(ingestFaultPaths, []byte("k10"), []byte("k30"))
	armed = false
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	images = append(images, mem.CrashClone(vfs.CrashOptions{}))
	ops = append(ops, errorfs.Op{Kind: errorfs.OpClose, Path: "(after Close)"})
	ingested := 0
	for i, img := range images {
		what := fmt.Sprintf("image %d, crash before %s", i, ops[i])
		got, err := ckReopen(img, "/db", false)
		switch {
		case err != nil:
			t.Fatalf("%s: reopen: %v", what, err)
		case maps.Equal(got, after):
			ingested++
		case !maps.Equal(got, before):
			t.Fatalf("%s: %d keys, neither the state before (%d) nor after (%d) the ingest:\n%v",
				what, len(got), len(before), len(after), got)
		}
	}
	if ingested == 0 || ingested == len(images) {
		t.Fatalf("%d of %d images hold the ingest; want some but not all", ingested, len(images))
	}
	faultFigures(t, "ingest crash points: %d write ops, %d images, %d with the ingest (token %d)",
		len(ops)/len(faultCrashVariants), len(images), ingested, tok.SeqNum())
}

// TestIngestFailures: an injected failure at each write-class operation
// of an IngestAndReplace, in turn. A failure before the manifest edit
// fails it with the injected error and leaves the DB as it was, and
// writable unless the failure was a flush's; a failed manifest append
// fails it and makes the DB read-only; a failure after the edit (the WAL
// rotation that follows it) leaves it successful and the DB read-only.
// Either way the reopened DB holds the state before or after the ingest,
// whole, and the inputs are never modified.
func TestIngestFailures(t *testing.T) {
	ops := -1 // write operations of an ingest without failures
	writable, failed := 0, 0
	for failAt := 0; failAt <= ops || ops < 0; failAt++ {
		mem := vfs.NewMem()
		k, armed := 0, false
		inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
			if !armed || !op.Kind.IsWrite() {
				return nil
			}
			if k++; k == failAt {
				return errorfs.ErrInjected
			}
			return nil
		})
		d, before, after := ingestFaultSetup(t, errorfs.Wrap(mem, inj))
		inputs := memTree(t, mem, "/in")
		armed = true
		_, err := d.IngestAndReplace(ingestFaultPaths, []byte("k10"), []byte("k30"))
		armed = false
		what := fmt.Sprintf("failure at op %d", failAt)
		if failAt == 0 {
			if err != nil {
				t.Fatal(err)
			}
			ops = k
		}
		if err != nil && !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("%s: %v, want the injected error", what, err)
		}
		if diff := diffTrees(inputs, memTree(t, mem, "/in")); diff != "" {
			t.Fatalf("%s: the inputs changed: %s", what, diff)
		}
		want := []map[string]string{before, after}
		switch {
		case err == nil:
			want = want[1:]
		case !errors.Is(err, ErrReadOnly):
			failed++
			if got := dump(t, d); !maps.Equal(got, before) {
				t.Fatalf("%s: the DB changed: %d keys, want %d", what, len(got), len(before))
			}
			mustSet(t, d, "after", "x", Sync)
			before["after"] = "x"
			writable++
		default:
			failed++
		}
		_ = d.Close() // fails after a background error
		got, rerr := ckReopen(mem, "/db", false)
		if rerr != nil || (!maps.Equal(got, want[0]) && !maps.Equal(got, want[len(want)-1])) {
			t.Fatalf("%s (ingest error %v): reopened with %d keys (%v), want the state before or after", what, err, len(got), rerr)
		}
	}
	if writable == 0 || writable == failed || failed == ops {
		t.Fatalf("of %d failure points, %d failed the ingest and %d left the DB writable; want some of each",
			ops, failed, writable)
	}
	t.Logf("%d failure points: %d failed the ingest, %d left the DB writable", ops, failed, writable)
}

// TestExportFailures: an existing destination is refused with
// ErrInvalidArgument; an injected failure at each write-class operation
// of an Export fails it and leaves neither the destination nor its
// temporary directory; the export that then succeeds holds the range's
// live pairs, in several files.
func TestExportFailures(t *testing.T) {
	mem := vfs.NewMem()
	failAt, k := -1, 0
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !op.Kind.IsWrite() || failAt < 0 || !strings.HasPrefix(op.Path, "/out") {
			return nil
		}
		if k++; k == failAt {
			return errorfs.ErrInjected
		}
		return nil
	})
	o := ingestOptions(errorfs.Wrap(mem, inj))
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	want := modelState{}
	for i := range 400 {
		key, v := fmt.Sprintf("k%03d", i), strings.Repeat("v", 40)
		mustSet(t, d, key, v, nil)
		if i >= 100 && i < 350 {
			want[key] = v
		}
	}
	if err := mem.MkdirAll("/out", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Export([]byte("k100"), []byte("k350"), "/out"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("export to an existing directory: %v, want ErrInvalidArgument", err)
	}
	if err := mem.Remove("/out"); err != nil {
		t.Fatal(err)
	}
	failures := 0
	var paths []string
	for failAt = 1; ; failAt++ {
		k = 0
		var err error
		if paths, err = d.Export([]byte("k100"), []byte("k350"), "/out"); err == nil {
			break
		}
		failures++
		if !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("failure at op %d: %v, want the injected error", failAt, err)
		}
		for _, dir := range []string{"/out", "/out" + exportTempSuffix} {
			if _, err := mem.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("failure at op %d: %s is left: %v", failAt, dir, err)
			}
		}
	}
	failAt = -1
	if failures < 5 || len(paths) < 2 {
		t.Fatalf("%d injected failures, %d files; want several of each", failures, len(paths))
	}
	d2 := mustOpen(t, "/db2", ingestOptions(mem))
	defer mustClose(t, d2)
	if _, err := d2.Ingest(paths); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, d2); !maps.Equal(got, want) {
		t.Fatalf("the export holds %d keys, want %d", len(got), len(want))
	}
	t.Logf("%d injected failures, each cleaned up; %d files", failures, len(paths))
}
