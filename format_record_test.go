package tempest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/crc"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

// The magics that say a WAL's framing, and the names of the manifest's
// (whose header is the same in both).
const (
	walLegacyMagic      = "TMPS_WAL"
	walRecordMagic      = "TMPSWAL2"
	manifestLegacyMagic = "legacy"
	manifestRecordMagic = "record"
)

// magicOf returns the first 8 bytes of the file at path.
func magicOf(t testing.TB, fs vfs.FS, path string) string {
	t.Helper()
	data, err := vfs.ReadFile(fs, path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data[:min(8, len(data))])
}

// walMagics returns the magic of each WAL of /db, by file number.
func walMagics(t testing.TB, fs vfs.FS) map[uint64]string {
	t.Helper()
	names, err := fs.List("/db/wal")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[uint64]string)
	for _, name := range names {
		if n, ok := wal.ParseFileName(name); ok {
			out[uint64(n)] = magicOf(t, fs, "/db/wal/"+name)
		}
	}
	return out
}

// newestWALMagic returns the magic of the newest WAL of /db.
func newestWALMagic(t testing.TB, fs vfs.FS) string {
	t.Helper()
	m := walMagics(t, fs)
	nums := slices.Sorted(func(yield func(uint64) bool) {
		for n := range m {
			if !yield(n) {
				return
			}
		}
	})
	if len(nums) == 0 {
		t.Fatal("no WAL")
	}
	return m[nums[len(nums)-1]]
}

