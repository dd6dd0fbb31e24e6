package wal

import (
	"errors"
	"syscall"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// mappedCase is an operation of the mapped path that TestMappedInjected
// fails, and the Writer call that meets the failure.
type mappedCase struct {
	name string
	kind errorfs.OpKind
	err  error // injected
	want error // what the Writer's error must match besides err
	call func(w *Writer) error
}

var mappedCases = []mappedCase{
	{"allocate-ENOSPC", errorfs.OpAllocate, errorfs.ErrNoSpace, syscall.ENOSPC, writeNeedingSpace},
	{"allocate-EIO", errorfs.OpAllocate, errorfs.ErrInjected, syscall.EIO, writeNeedingSpace},
	{"store", errorfs.OpWrite, errorfs.ErrInjected, vfs.ErrMappingFault,
		func(w *Writer) error { return w.WriteRecords([]byte("lost")) }},
	{"sync", errorfs.OpSync, errorfs.ErrInjected, syscall.EIO, (*Writer).Sync},
	{"truncate", errorfs.OpTruncate, errorfs.ErrInjected, syscall.EIO,
		func(w *Writer) error { return w.Close(2) }},
}

// writeNeedingSpace writes a record one byte longer than the allocated
// space left, so the group needs an allocation.
func writeNeedingSpace(w *Writer) error {
	return w.WriteRecords(make([]byte, w.allocated-w.Size()-RecordHeaderSize+1))
}

// TestMappedInjected fails each operation of the mapped path with errorfs
// (with partial stores): allocation (ENOSPC, EIO), store, sync, and the
// truncation of Close. The Writer must return the injected error, advance
// neither its size nor its synced size, and stay broken: every later call
// returns the same error, and no operation but Abandon's best-effort
// truncation reaches the file after the failure (a failed fsync is never
// retried). The records written before are all replayed, and the log has
// no end record.
func TestMappedInjected(t *testing.T) {
	seed := newRand(t).Uint64()
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		for _, c := range mappedCases {
			t.Run(c.name, func(t *testing.T) { testMappedInjected(t, m, c, seed) })
		}
	})
}

