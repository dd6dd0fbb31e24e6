package tempest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// readOnlyFS refuses every change to the file system, as a read-only
// mount does, and fails the test for each attempt. Files opened with Open
// refuse writes already (MemFS opens them read-only).
type readOnlyFS struct {
	vfs.FS
	t *testing.T
}

func (r readOnlyFS) refuse(op, name string) error {
	r.t.Errorf("read-only DB tried to %s %s", op, name)
	return &os.PathError{Op: op, Path: name, Err: errors.New("read-only file system")}
}

func (r readOnlyFS) Create(name string) (vfs.File, error) { return nil, r.refuse("create", name) }
func (r readOnlyFS) OpenForAppend(name string) (vfs.File, error) {
	return nil, r.refuse("open for append", name)
}
func (r readOnlyFS) OpenDir(name string) (vfs.File, error) {
	return nil, r.refuse("sync directory", name)
}
func (r readOnlyFS) Remove(name string) error   { return r.refuse("remove", name) }
func (r readOnlyFS) Rename(old, _ string) error { return r.refuse("rename", old) }
func (r readOnlyFS) MkdirAll(dir string, _ os.FileMode) error {
	return r.refuse("mkdir", dir)
}
func (r readOnlyFS) Lock(name string) (io.Closer, error) {
	return nil, r.refuse("lock exclusively", name)
}

// fsTree returns every directory and file under root with its bytes.
func fsTree(t *testing.T, fsys vfs.FS, root string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	var walk func(dir string)
	walk = func(dir string) {
		names, err := fsys.List(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			p := fsys.PathJoin(dir, n)
			info, err := fsys.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.IsDir() {
				out[p+"/"] = ""
				walk(p)
				continue
			}
			f, err := fsys.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, info.Size())
			if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			f.Close()
			out[p] = string(b)
		}
	}
	walk(root)
	return out
}

// crashedDB builds, in a MemFS, a database with SSTs in several levels,
// then writes synced batches (overwrites, deletes, a range delete) that
// stay in the WAL: their memtable is large. It returns the image a crash
// leaves and the acknowledged contents.
func crashedDB(t *testing.T) (*vfs.MemFS, map[string]string) {
	t.Helper()
	mem := vfs.NewMem()
	model := make(map[string]string)
	d := mustOpen(t, "/db", smallOptions(mem))
	for i := range 3000 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("sst-%d-%s", i, strings.Repeat("v", 60))
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i += 7 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("l0-%d", i)
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	mustClose(t, d)

	o := smallOptions(mem)
	o.MemTableSize = 4 << 20
	d = mustOpen(t, "/db", o)
	for i := 0; i < 3000; i += 2 {
		k, v := fmt.Sprintf("key%05d", i), fmt.Sprintf("wal-%d-%s", i, strings.Repeat("w", 200))
		mustSet(t, d, k, v, Sync)
		model[k] = v
	}
	for i := 1; i < 3000; i += 11 {
		k := fmt.Sprintf("key%05d", i)
		if err := d.Delete([]byte(k), Sync); err != nil {
			t.Fatal(err)
		}
		delete(model, k)
	}
	if err := d.DeleteRange([]byte("key01000"), []byte("key01100"), Sync); err != nil {
		t.Fatal(err)
	}
	for k := range model {
		if k >= "key01000" && k < "key01100" {
			delete(model, k)
		}
	}
	if m := d.Metrics(); m.MemTables.Bytes < 3*MinMemTableSize {
		t.Fatalf("the WAL holds %d bytes of memtable: want several 64 KiB memtables' worth", m.MemTables.Bytes)
	}
	image := mem.CrashClone(vfs.CrashOptions{})
	mustClose(t, d)
	return image, model
}

func readOnlyOptions(fsys vfs.FS) *Options {
	o := smallOptions(fsys)
	o.ReadOnly = true
	return o
}