// manifestMagic returns the framing of the newest manifest file of /db:
// manifestLegacyMagic or manifestRecordMagic.
func manifestMagic(t testing.TB, fs vfs.FS) string {
	t.Helper()
	names, err := fs.List("/db/manifest")
	if err != nil {
		t.Fatal(err)
	}
	newest := ""
	for _, name := range names {
		if len(name) > len(manifest.FilePrefix) && name[:len(manifest.FilePrefix)] == manifest.FilePrefix && name > newest {
			newest = name
		}
	}
	if newest == "" {
		t.Fatal("no manifest file")
	}
	h, _, err := journal.ReadFile(fs, "/db/manifest/"+newest, manifest.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Legacy {
		return manifestLegacyMagic
	}
	return manifestRecordMagic
}

// TestRecordFramingNewDB: a database created at version 6 (the default)
// writes its WAL and manifest in the record framing; one created at
// version 5 or 1 in the legacy framing, through reopens.
func TestRecordFramingNewDB(t *testing.T) {
	defaultWAL, defaultManifest := walLegacyMagic, manifestLegacyMagic
	if rulesOf(newDBDefaultFormat).recordFraming { // FormatNewest unless TEMPEST_FORMAT_VERSION
		defaultWAL, defaultManifest = walRecordMagic, manifestRecordMagic
	}
	for _, c := range []struct {
		version           uint32
		walMagic, manMagc string
	}{
		{0, defaultWAL, defaultManifest},
		{FormatVersion6, walRecordMagic, manifestRecordMagic},
		{FormatVersion5, walLegacyMagic, manifestLegacyMagic},
		{FormatVersion1, walLegacyMagic, manifestLegacyMagic},
	} {
		fs := vfs.NewMem()
		o := recoveryOptions(fs)
		o.FormatVersion = c.version
		for round := range 2 {
			d := mustOpen(t, "/db", o)
			mustSet(t, d, fmt.Sprint("k", round), "v", Sync)
			if got := newestWALMagic(t, fs); got != c.walMagic {
				t.Fatalf("version %d, round %d: WAL magic %q, want %q", c.version, round, got, c.walMagic)
			}
			if got := manifestMagic(t, fs); got != c.manMagc {
				t.Fatalf("version %d, round %d: manifest magic %q, want %q", c.version, round, got, c.manMagc)
			}
			mustClose(t, d)
		}
	}
}

// TestRecordFramingRatchet: a database at version 5 with data in SSTs and
// in its legacy WAL ratchets to version 6: the manifest moves to a file
// of the record framing at once, the next WAL is of the record framing,
// and a crash that leaves the legacy WAL to replay, or a clean close,
// reopens with exactly the acknowledged data.
func TestRecordFramingRatchet(t *testing.T) {
	mem := vfs.NewMem()
	o := recoveryOptions(mem)
	o.FormatVersion = FormatVersion5
	d := mustOpen(t, "/db", o)
	want := make(map[string]string)
	set := func(k, v string) {
		mustSet(t, d, k, v, Sync)
		want[k] = v
	}
	for i := range 100 {
		set(fmt.Sprintf("flushed%03d", i), "a")
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		set(fmt.Sprintf("legacy-wal%03d", i), "b")
	}
	if got := newestWALMagic(t, mem); got != walLegacyMagic {
		t.Fatalf("version 5 WAL magic %q", got)
	}
	if got := manifestMagic(t, mem); got != manifestLegacyMagic {
		t.Fatalf("version 5 manifest magic %q", got)
	}

	if err := d.RatchetFormatVersion(FormatVersion6); err != nil {
		t.Fatal(err)
	}
	if d.FormatVersion() != FormatVersion6 {
		t.Fatalf("version %d after the ratchet", d.FormatVersion())
	}
	if got := manifestMagic(t, mem); got != manifestRecordMagic {
		t.Fatalf("manifest magic %q after the ratchet, want %q", got, manifestRecordMagic)
	}
	// The live WAL stays as it was created; more writes go to it.
	for i := range 20 {
		set(fmt.Sprintf("legacy-wal-after%03d", i), "c")
	}
	if got := newestWALMagic(t, mem); got != walLegacyMagic {
		t.Fatalf("live WAL magic %q after the ratchet, want it unchanged", got)
	}

	// A crash now leaves the legacy WAL, written before and after the
	// ratchet, to replay into a version 6 database.
	crashed := mem.CrashClone(vfs.CrashOptions{})
	o2 := recoveryOptions(crashed)
	d2 := mustOpen(t, "/db", o2)
	checkContents(t, d2, want)
	if d2.FormatVersion() != FormatVersion6 || newestWALMagic(t, crashed) != walRecordMagic || manifestMagic(t, crashed) != manifestRecordMagic {
		t.Fatalf("after recovery: version %d, WALs %v, manifest %q", d2.FormatVersion(), walMagics(t, crashed), manifestMagic(t, crashed))
	}
	mustClose(t, d2)

	// The original: a memtable rotation starts a WAL of the record
	// framing; the database closes and reopens with exactly the data.
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	set("record-wal", "d")
	if got := newestWALMagic(t, mem); got != walRecordMagic {
		t.Fatalf("WAL after the ratchet: magic %q, want %q", got, walRecordMagic)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", recoveryOptions(mem))
	defer mustClose(t, d)
	checkContents(t, d, want)
	for n, m := range walMagics(t, mem) {
		if m != walRecordMagic {
			t.Fatalf("WAL %d of magic %q left after a clean reopen", n, m)
		}
	}
}

// TestRecordFramingOpenAfterRatchetCrash: a crash between the ratchet's
// edit and the manifest's rotation leaves a version 6 database whose
// manifest file is of the legacy framing; Open (its tentative rotation)
// moves it to the record framing.
func TestRecordFramingOpenAfterRatchetCrash(t *testing.T) {
	mem := vfs.NewMem()
	o := recoveryOptions(mem)
	o.FormatVersion = FormatVersion5
	d := mustOpen(t, "/db", o)
	mustSet(t, d, "a", "1", Sync)
	mustClose(t, d)
	// The ratchet's edit, appended to the legacy file as the ratchet
	// does before it rotates.
	j, err := journal.Open(mem, "/db/manifest", manifest.FilePrefix, func() anyEdit { return anyEdit{} }, manifest.Codec{}, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(&manifest.Edit{FormatVersion: FormatVersion6}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if got := manifestMagic(t, mem); got != manifestLegacyMagic {
		t.Fatalf("manifest magic %q before the reopen", got)
	}
	d = mustOpen(t, "/db", recoveryOptions(mem))
	defer mustClose(t, d)
	checkContents(t, d, map[string]string{"a": "1"})
	if d.FormatVersion() != FormatVersion6 || manifestMagic(t, mem) != manifestRecordMagic || newestWALMagic(t, mem) != walRecordMagic {
		t.Fatalf("version %d, manifest %q, WALs %v", d.FormatVersion(), manifestMagic(t, mem), walMagics(t, mem))
	}
}

// TestRecordFramingManifestGuard: a manifest file of the record framing
// opens, after its header, with a frame of the legacy framing whose edit
// names format version 6 and nothing else: the first edit a binary that
// knows only the legacy framing replays, which it refuses with
// ErrFormatVersion (as TestFormatVersionTooNewRefused shows for a version
// above this binary's newest) before it meets a record.
func TestRecordFramingManifestGuard(t *testing.T) {
	fs := vfs.NewMem()
	o := recoveryOptions(fs)
	o.FormatVersion = FormatVersion6
	d := mustOpen(t, "/db", o)
	mustSet(t, d, "a", "1", Sync)
	mustClose(t, d)
	names, err := fs.List("/db/manifest")
	if err != nil || len(names) != 1 {
		t.Fatalf("manifest files %v, %v", names, err)
	}
	data, err := vfs.ReadFile(fs, "/db/manifest/"+names[0])
	if err != nil {
		t.Fatal(err)
	}
	const frame = journal.HeaderSize // crc u64, len u32, body
	n := int(binary.LittleEndian.Uint32(data[frame+8:]))
	body := data[frame+12 : frame+12+n]
	if crc.Checksum(data[frame+8:frame+12+n]) != binary.LittleEndian.Uint64(data[frame:]) {
		t.Fatal("the first frame is not a valid frame of the legacy framing")
	}
	e, err := manifest.Codec{}.Decode(body)
	if err != nil || !reflect.DeepEqual(e, &manifest.Edit{FormatVersion: FormatVersion6}) || !bytes.HasSuffix(body, []byte(journal.GuardMarker)) {
		t.Fatalf("first edit %v (%v), want one naming version 6 alone, ending with the guard marker", e, err)
	}
}