func testMappedInjected(t *testing.T, m mode, c mappedCase, seed uint64) {
	inner, dir := m.base(t)
	toggle := errorfs.Toggle(errorfs.Always(c.err, func(op errorfs.Op) bool { return op.Mapped && op.Kind == c.kind }))
	fired := false
	var after []errorfs.Op // write-class operations after the failure
	fs := errorfs.Wrap(inner, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fired && op.Kind.IsWrite() {
			after = append(after, op)
		}
		err := toggle.MaybeError(op)
		fired = fired || err != nil
		return err
	}), errorfs.WithPartialWrites(seed))
	w := createIn(t, m, fs, dir, 1)
	defer w.Abandon()
	written := [][]byte{[]byte("before"), []byte("unsynced")}
	if err := w.WriteRecords(written[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecords(written[1]); err != nil {
		t.Fatal(err)
	}
	size, synced := w.Size(), w.SyncedSize()
	toggle.Enable()
	werr := c.call(w)
	var ie *errorfs.InjectedError
	if !errors.Is(werr, c.err) || !errors.Is(werr, c.want) || !errors.As(werr, &ie) || ie.Op.Kind != c.kind {
		t.Fatalf("got %v, want the injected %v matching %v", werr, c.err, c.want)
	}
	toggle.Disable()
	if w.Size() != size || w.SyncedSize() != synced {
		t.Fatalf("size %d, synced %d after the failure; were %d, %d", w.Size(), w.SyncedSize(), size, synced)
	}
	for name, err := range map[string]error{
		"WriteRecords": w.WriteRecords([]byte("x")),
		"Sync":         w.Sync(),
		"Close":        w.Close(0),
	} {
		// A Close after the failed Close reports the writer closed.
		if err != werr && !(name == "Close" && c.kind == errorfs.OpTruncate && errors.Is(err, base.ErrClosed)) {
			t.Errorf("%s after the failure: %v, want %v", name, err, werr)
		}
	}
	w.Abandon()
	for _, op := range after {
		if op.Kind != errorfs.OpTruncate {
			t.Errorf("after the failure the writer made %s", op)
		}
	}
	r := replayDir(inner, dir, 1)
	if r.err != nil || len(r.payloads) != len(written) || r.res.CleanClose {
		t.Fatalf("replayed %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
	}
	checkPrefix(t, r.payloads, written)
}

// TestMappedCreateAllocate checks Create's first allocation: ENOSPC fails
// Create and leaves nothing behind; ErrUnsupported (a file system that
// cannot preallocate) selects the write path, which then works as usual.
func TestMappedCreateAllocate(t *testing.T) {
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		isAllocate := func(op errorfs.Op) bool { return op.Kind == errorfs.OpAllocate }
		t.Run("ENOSPC", func(t *testing.T) {
			inner, dir := m.base(t)
			fs := errorfs.Wrap(inner, errorfs.Always(errorfs.ErrNoSpace, isAllocate))
			if _, err := Create(fs, dir, 1, m.options()); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Create: %v, want ENOSPC", err)
			}
			if names, err := fs.List(dir); err != nil || len(names) != 0 {
				t.Fatalf("failed Create left %q (%v)", names, err)
			}
		})
		t.Run("unsupported", func(t *testing.T) {
			inner, dir := m.base(t)
			fs := &faultFS{FS: errorfs.Wrap(inner, errorfs.Always(errors.ErrUnsupported, isAllocate)), keepMap: true}
			w, err := Create(fs, dir, 1, m.options())
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abandon()
			if w.mapped() {
				t.Fatal("writer mapped a file that cannot be preallocated")
			}
			if err := w.WriteRecords([]byte("x")); err != nil {
				t.Fatal(err)
			}
			if fs.writes.Load() != 2 || fs.stores.Load() != 0 {
				t.Fatalf("%d Writes and %d Stores for the header and a group, want 2 and 0", fs.writes.Load(), fs.stores.Load())
			}
			if err := w.Close(0); err != nil {
				t.Fatal(err)
			}
			r := replayDir(inner, dir, 1)
			if r.err != nil || len(r.payloads) != 1 || !r.res.CleanClose || r.res.ValidSize != r.res.FileSize {
				t.Fatalf("replayed %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
			}
		})
	})
}

// TestMappedClose checks that Close leaves a file that ends with its end
// record, and that the truncation is durable before the end record is
// written: when the fsync after the truncation fails, the file holds
// exactly the records, with no end record and no zeros.
func TestMappedClose(t *testing.T) {
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		for _, failFirstSync := range []bool{false, true} {
			fs, dir := m.setup(t)
			w := createIn(t, m, fs, dir, 3)
			// The second record needs several extensions.
			payloads := [][]byte{[]byte("a"), make([]byte, 3*m.options().Preallocate+100)}
			if err := w.WriteRecords(payloads...); err != nil {
				t.Fatal(err)
			}
			size := w.Size()
			syncs := fs.syncs.Load()
			if failFirstSync {
				fs.failSyncAt.Store(syncs + 1)
			}
			err := w.Close(4)
			path := fs.PathJoin(dir, FileName(3))
			r := replayDir(fs, dir, 3)
			if r.err != nil || len(r.payloads) != len(payloads) {
				t.Fatalf("replayed %d records, err %v", len(r.payloads), r.err)
			}
			if failFirstSync {
				if !errors.Is(err, errInjected) {
					t.Fatalf("Close: %v, want the injected error", err)
				}
				if got := statSize(t, fs, path); got != size || r.res.CleanClose || r.res.TornTail {
					t.Fatalf("after a failed Close: %d-byte file (%d written), result %+v", got, size, r.res)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fs.syncs.Load() - syncs; got != 2 {
				t.Fatalf("Close made %d syncs, want 2", got)
			}
			if !r.res.CleanClose || r.res.Next != 4 || r.res.TornTail || r.res.FileSize != statSize(t, fs, path) ||
				r.res.ValidSize != r.res.FileSize {
				t.Fatalf("closed log: result %+v", r.res)
			}
		}
	})
}

