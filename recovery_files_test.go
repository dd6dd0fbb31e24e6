package tempest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
	"github.com/tempestdb/tempest/wal"
)

// loadManifest reads the manifest of the database in /db without writing.
func loadManifest(t testing.TB, fs vfs.FS) *manifest.Manifest {
	t.Helper()
	m, err := manifest.OpenReadOnly(fs, "/db/manifest", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// unknownRecorder collects the files Open reports unknown.
type unknownRecorder struct{ paths []string }

func (u *unknownRecorder) options(o *Options) *Options {
	o.EventListener = &EventListener{UnknownFile: func(f UnknownFileInfo) { u.paths = append(u.paths, f.Path) }}
	return o
}

// TestUnknownFilesLeftInPlace puts files the engine did not write among
// its own: names it does not use, an SST number below the orphan floor
// that the manifest never recorded, one past the file-number lease. Open
// leaves each in place, byte for byte, reports each, and later flushes
// never reuse their numbers.
func TestUnknownFilesLeftInPlace(t *testing.T) {
	fs := vfs.NewMem()
	want := buildRecoveryDB(t, fs)
	m := loadManifest(t, fs)
	below := belowFloor(t, m)
	placed := map[string]string{
		"/db/sst/foo.sst":                  "user file",
		"/db/sst/" + sstFileName(below):    "below the orphan floor",
		"/db/sst/" + sstFileName(999999):   "past the lease",
		"/db/sst/00012.sst":                "not the canonical spelling",
		"/db/sst/random":                   "random",
		"/db/wal/foo.log":                  "not a WAL name",
		"/db/manifest/README":              "not a manifest name",
		"/db/manifest/manifest-900000":     "named like a manifest file",
		"/db/notes.txt":                    "in the database directory",
		"/db/wal/" + wal.FileName(1) + "x": "suffixed",
	}
	for p, data := range placed {
		if err := fs.WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	var u unknownRecorder
	d := mustOpen(t, "/db", u.options(recoveryOptions(fs)))
	reported := len(placed) - 1 // the database directory itself is not checked
	if len(u.paths) != reported || d.Metrics().UnknownFiles != reported {
		t.Fatalf("reported %d unknown files (%v), metrics %d, want %d", len(u.paths), u.paths, d.Metrics().UnknownFiles, reported)
	}
	checkContents(t, d, want)
	// Enough flushes to hand out more file numbers than below+the lease step.
	for i := range 40 {
		mustSet(t, d, fmt.Sprintf("more%02d", i), "v", nil)
		want[fmt.Sprintf("more%02d", i)] = "v"
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", recoveryOptions(fs))
	checkContents(t, d, want)
	mustClose(t, d)
	for p, data := range placed {
		if got, err := fs.ReadFile(p); err != nil || string(got) != data {
			t.Fatalf("%s: %q, %v; the engine changed or removed a file it does not own", p, got, err)
		}
	}
}

// belowFloor returns an SST number below the orphan floor that the
// manifest records neither live nor obsolete.
func belowFloor(t testing.TB, m *manifest.Manifest) base.FileNum {
	t.Helper()
	used := make(map[base.FileNum]bool)
	for _, f := range m.Files() {
		used[f.FileNum] = true
	}
	for _, o := range m.Obsolete() {
		used[o.FileNum] = true
	}
	for n := base.FileNum(1); n < m.OrphanFloor(); n++ {
		if !used[n] {
			return n
		}
	}
	t.Fatalf("no free number below the orphan floor %s", m.OrphanFloor())
	return 0
}

// TestProvableOrphansDeleted leaves, in a crash image, the output of a
// flush and of a compaction whose manifest edits failed: never recorded,
// numbered at or above the orphan floor. Open deletes them, reports no
// unknown file, and loses nothing.
func TestProvableOrphansDeleted(t *testing.T) {
	for _, op := range []string{"flush", "compaction"} {
		t.Run(op, func(t *testing.T) {
			mem := vfs.NewMem()
			failManifest := errorfs.Toggle(errorfs.ByPath("/db/manifest/*", errorfs.ErrInjected, errorfs.OpWrite))
			o := recoveryOptions(errorfs.Wrap(mem, failManifest))
			o.L0CompactionThreshold = 100 // compactions only when asked
			o.FileNumLeaseStep = 1000     // the edit that fails is the output's
			sched := &manualScheduler{}
			o.Scheduler = sched
			d := mustOpen(t, "/db", o)
			want := make(map[string]string)
			for i := range 200 {
				k := fmt.Sprintf("k%04d", i)
				mustSet(t, d, k, strings.Repeat("v", 100), nil)
				want[k] = strings.Repeat("v", 100)
				if i%100 == 99 && (op == "compaction" || i < 100) {
					if err := d.freeze(); err != nil {
						t.Fatal(err)
					}
					sched.runAll()
				}
			}
			if op == "flush" {
				if err := d.freeze(); err != nil { // the rotation's edit succeeds
					t.Fatal(err)
				}
			}
			failManifest.Enable()
			if op == "compaction" {
				if err := d.Compact(context.Background(), nil, nil); !errors.Is(err, errorfs.ErrInjected) {
					t.Fatalf("compaction with the manifest failing: %v", err)
				}
			}
			sched.runAll()
			if err := d.Flush(); !errors.Is(err, errorfs.ErrInjected) {
				t.Fatalf("%s with the manifest failing: DB error %v", op, err)
			}
			img := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
			_ = d.Close()
			orphans := unrecordedTables(t, img)
			if len(orphans) == 0 {
				t.Fatalf("the failed %s left no unrecorded SST", op)
			}
			var u unknownRecorder
			d = mustOpen(t, "/db", u.options(recoveryOptions(img)))
			checkContents(t, d, want)
			mustClose(t, d)
			if len(u.paths) != 0 {
				t.Fatalf("orphans reported unknown: %v", u.paths)
			}
			for _, n := range orphans {
				if _, err := img.Stat("/db/sst/" + sstFileName(n)); err == nil {
					t.Fatalf("orphan %s survived Open", n)
				}
			}
		})
	}
}

// unrecordedTables lists the SSTs in fs that its manifest neither records
// live nor obsolete, checking that each is at or above the orphan floor.
func unrecordedTables(t testing.TB, fs vfs.FS) []base.FileNum {
	t.Helper()
	m := loadManifest(t, fs)
	known := make(map[base.FileNum]bool)
	for _, f := range m.Files() {
		known[f.FileNum] = true
	}
	for _, o := range m.Obsolete() {
		known[o.FileNum] = true
	}
	names, err := fs.List("/db/sst")
	if err != nil {
		t.Fatal(err)
	}
	var out []base.FileNum
	for _, name := range names {
		n, ok := parseSSTFileName(name)
		if ok && !known[n] {
			if n < m.OrphanFloor() {
				t.Fatalf("unrecorded SST %s below the orphan floor %s", n, m.OrphanFloor())
			}
			out = append(out, n)
		}
	}
	return out
}

// TestRolledBackFilesDetected puts back older copies of files and deletes
// WALs the manifest vouches for: Open refuses with ErrCorruption naming
// the file where the formats prove a loss, and otherwise leaves the old
// copy in place, reports it, and returns exactly the current contents.
func TestRolledBackFilesDetected(t *testing.T) {
	t.Run("manifest older than the WAL's seqnums", func(t *testing.T) {
		fs := vfs.NewMem()
		o := recoveryOptions(fs)
		o.SeqNumLeaseStep = 10
		d := mustOpen(t, "/db", o)
		old := memTree(t, fs, "/db/manifest")
		for i := range 50 {
			mustSet(t, d, fmt.Sprintf("k%02d", i), "v", nil)
		}
		mustClose(t, d)
		putBack(t, fs, "/db/manifest", old)
		_, err := Open("/db", recoveryOptions(fs))
		expectCorruption(t, err, "/db/wal/")
		if !strings.Contains(err.Error(), "sequence-number lease") {
			t.Fatalf("open: %v, want the seqnum lease named", err)
		}
	})
	t.Run("WAL past the file-number lease", func(t *testing.T) {
		fs := vfs.NewMem()
		want := buildRecoveryDB(t, fs)
		num := loadManifest(t, fs).NextFileNum() + 3
		w, err := wal.Create(fs, "/db/wal", num, wal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Without records, it is what a failed Open may leave: unknown.
		w.Abandon()
		var u unknownRecorder
		d := mustOpen(t, "/db", u.options(recoveryOptions(fs)))
		checkContents(t, d, want)
		mustClose(t, d)
		if p := "/db/wal/" + wal.FileName(num); !slices.Equal(u.paths, []string{p}) {
			t.Fatalf("reported %v, want %s", u.paths, p)
		}
		// With a record, the manifest is older than the WAL.
		num = loadManifest(t, fs).NextFileNum() + 3
		if w, err = wal.Create(fs, "/db/wal", num, wal.Options{}); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRecords(make([]byte, batchHeaderLen)); err != nil {
			t.Fatal(err)
		}
		w.Abandon()
		_, err = Open("/db", recoveryOptions(fs))
		expectCorruption(t, err, "/db/wal/"+wal.FileName(num))
	})
	for _, which := range []string{"closed", "live"} {
		t.Run("deleted "+which+" WAL of a crash", func(t *testing.T) {
			img, logs := crashWithTwoLogs(t)
			victim := logs[0]
			if which == "live" {
				victim = logs[1]
			}
			if err := img.Remove("/db/wal/" + wal.FileName(victim)); err != nil {
				t.Fatal(err)
			}
			_, err := Open("/db", recoveryOptions(img))
			expectCorruption(t, err, "/db/wal/"+wal.FileName(victim))
		})
	}
	t.Run("obsolete WAL and SST put back", func(t *testing.T) {
		fs := vfs.NewMem()
		o := recoveryOptions(fs)
		d := mustOpen(t, "/db", o)
		mustSet(t, d, "a", "old", nil)
		mustSet(t, d, "b", "old", nil)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		mustSet(t, d, "a", "new", nil)
		mustSet(t, d, "c", "new", nil)
		copies := memTree(t, fs, "/db/wal")
		for p, v := range memTree(t, fs, "/db/sst") {
			copies[p] = v
		}
		if err := d.Delete([]byte("b"), nil); err != nil {
			t.Fatal(err)
		}
		if err := faultCompact(d); err != nil {
			t.Fatal(err)
		}
		mustClose(t, d)
		d = mustOpen(t, "/db", o) // records the deletions
		want := dump(t, d)
		mustClose(t, d)
		var putBackPaths []string
		for p, v := range copies {
			if _, err := fs.Stat(p); err != nil {
				if err := fs.WriteFile(p, []byte(v)); err != nil {
					t.Fatal(err)
				}
				putBackPaths = append(putBackPaths, p)
			}
		}
		if len(putBackPaths) < 2 {
			t.Fatalf("put back %v, want an old WAL and an old SST", putBackPaths)
		}
		var u unknownRecorder
		d = mustOpen(t, "/db", u.options(recoveryOptions(fs)))
		checkContents(t, d, want)
		mustClose(t, d)
		slices.Sort(putBackPaths)
		slices.Sort(u.paths)
		if !slices.Equal(u.paths, putBackPaths) {
			t.Fatalf("reported %v, want the copies put back %v", u.paths, putBackPaths)
		}
	})
	t.Run("record cut from the middle of the live WAL of a crash", func(t *testing.T) {
		img, p := crashWithOneLog(t, 20)
		data, err := img.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Records are read from offset 16: skip nine, cut the tenth. No
		// record is synced, so the file alone shows nothing.
		off := wal.HeaderSize
		for range 9 {
			off += wal.RecordHeaderSize + int(binary.LittleEndian.Uint32(data[off+8:]))
		}
		next := off + wal.RecordHeaderSize + int(binary.LittleEndian.Uint32(data[off+8:]))
		if err := img.WriteFile(p, append(data[:off:off], data[next:]...)); err != nil {
			t.Fatal(err)
		}
		_, err = Open("/db", recoveryOptions(img))
		expectCorruption(t, err, p)
		if !strings.Contains(err.Error(), "does not follow") {
			t.Fatalf("open: %v, want the seqnum gap named", err)
		}
	})
	t.Run("WAL named by a recorded WAL cut to nothing", func(t *testing.T) {
		img, logs := crashWithTwoLogs(t)
		p := "/db/wal/" + wal.FileName(logs[1])
		if err := img.WriteFile(p, nil); err != nil {
			t.Fatal(err)
		}
		_, err := Open("/db", recoveryOptions(img))
		expectCorruption(t, err, p)
	})
	t.Run("oldest unflushed WAL cut inside its header", func(t *testing.T) {
		img, p := crashWithOneLog(t, 20)
		data, err := img.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := img.WriteFile(p, data[:10]); err != nil {
			t.Fatal(err)
		}
		_, err = Open("/db", recoveryOptions(img))
		expectCorruption(t, err, p)
	})
	t.Run("live WAL of a crash zeroed", func(t *testing.T) {
		img, logs := crashWithTwoLogs(t)
		p := "/db/wal/" + wal.FileName(logs[1])
		data, err := img.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		clear(data)
		if err := img.WriteFile(p, data); err != nil {
			t.Fatal(err)
		}
		_, err = Open("/db", recoveryOptions(img))
		expectCorruption(t, err, p)
	})
}

// crashWithOneLog returns the image of a process crash after n NoSync
// commits into the only WAL, and the WAL's path.
func crashWithOneLog(t *testing.T, n int) (*vfs.MemFS, string) {
	t.Helper()
	mem := vfs.NewMem()
	d := mustOpen(t, "/db", recoveryOptions(mem))
	for i := range n {
		mustSet(t, d, fmt.Sprintf("k%02d", i), "v", NoSync)
	}
	img := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	mustClose(t, d)
	names, err := img.List("/db/wal")
	if err != nil || len(names) != 1 {
		t.Fatalf("WALs %v %v", names, err)
	}
	return img, "/db/wal/" + names[0]
}

// putBack replaces the files of dir by the copies in old.
func putBack(t testing.TB, fs *vfs.MemFS, dir string, old map[string]string) {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := fs.Remove(dir + "/" + n); err != nil {
			t.Fatal(err)
		}
	}
	for p, v := range old {
		if err := fs.WriteFile(p, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
}

// crashWithTwoLogs returns the image of a process crash that left two
// WALs to replay: one closed by a rotation (recorded in the manifest) and
// the live one, both holding synced records, and their numbers.
func crashWithTwoLogs(t *testing.T) (*vfs.MemFS, []base.FileNum) {
	t.Helper()
	mem := vfs.NewMem()
	o := recoveryOptions(mem)
	o.MemTableSize = MinMemTableSize
	sched := &manualScheduler{}
	o.Scheduler = sched // the frozen memtable is never flushed
	d := mustOpen(t, "/db", o)
	for i := 0; d.Metrics().MemTables.Immutable == 0 || i < 10; i++ {
		mustSet(t, d, fmt.Sprintf("k%04d", i), strings.Repeat("v", 500), nil)
		if i > 10000 {
			t.Fatal("no rotation")
		}
	}
	img := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	sched.runAll()
	mustClose(t, d)
	names, err := img.List("/db/wal")
	if err != nil {
		t.Fatal(err)
	}
	var logs []base.FileNum
	for _, n := range names {
		if num, ok := wal.ParseFileName(n); ok {
			logs = append(logs, num)
		}
	}
	if len(logs) != 2 {
		t.Fatalf("WALs %v, want two", logs)
	}
	if _, ok := loadManifest(t, img).ClosedLog(logs[0]); !ok {
		t.Fatalf("WAL %s, closed by the rotation, is not recorded", logs[0])
	}
	return img, logs
}