// TestReadOnlyRecoversInMemory opens a crashed database read-only on a
// file system that refuses every change. The WAL holds several
// memtables' worth: all of it is read, into frozen memtables, and every
// acknowledged write is there, as a read-write open finds it. No byte of
// the directory changes across the open, reads of every kind, refused
// writes and Close.
func TestReadOnlyRecoversInMemory(t *testing.T) {
	image, model := crashedDB(t)
	before := fsTree(t, image, "/")

	d := mustOpen(t, "/db", readOnlyOptions(readOnlyFS{FS: image, t: t}))
	m := d.Metrics()
	if m.MemTables.Immutable < 3 || m.Flushes != 0 || m.Levels[0].Files+m.Levels[6].Files == 0 {
		t.Fatalf("want 3+ frozen memtables over existing SSTs, no flush: %d frozen, %d flushes, L0 %d, L6 %d",
			m.MemTables.Immutable, m.Flushes, m.Levels[0].Files, m.Levels[6].Files)
	}
	if got := dump(t, d); !maps.Equal(got, model) {
		t.Fatalf("read-only open: %d keys, want %d", len(got), len(model))
	}
	for _, k := range []string{"key00000", "key00001", "key01050", "key02997"} {
		want, ok := model[k]
		if got, err := d.Get([]byte(k)); ok && (err != nil || string(got) != want) || !ok && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%s) = %q, %v; want %q (present %v)", k, got, err, want, ok)
		}
	}
	snap := d.NewSnapshot()
	it, err := snap.NewIter(&IterOptions{LowerBound: []byte("key00990"), UpperBound: []byte("key01110")})
	if err != nil {
		t.Fatal(err)
	}
	var inRange int
	for k := range model {
		if k >= "key00990" && k < "key01110" {
			inRange++
		}
	}
	if got := scanAll(t, it); len(got) != inRange {
		t.Fatalf("snapshot scan: %d keys, want %d", len(got), inRange)
	}
	it.Close()
	snap.Close()
	// Many seeks would ask for a read-triggered compaction on a
	// read-write DB.
	for i := range 200 {
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		it.SeekGE(fmt.Appendf(nil, "key%05d", i*13))
		it.Close()
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LSM(); err != nil {
		t.Fatal(err)
	}
	checkWritesRefused(t, d)
	if got := dump(t, d); !maps.Equal(got, model) {
		t.Fatalf("after refused writes: %d keys, want %d", len(got), len(model))
	}
	if m := d.Metrics(); m.Compactions != 0 || m.ReadCompactions != 0 || m.WAL.Records != 0 {
		t.Fatalf("a read-only DB worked: %d compactions, %d read-triggered, %d WAL records",
			m.Compactions, m.ReadCompactions, m.WAL.Records)
	}
	mustClose(t, d)
	if after := fsTree(t, image, "/"); !maps.Equal(before, after) {
		t.Fatalf("the directory changed: %d entries before, %d after", len(before), len(after))
	}

	// A read-write open of the same image finds the same data.
	d = mustOpen(t, "/db", smallOptions(image))
	defer mustClose(t, d)
	if got := dump(t, d); !maps.Equal(got, model) {
		t.Fatalf("read-write open: %d keys, want %d", len(got), len(model))
	}
}

// checkWritesRefused calls every write method of a read-only d: each
// returns an error matching ErrReadOnly, and nothing becomes visible.
func checkWritesRefused(t *testing.T, d *DB) {
	t.Helper()
	seq := d.Metrics().VisibleSeqNum
	b := d.NewBatch()
	if err := b.Set([]byte("new"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"Set":         func() error { return d.Set([]byte("new"), []byte("x"), NoSync) },
		"Delete":      func() error { return d.Delete([]byte("key00000"), Sync) },
		"DeleteRange": func() error { return d.DeleteRange([]byte("a"), []byte("z"), Sync) },
		"Apply":       func() error { _, err := d.Apply(b, Sync); return err },
		"Flush":       d.Flush,
		"Compact":     func() error { return d.Compact(context.Background(), nil, nil) },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only DB: %v, want ErrReadOnly", name, err)
		}
	}
	if got := d.Metrics().VisibleSeqNum; got != seq {
		t.Fatalf("visible seqnum moved from %d to %d", seq, got)
	}
	mustNotFound(t, d, "new")
}

