package tempest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
	"github.com/tempestdb/tempest/wal"
)

// editLog is a journal state that keeps every edit replayed, to inspect a
// manifest edit by edit.
type editLog struct{ edits *[]*manifest.Edit }

func (l editLog) Check(*manifest.Edit) error { return nil }
func (l editLog) Apply(e *manifest.Edit) error {
	*l.edits = append(*l.edits, e)
	return nil
}
func (l editLog) Snapshot() *manifest.Edit { return &manifest.Edit{} }

// manifestEdits returns the edits of the manifest of /db.
func manifestEdits(t testing.TB, fs vfs.FS) []*manifest.Edit {
	t.Helper()
	var edits []*manifest.Edit
	j, err := journal.OpenReadOnly(fs, "/db/manifest", manifest.FilePrefix,
		func() editLog { return editLog{&edits} }, manifest.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	return edits
}

// tableFormats returns the format version of every live SST of /db.
func tableFormats(t testing.TB, fs vfs.FS) map[base.FileNum]uint32 {
	t.Helper()
	out := make(map[base.FileNum]uint32)
	for _, f := range loadManifest(t, fs).Files() {
		path := "/db/sst/" + sstFileName(f.FileNum)
		file, err := fs.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := sstable.Open(file, int64(f.Size), sstable.ReaderOptions{Comparer: base.DefaultComparer, FileName: path})
		if err != nil {
			t.Fatal(err)
		}
		out[f.FileNum] = r.Properties().FormatVersion
		r.Close()
	}
	return out
}

// checkVersion1 fails unless the manifest of /db holds nothing version 1
// does not allow (tags 8 to 12) and every live SST is of format 3.
func checkVersion1(t testing.TB, fs vfs.FS) {
	t.Helper()
	for _, e := range manifestEdits(t, fs) {
		if len(e.ClosedLogs)+len(e.Obsolete)+len(e.Deleted) > 0 || e.OrphanFloor != 0 || e.FormatVersion != 0 {
			t.Fatalf("version 1 manifest holds edit %s", e)
		}
		for _, f := range e.Added {
			if f.Checksum != 0 {
				t.Fatalf("version 1 manifest records checksum %#x for %s", f.Checksum, f.FileNum)
			}
		}
	}
	formats := tableFormats(t, fs)
	if len(formats) == 0 {
		t.Fatal("no SST to check")
	}
	for n, v := range formats {
		if v != 3 {
			t.Fatalf("version 1 database holds %s of SST format %d", n, v)
		}
	}
}

// writeRound writes keys of round r, flushes and compacts.
func writeRound(t *testing.T, d *DB, want map[string]string, r int) {
	t.Helper()
	for i := range 300 {
		k, v := fmt.Sprintf("k%04d", (i*7+r*13)%500), fmt.Sprintf("v%d-%d-%s", r, i, strings.Repeat("x", 50))
		mustSet(t, d, k, v, nil)
		want[k] = v
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		k, v := fmt.Sprintf("k%04d", i*3), fmt.Sprintf("w%d", r)
		mustSet(t, d, k, v, nil)
		want[k] = v
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := d.Compact(t.Context(), nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		k := fmt.Sprintf("wal%d-%d", r, i) // left in the WAL
		mustSet(t, d, k, "w", nil)
		want[k] = "w"
	}
}

// plantStaleWAL puts a WAL numbered below MinUnflushedLog, never recorded,
// into /db/wal: a copy put back.
func plantStaleWAL(t *testing.T, fs vfs.FS) string {
	t.Helper()
	m := loadManifest(t, fs)
	for n := m.MinUnflushedLog() - 1; n > 0; n-- {
		path := "/db/wal/" + wal.FileName(n)
		if _, err := fs.Stat(path); err == nil {
			continue
		}
		f, err := fs.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	t.Fatal("no free WAL number below MinUnflushedLog")
	return ""
}

// TestFormatVersionRatchet: a database created at version 1 writes only
// what version 1 allows through flushes, compactions and reopens, and is
// judged by the older rules (a stale WAL below MinUnflushedLog is
// deleted); RatchetFormatVersion(2) moves it to version 2: its data is
// intact, new SSTs are of format 4, the manifest keeps the recovery
// records, and the rules of version 2 apply (the same stale WAL is now an
// unknown file, left in place).
func TestFormatVersionRatchet(t *testing.T) {
	fs := vfs.NewMem()
	opts := func(v uint32) *Options {
		o := recoveryOptions(fs)
		o.FormatVersion = v
		return o
	}
	want := make(map[string]string)
	for round := range 3 {
		// Options.FormatVersion matters only for a new database.
		d := mustOpen(t, "/db", opts(uint32(1+min(round, 1))))
		if v := d.FormatVersion(); v != FormatVersion1 {
			t.Fatalf("round %d: version %d, want 1", round, v)
		}
		checkContents(t, d, want)
		writeRound(t, d, want, round)
		mustClose(t, d)
		checkVersion1(t, fs)
	}

	stale := plantStaleWAL(t, fs)
	var u unknownRecorder
	d := mustOpen(t, "/db", u.options(opts(0)))
	if _, err := fs.Stat(stale); err == nil || len(u.paths) != 0 {
		t.Fatalf("version 1: stale WAL %s not deleted (unknown: %v)", stale, u.paths)
	}
	checkContents(t, d, want)
	if err := d.RatchetFormatVersion(FormatNewest + 1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("ratchet to an unknown version: %v", err)
	}
	if err := d.RatchetFormatVersion(FormatVersion2); err != nil {
		t.Fatal(err)
	}
	if err := d.RatchetFormatVersion(FormatVersion1); err != nil || d.FormatVersion() != FormatVersion2 {
		t.Fatalf("ratchet down: %v, version %d; want a no-op", err, d.FormatVersion())
	}
	old := tableFormats(t, fs)
	writeRound(t, d, want, 3)
	mustClose(t, d)

	m := loadManifest(t, fs)
	if m.FormatVersion() != FormatVersion2 || m.OrphanFloor() == 0 || len(m.ClosedLogs()) == 0 {
		t.Fatalf("after the ratchet: version %d, floor %s, closed logs %v", m.FormatVersion(), m.OrphanFloor(), m.ClosedLogs())
	}
	var obsolete, deleted int
	for _, e := range manifestEdits(t, fs) {
		obsolete, deleted = obsolete+len(e.Obsolete), deleted+len(e.Deleted)
	}
	if obsolete == 0 || deleted == 0 {
		t.Fatalf("after the ratchet: %d obsolete and %d deleted records, want some", obsolete, deleted)
	}
	for n, v := range tableFormats(t, fs) {
		if _, before := old[n]; !before && v != sstable.FormatVersion {
			t.Fatalf("SST %s written after the ratchet is of format %d", n, v)
		}
	}

	stale = plantStaleWAL(t, fs)
	u.paths = nil
	d = mustOpen(t, "/db", u.options(opts(1)))
	if _, err := fs.Stat(stale); err != nil || !slices.Contains(u.paths, stale) {
		t.Fatalf("version 2: stale WAL %s: %v, unknown %v; want left in place and reported", stale, err, u.paths)
	}
	if v := d.FormatVersion(); v != FormatVersion2 {
		t.Fatalf("reopened at version %d", v)
	}
	checkContents(t, d, want)
	mustClose(t, d)

	ro := opts(0)
	ro.ReadOnly = true
	d = mustOpen(t, "/db", ro)
	if err := d.RatchetFormatVersion(FormatVersion2); !errors.Is(err, ErrReadOnly) || d.FormatVersion() != FormatVersion2 {
		t.Fatalf("read-only: ratchet %v, version %d", err, d.FormatVersion())
	}
	mustClose(t, d)
}

// TestFormatVersionOptions: a new database gets the newest version by
// default (newDBDefaultFormat, unless TEMPEST_FORMAT_VERSION lowers it);
// a version the binary does not know is refused.
func TestFormatVersionOptions(t *testing.T) {
	fs := vfs.NewMem()
	o := recoveryOptions(fs)
	o.FormatVersion = FormatNewest + 1
	if _, err := Open("/db", o); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("open with FormatVersion %d: %v", o.FormatVersion, err)
	}
	d := mustOpen(t, "/db", recoveryOptions(fs))
	if v := d.FormatVersion(); v != newDBDefaultFormat {
		t.Fatalf("new database at version %d, want %d", v, newDBDefaultFormat)
	}
	mustClose(t, d)
	if edits := manifestEdits(t, fs); edits[0].FormatVersion != newDBDefaultFormat {
		t.Fatalf("first edit %s does not record the version", edits[0])
	}
}

// anyEdit is a journal state that accepts every edit.
type anyEdit struct{}

func (anyEdit) Check(*manifest.Edit) error { return nil }
func (anyEdit) Apply(*manifest.Edit) error { return nil }
func (anyEdit) Snapshot() *manifest.Edit   { return &manifest.Edit{} }

// TestFormatVersionTooNewRefused: a database whose manifest records a
// version newer than this binary's is refused, read-write and read-only,
// with ErrFormatVersion naming both versions, and left unchanged.
func TestFormatVersionTooNewRefused(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", recoveryOptions(fs))
	mustSet(t, d, "a", "1", nil)
	mustClose(t, d)
	j, err := journal.Open(fs, "/db/manifest", manifest.FilePrefix, func() anyEdit { return anyEdit{} }, manifest.Codec{}, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(&manifest.Edit{FormatVersion: FormatNewest + 5}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	before := memTree(t, fs, "/db")
	for _, readOnly := range []bool{false, true} {
		o := recoveryOptions(fs)
		o.ReadOnly = readOnly
		_, err := Open("/db", o)
		if !errors.Is(err, ErrFormatVersion) || errors.Is(err, ErrCorruption) ||
			!strings.Contains(err.Error(), fmt.Sprintf("database format version %d is newer than this binary's newest, %d", FormatNewest+5, FormatNewest)) {
			t.Fatalf("read-only %t: open: %v; want ErrFormatVersion naming both versions", readOnly, err)
		}
	}
	if diff := diffTrees(before, memTree(t, fs, "/db")); diff != "" {
		t.Fatalf("refused open changed files: %s", diff)
	}
}

// TestFormatVersionRatchetCrashPoints crashes a version 1 database before
// every write-class file operation of RatchetFormatVersion(2), with a
// frozen memtable awaiting flush (so the ratchet records its WAL closed).
// Each image reopens, at version 1 or 2, with every acknowledged write,
// takes writes, and reopens again after a clean close.
func TestFormatVersionRatchetCrashPoints(t *testing.T) {
	mem := vfs.NewMem()
	var armed bool
	var images []*vfs.MemFS
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if armed && op.Kind.IsWrite() {
			for _, v := range []vfs.CrashOptions{{UnsyncedDataPercent: 0}, {UnsyncedDataPercent: 100}} {
				images = append(images, mem.CrashClone(v))
			}
		}
		return nil
	})
	o := recoveryOptions(errorfs.Wrap(mem, inj))
	o.FormatVersion = FormatVersion1
	sched := &manualScheduler{}
	o.Scheduler = sched
	d := mustOpen(t, "/db", o)
	want := make(map[string]string)
	for i := range 200 {
		k := fmt.Sprintf("k%04d", i)
		mustSet(t, d, k, "v", Sync)
		want[k] = "v"
		if i == 99 {
			if err := d.freeze(); err != nil {
				t.Fatal(err)
			}
			sched.runAll() // flushed: an SST
		}
	}
	if err := d.freeze(); err != nil { // a frozen memtable, not flushed
		t.Fatal(err)
	}
	mustSet(t, d, "live", "v", Sync)
	want["live"] = "v"
	armed = true
	if err := d.RatchetFormatVersion(FormatVersion2); err != nil {
		t.Fatal(err)
	}
	armed = false
	after := mem.CrashClone(vfs.CrashOptions{})
	if m := loadManifest(t, after); len(m.ClosedLogs()) != 1 {
		t.Fatalf("the ratchet recorded closed logs %v, want the frozen memtable's", m.ClosedLogs())
	}
	sched.runAll()
	mustClose(t, d)
	images = append(images, after)
	if len(images) < 3 {
		t.Fatalf("only %d crash images", len(images))
	}
	versions := map[uint32]int{}
	for i, img := range images {
		o := recoveryOptions(img)
		d, err := Open("/db", o)
		if err != nil {
			t.Fatalf("image %d: open: %v", i, err)
		}
		versions[d.FormatVersion()]++
		w := maps.Clone(want)
		checkContents(t, d, w)
		mustSet(t, d, "after", "1", nil)
		w["after"] = "1"
		if err := d.Flush(); err != nil {
			t.Fatalf("image %d: flush: %v", i, err)
		}
		mustClose(t, d)
		d = mustOpen(t, "/db", recoveryOptions(img))
		checkContents(t, d, w)
		mustClose(t, d)
	}
	if versions[1] == 0 || versions[2] == 0 {
		t.Fatalf("images reopened at versions %v, want both 1 and 2", versions)
	}
	t.Logf("%d crash images: %v", len(images), versions)
}
