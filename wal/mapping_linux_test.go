//go:build linux

package wal

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

var mmapMode = mode{name: "mmap-small", os: true, fd: true, small: true}

// hookFallocate replaces fallocate with one returning err for the rest of
// the test.
func hookFallocate(t *testing.T, err error) {
	old := fallocate
	t.Cleanup(func() { fallocate = old })
	fallocate = func(int, uint32, int64, int64) error { return err }
}

// TestMappedNoSpace makes fallocate fail with ENOSPC when a group needs
// more space: WriteRecords returns the error, writes nothing, and the
// writer is broken. The records written before are all recovered.
func TestMappedNoSpace(t *testing.T) {
	fs, dir := mmapMode.setup(t)
	w := createIn(t, mmapMode, fs, dir, 1)
	defer w.Abandon()
	if err := w.WriteRecords([]byte("before")); err != nil {
		t.Fatal(err)
	}
	size := w.Size()
	hookFallocate(t, unix.ENOSPC)
	// Bigger than any extension, so it needs one.
	werr := w.WriteRecords(make([]byte, 2*preallocMax))
	if !errors.Is(werr, unix.ENOSPC) {
		t.Fatalf("WriteRecords: %v, want ENOSPC", werr)
	}
	if w.Size() != size {
		t.Fatalf("size advanced from %d to %d after a failed write", size, w.Size())
	}
	if err := w.WriteRecords([]byte("after")); err != werr {
		t.Fatalf("WriteRecords after ENOSPC: %v, want %v", err, werr)
	}
	if err := w.Sync(); err != werr {
		t.Fatalf("Sync after ENOSPC: %v, want %v", err, werr)
	}
	w.Abandon()
	r := replayDir(fs, dir, 1)
	if r.err != nil || len(r.payloads) != 1 || string(r.payloads[0]) != "before" || r.res.CleanClose {
		t.Fatalf("replayed %q, result %+v, err %v", r.payloads, r.res, r.err)
	}
}

// TestMappedCreateFallocate checks Create's first preallocation: ENOSPC
// fails Create and leaves nothing behind; EOPNOTSUPP selects the write
// path, which then works as usual.
func TestMappedCreateFallocate(t *testing.T) {
	t.Run("ENOSPC", func(t *testing.T) {
		fs, dir := mmapMode.setup(t)
		hookFallocate(t, unix.ENOSPC)
		if _, err := Create(fs, dir, 1); !errors.Is(err, unix.ENOSPC) {
			t.Fatalf("Create: %v, want ENOSPC", err)
		}
		if names, err := fs.List(dir); err != nil || len(names) != 0 {
			t.Fatalf("failed Create left %q (%v)", names, err)
		}
	})
	t.Run("EOPNOTSUPP", func(t *testing.T) {
		fs, dir := mmapMode.setup(t)
		hookFallocate(t, unix.EOPNOTSUPP)
		w, err := Create(fs, dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abandon()
		if w.mapped() {
			t.Fatal("writer mapped a file that cannot be preallocated")
		}
		writes := fs.writes.Load()
		if err := w.WriteRecords([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if fs.writes.Load() != writes+1 {
			t.Fatal("the fallback writer did not use Write")
		}
		if err := w.Close(0); err != nil {
			t.Fatal(err)
		}
		r := replayDir(fs, dir, 1)
		if r.err != nil || len(r.payloads) != 1 || !r.res.CleanClose || r.res.ValidSize != r.res.FileSize {
			t.Fatalf("replayed %d records, result %+v, err %v", len(r.payloads), r.res, r.err)
		}
	})
}

// TestMappedClose checks that Close leaves a file that ends with its end
// record, and that the truncation is durable before the end record is
// written: when the fsync after the truncation fails, the file holds
// exactly the records, with no end record and no zeros.
func TestMappedClose(t *testing.T) {
	for _, failFirstSync := range []bool{false, true} {
		fs, dir := mmapMode.setup(t)
		w := createIn(t, mmapMode, fs, dir, 3)
		payloads := [][]byte{[]byte("a"), make([]byte, 3*preallocMax)}
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
}

// TestMappedLiveTail reads a mapped log while its writer is open, as
// recovery would after a crash of the process: every record written is
// there, followed by preallocated zeros. Abandon then cuts the zeros.
func TestMappedLiveTail(t *testing.T) {
	rng := newRand(t)
	fs, dir := mmapMode.setup(t)
	w := createIn(t, mmapMode, fs, dir, 1)
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
}

// TestMappedFault truncates a mapped log behind the writer's back: the
// next copy faults (SIGBUS), which must become a sticky error, not a
// crash.
func TestMappedFault(t *testing.T) {
	fs, dir := mmapMode.setup(t)
	w := createIn(t, mmapMode, fs, dir, 1)
	defer w.Abandon()
	if err := w.WriteRecords([]byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fs.PathJoin(dir, FileName(1)), 0); err != nil {
		t.Fatal(err)
	}
	werr := w.WriteRecords([]byte("after"))
	if !errors.Is(werr, errMappedFault) {
		t.Fatalf("WriteRecords into a truncated mapping: %v", werr)
	}
	if err := w.Sync(); err != werr {
		t.Fatalf("Sync after a fault: %v, want %v", err, werr)
	}
}

// TestErrorfsHidesFd checks that an errorfs-wrapped OS file takes the
// write path, so that its injected faults are not bypassed.
func TestErrorfsHidesFd(t *testing.T) {
	fs := errorfs.Wrap(vfs.Default, errorfs.Always(nil, nil))
	w, err := Create(fs, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abandon()
	if w.mapped() {
		t.Fatal("the writer mapped an errorfs file")
	}
	// The same FS unwrapped does map.
	w2, err := Create(vfs.Default, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Abandon()
	if !w2.mapped() {
		t.Fatal("the writer did not map an OS file")
	}
}

// mappingRSS returns the resident bytes of the mapping that contains addr,
// from /proc/self/smaps.
func mappingRSS(t *testing.T, addr uintptr) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") && !strings.HasPrefix(line, "Rss") {
			in = addr >= lo && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, "Rss:"), "%d", &kb); err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return 0
}

// TestMappedDropsWrittenPages writes 16 MiB through the mapping: the
// pages behind the writer leave the resident set (at most dropBehind plus
// the prefaulted pages stay), and every record is still replayed.
func TestMappedDropsWrittenPages(t *testing.T) {
	mode := mode{name: "mmap", os: true, fd: true}
	fs, dir := mode.setup(t)
	w := createIn(t, mode, fs, dir, 1)
	rng := newRand(t)
	var written [][]byte
	var total int64
	for total < 16<<20 {
		p := randPayload(rng, 4000)
		written = append(written, p)
		total += int64(len(p))
		if err := w.WriteRecords(p); err != nil {
			t.Fatal(err)
		}
	}
	rss := mappingRSS(t, uintptr(unsafe.Pointer(&w.m.region[0])))
	if limit := 2*dropBehind + 2*populateAhead + 64<<10; rss > limit {
		t.Fatalf("after writing %d bytes the mapping keeps %d bytes resident, want at most %d", total, rss, limit)
	}
	t.Logf("wrote %d bytes; %d resident", total, rss)
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	r := replayDir(fs, dir, 1)
	if r.err != nil || len(r.payloads) != len(written) {
		t.Fatalf("replayed %d of %d records, err %v", len(r.payloads), len(written), r.err)
	}
	checkPrefix(t, r.payloads, written)
}
