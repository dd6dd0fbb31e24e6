package tempest

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// The three recovery failures found from outside the engine, as
// regression tests: a lost manifest taken for a new database, a WAL cut
// after a clean close taken for a torn tail, and a failed Open that left
// files behind. They use only the public API and vfs, so they also run
// (and fail) against versions without the recovery table.

// recoveryOptions are small options with a memtable large enough that a
// session's unflushed writes make a WAL of a few hundred KiB.
func recoveryOptions(fs vfs.FS) *Options {
	o := smallOptions(fs)
	o.MemTableSize = 1 << 20
	o.Scheduler = InlineScheduler{}
	return o
}

// buildRecoveryDB writes a database with several SSTs (three flushed
// rounds) and synced writes left in the WAL (about 300 KiB), closes it
// cleanly and returns what it holds.
func buildRecoveryDB(t *testing.T, fs vfs.FS) map[string]string {
	t.Helper()
	want := make(map[string]string)
	d := mustOpen(t, "/db", recoveryOptions(fs))
	set := func(k, v string, o *WriteOptions) {
		mustSet(t, d, k, v, o)
		want[k] = v
	}
	for round := range 3 {
		for i := range 300 {
			set(fmt.Sprintf("flushed%d-%04d", round, i), strings.Repeat("f", 200), NoSync)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		set(fmt.Sprintf("unflushed-%04d", i), fmt.Sprintf("%04d", i)+strings.Repeat("u", 1000), Sync)
	}
	mustClose(t, d)
	return want
}

// memTree returns every file and directory under root: path -> contents,
// or "<dir>" for a directory.
func memTree(t testing.TB, fs *vfs.MemFS, root string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	var walk func(dir string)
	walk = func(dir string) {
		names, err := fs.List(dir)
		if err != nil {
			t.Fatalf("list %s: %v", dir, err)
		}
		for _, n := range names {
			p := path.Join(dir, n)
			info, err := fs.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.IsDir() {
				out[p] = "<dir>"
				walk(p)
				continue
			}
			data, err := fs.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[p] = string(data)
		}
	}
	walk(root)
	return out
}

// diffTrees describes how two trees differ, "" if they do not.
func diffTrees(before, after map[string]string) string {
	var d []string
	for p, v := range before {
		if w, ok := after[p]; !ok {
			d = append(d, "removed "+p)
		} else if v != w {
			d = append(d, fmt.Sprintf("changed %s (%d -> %d bytes)", p, len(v), len(w)))
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			d = append(d, "created "+p)
		}
	}
	slices.Sort(d)
	return strings.Join(d, "; ")
}

// checkContents fails unless d holds exactly want.
func checkContents(t testing.TB, d *DB, want map[string]string) {
	t.Helper()
	if got := dump(t, d); !maps.Equal(got, want) {
		t.Fatalf("database holds %d keys, want %d", len(got), len(want))
	}
}

// expectCorruption fails unless err is ErrCorruption naming a path with
// prefix file.
func expectCorruption(t testing.TB, err error, file string) {
	t.Helper()
	var ce *base.CorruptionError
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.File, file) {
		t.Fatalf("open: %v, want corruption naming %s", err, file)
	}
}

// TestRecoveryMissingManifest deletes the manifest of a database with
// SSTs and WAL data (the file, or the whole directory): Open must refuse
// with ErrCorruption naming the manifest directory, never start an empty
// database and delete the SSTs as orphans.
func TestRecoveryMissingManifest(t *testing.T) {
	for _, whole := range []bool{false, true} {
		t.Run(fmt.Sprintf("directory=%v", whole), func(t *testing.T) {
			fs := vfs.NewMem()
			want := buildRecoveryDB(t, fs)
			names, err := fs.List("/db/manifest")
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if err := fs.Remove("/db/manifest/" + n); err != nil {
					t.Fatal(err)
				}
			}
			if whole {
				if err := fs.Remove("/db/manifest"); err != nil {
					t.Fatal(err)
				}
			}
			before := memTree(t, fs, "/")
			_, err = Open("/db", recoveryOptions(fs))
			expectCorruption(t, err, "/db/manifest")
			if diff := diffTrees(before, memTree(t, fs, "/")); diff != "" {
				t.Fatalf("the refused open changed the directory: %s", diff)
			}
			if len(want) == 0 {
				t.Fatal("empty workload")
			}
		})
	}
}