// TestReadOnlyLocks: read-only opens share a database; a read-write open
// excludes them and they exclude it, each refused with ErrLocked saying
// which kind holds it.
func TestReadOnlyLocks(t *testing.T) {
	mem := vfs.NewMem()
	d := mustOpen(t, "/db", smallOptions(mem))
	mustSet(t, d, "k", "v", Sync)
	_, err := Open("/db", readOnlyOptions(mem))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "open read-write") {
		t.Fatalf("read-only open beside a writer: %v", err)
	}
	mustClose(t, d)

	r1 := mustOpen(t, "/db", readOnlyOptions(mem))
	r2 := mustOpen(t, "/db", readOnlyOptions(mem))
	mustGet(t, r1, "k", "v")
	mustGet(t, r2, "k", "v")
	_, err = Open("/db", smallOptions(mem))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "open read-only") {
		t.Fatalf("writer beside read-only opens: %v", err)
	}
	mustClose(t, r1)
	_, err = Open("/db", smallOptions(mem))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("writer beside one read-only open: %v", err)
	}
	mustGet(t, r2, "k", "v")
	mustClose(t, r2)
	d = mustOpen(t, "/db", smallOptions(mem))
	mustGet(t, d, "k", "v")
	mustClose(t, d)
}

// notWritableDir reports the directory dir as writable by no one.
type notWritableDir struct {
	vfs.FS
	dir string
}

type dirInfo struct{ fs.FileInfo }

func (dirInfo) Mode() fs.FileMode { return fs.ModeDir | 0o555 }

func (n notWritableDir) Stat(name string) (fs.FileInfo, error) {
	info, err := n.FS.Stat(name)
	if err == nil && name == n.dir {
		info = dirInfo{info}
	}
	return info, err
}

// TestReadOnlyMissingLock: without a LOCK file, a read-only open fails
// unless the directory lets no one write (then no writer can start);
// either way it creates nothing. A missing directory is no database.
func TestReadOnlyMissingLock(t *testing.T) {
	mem := vfs.NewMem()
	d := mustOpen(t, "/db", smallOptions(mem))
	mustSet(t, d, "k", "v", Sync)
	mustClose(t, d)
	if err := mem.Remove("/db/LOCK"); err != nil {
		t.Fatal(err)
	}
	before := fsTree(t, mem, "/")
	_, err := Open("/db", readOnlyOptions(readOnlyFS{FS: mem, t: t}))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "LOCK") {
		t.Fatalf("read-only open without LOCK in a writable directory: %v", err)
	}
	d = mustOpen(t, "/db", readOnlyOptions(notWritableDir{FS: readOnlyFS{FS: mem, t: t}, dir: "/db"}))
	mustGet(t, d, "k", "v")
	mustClose(t, d)
	if after := fsTree(t, mem, "/"); !maps.Equal(before, after) {
		t.Fatalf("the directory changed")
	}

	_, err = Open("/nodb", readOnlyOptions(readOnlyFS{FS: mem, t: t}))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("read-only open of a missing directory: %v", err)
	}
	if err := mem.MkdirAll("/empty", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Open("/empty", readOnlyOptions(notWritableDir{FS: readOnlyFS{FS: mem, t: t}, dir: "/empty"}))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("read-only open of an empty directory: %v", err)
	}
}

// TestReadOnlyEmptyDatabase: a database whose WAL holds nothing opens
// read-only with a minimal active memtable, and reads and closes.
func TestReadOnlyEmptyDatabase(t *testing.T) {
	mem := vfs.NewMem()
	mustClose(t, mustOpen(t, "/db", smallOptions(mem)))
	d := mustOpen(t, "/db", readOnlyOptions(readOnlyFS{FS: mem, t: t}))
	mustNotFound(t, d, "k")
	if m := d.Metrics(); m.MemTables.Count != 1 || m.MemTables.Immutable != 0 {
		t.Fatalf("memtables %+v", m.MemTables)
	}
	if got := dump(t, d); len(got) != 0 {
		t.Fatalf("empty database holds %d keys", len(got))
	}
	checkWritesRefused(t, d)
	mustClose(t, d)
	if err := d.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.Set([]byte("k"), nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close: %v", err)
	}
}