// TestMappedLiveTail reads a mapped log while its writer is open, as
// recovery would after a crash of the process: every record written is
// there, followed by preallocated zeros. Abandon then cuts the zeros.
func TestMappedLiveTail(t *testing.T) {
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		rng := newRand(t)
		fs, dir := m.setup(t)
		w := createIn(t, m, fs, dir, 1)
		var written [][]byte
		for range 200 {
			p := randPayload(rng, 3000)
			written = append(written, p)
			if err := w.WriteRecords(p); err != nil {
				t.Fatal(err)
			}
		}
		for _, abandon := range []bool{false, true} {
			if abandon {
				w.Abandon()
			}
			r := replayDir(fs, dir, 1)
			if r.err != nil || len(r.payloads) != len(written) {
				t.Fatalf("abandoned=%t: replayed %d of %d records, err %v", abandon, len(r.payloads), len(written), r.err)
			}
			checkPrefix(t, r.payloads, written)
			// Zeros follow the records unless the last one happens to end
			// exactly where the preallocation does.
			wantTorn := !abandon && r.res.FileSize > w.Size()
			if !abandon && r.res.FileSize < w.Size() {
				t.Fatalf("live file of %d bytes, shorter than the writer's %d", r.res.FileSize, w.Size())
			}
			if r.res.ValidSize != w.Size() || r.res.TornTail != wantTorn || r.res.CleanClose {
				t.Fatalf("abandoned=%t: result %+v, writer size %d", abandon, r.res, w.Size())
			}
		}
	})
}

// TestMappedStoreFault truncates a mapped log behind the writer's back,
// through another handle's mapping: the next store faults (on linux a
// SIGBUS, which Mapping.Store recovers from), which must become a sticky
// error, not a crash.
func TestMappedStoreFault(t *testing.T) {
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		fs, dir := m.setup(t)
		w := createIn(t, m, fs, dir, 1)
		defer w.Abandon()
		if err := w.WriteRecords([]byte("before")); err != nil {
			t.Fatal(err)
		}
		other, err := fs.FS.OpenForAppend(fs.PathJoin(dir, FileName(1)))
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		om, err := other.(vfs.MappableFile).Map()
		if err != nil {
			t.Fatal(err)
		}
		if err := om.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if err := om.Unmap(); err != nil {
			t.Fatal(err)
		}
		werr := w.WriteRecords([]byte("after"))
		if !errors.Is(werr, vfs.ErrMappingFault) {
			t.Fatalf("WriteRecords into a truncated mapping: %v", werr)
		}
		if err := w.Sync(); err != werr {
			t.Fatalf("Sync after a fault: %v, want %v", err, werr)
		}
	})
}

// TestWritePathWithoutMapping checks that a Writer maps a file exactly
// when the file offers it: errorfs forwards the capability of the file it
// wraps, a wrapper that hides it and a MemFS that is not mappable get the
// write path.
func TestWritePathWithoutMapping(t *testing.T) {
	for _, c := range []struct {
		name   string
		fs     func(t *testing.T) (vfs.FS, string)
		mapped bool
	}{
		{"mem", func(t *testing.T) (vfs.FS, string) { return newMemFS(t), testDir }, false},
		{"errorfs-mappable-mem", func(t *testing.T) (vfs.FS, string) {
			mem := newMemFS(t)
			mem.SetMappable(true)
			return errorfs.Wrap(mem, nil), testDir
		}, true},
		{"hidden", func(t *testing.T) (vfs.FS, string) {
			mem := newMemFS(t)
			mem.SetMappable(true)
			return &faultFS{FS: mem}, testDir
		}, false},
		{"os", func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }, mmapSupported},
		{"errorfs-os", func(t *testing.T) (vfs.FS, string) { return errorfs.Wrap(vfs.Default, nil), t.TempDir() }, mmapSupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs, dir := c.fs(t)
			w, err := Create(fs, dir, 1, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abandon()
			if w.mapped() != c.mapped {
				t.Fatalf("writer mapped=%t, want %t", w.mapped(), c.mapped)
			}
		})
	}
}