// TestRecoveryWALTailAfterCleanClose cuts or zeroes the end of the last
// WAL of a cleanly closed database. Close wrote an end record and the
// manifest recorded the close: the lost records were synced, so Open
// must refuse with ErrCorruption naming the WAL, not drop a torn tail.
func TestRecoveryWALTailAfterCleanClose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2] }},
		{"last 64 KiB zeroed", func(b []byte) []byte { clear(b[len(b)-64<<10:]); return b }},
		{"end record cut", func(b []byte) []byte { return b[:len(b)-1] }},
		{"end record removed", func(b []byte) []byte { return b[:len(b)-21-8] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			buildRecoveryDB(t, fs)
			wals, err := fs.List("/db/wal")
			if err != nil || len(wals) != 1 {
				t.Fatalf("WALs %v (%v), want one", wals, err)
			}
			p := "/db/wal/" + wals[0]
			data, err := fs.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) < 128<<10 {
				t.Fatalf("WAL of %d bytes, want more than 128 KiB", len(data))
			}
			if err := fs.WriteFile(p, tc.damage(data)); err != nil {
				t.Fatal(err)
			}
			before := memTree(t, fs, "/")
			_, err = Open("/db", recoveryOptions(fs))
			expectCorruption(t, err, p)
			if diff := diffTrees(before, memTree(t, fs, "/")); diff != "" {
				t.Fatalf("the refused open changed the directory: %s", diff)
			}
		})
	}
}

// openFaultKinds are the errors TestFailedOpenChangesNothing injects: EIO
// at every file operation, ENOSPC at every write-class one.
var openFaultKinds = []struct {
	name   string
	err    error
	filter func(errorfs.Op) bool
}{
	{"EIO", errorfs.ErrInjected, func(errorfs.Op) bool { return true }},
	{"ENOSPC", errorfs.ErrNoSpace, errorfs.WriteOps},
}

// TestFailedOpenChangesNothing fails each file operation of Open in turn,
// on an existing database (with SSTs, and WAL data to replay, so a
// recovery flush) and on a new one. After each failed
// Open, every file and directory must be byte for byte as before: the
// recovery flush's SSTs, the new WAL, the new manifest file, and LOCK and
// the directories when Open created them, are gone. A retry without
// faults then recovers everything.
func TestFailedOpenChangesNothing(t *testing.T) {
	existing := vfs.NewMem()
	want := buildRecoveryDB(t, existing)
	for _, db := range []struct {
		name string
		fs   *vfs.MemFS
		want map[string]string
	}{
		{"existing", existing, want},
		{"new", vfs.NewMem(), map[string]string{}},
	} {
		for _, kind := range openFaultKinds {
			t.Run(db.name+"/"+kind.name, func(t *testing.T) {
				counter := errorfs.OnIndex(-1, nil, kind.filter)
				fs := db.fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
				d := mustOpen(t, "/db", recoveryOptions(errorfs.Wrap(fs, counter)))
				ops := counter.Count()
				mustClose(t, d)
				failed := 0
				for i := range ops {
					if failedOpenAt(t, db.fs, db.want, kind.err, kind.filter, i) {
						failed++
					}
				}
				t.Logf("%d operations, %d failed the open", ops, failed)
				if failed == 0 {
					t.Fatal("no injected error failed the open")
				}
			})
		}
	}
}

// failedOpenAt opens a copy of img with err injected at operation i of
// the filter's kind and checks the outcome. It reports whether the open
// failed.
func failedOpenAt(t *testing.T, img *vfs.MemFS, want map[string]string, err error, filter func(errorfs.Op) bool, i int64) bool {
	t.Helper()
	fs := img.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})
	before := memTree(t, fs, "/")
	d, openErr := Open("/db", recoveryOptions(errorfs.Wrap(fs, errorfs.OnIndex(i, err, filter))))
	if openErr == nil {
		// The operation failed after Open committed (a best-effort
		// removal): Open may succeed.
		checkContents(t, d, want)
		mustClose(t, d)
		return false
	}
	if !errors.Is(openErr, err) {
		t.Fatalf("op %d: open failed with %v, want the injected error", i, openErr)
	}
	if diff := diffTrees(before, memTree(t, fs, "/")); diff != "" {
		t.Fatalf("op %d: open failed (%v) and changed the directory: %s", i, openErr, diff)
	}
	d = mustOpen(t, "/db", recoveryOptions(fs))
	checkContents(t, d, want)
	mustClose(t, d)
	return true
}

// TestFailedOpenRetries: while the disk is full for new WALs, every Open
// fails after its recovery flush, and each attempt leaves the directory
// as it was (no SST leaks from one retry to the next); once space
// returns, Open recovers everything.
func TestFailedOpenRetries(t *testing.T) {
	fs := vfs.NewMem()
	want := buildRecoveryDB(t, fs)
	before := memTree(t, fs, "/")
	full := errorfs.Wrap(fs, errorfs.ByPath("*.log", errorfs.ErrNoSpace, errorfs.OpCreate))
	for attempt := range 3 {
		if _, err := Open("/db", recoveryOptions(full)); !errors.Is(err, errorfs.ErrNoSpace) {
			t.Fatalf("attempt %d: %v, want ENOSPC", attempt, err)
		}
		if diff := diffTrees(before, memTree(t, fs, "/")); diff != "" {
			t.Fatalf("attempt %d changed the directory: %s", attempt, diff)
		}
	}
	d := mustOpen(t, "/db", recoveryOptions(fs))
	checkContents(t, d, want)
	mustClose(t, d)
}
