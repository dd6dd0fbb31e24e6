package tool

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

func TestSSTableCommands(t *testing.T) {
	dir := t.TempDir()
	sst := writeDB(t, dir, 2000)

	r := mustRun(t, "sstable", "properties", sst)
	for _, want := range []string{fmt.Sprintf("format version:  %d\n", sstable.FormatVersion),
		"comparer:        tempest.bytewise", "deletions:       0", "seqnums:         [",
		"file number:     " + strings.TrimSuffix(filepath.Base(sst), ".sst") + "\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("properties: want %q: %v", want, r)
		}
	}
	entries := regexp.MustCompile(`entries: +(\d+)`).FindStringSubmatch(r.stdout)
	if entries == nil {
		t.Fatalf("properties: no entry count: %v", r)
	}

	r = mustRun(t, "sstable", "dump", sst)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if last := lines[len(lines)-1]; last != entries[1]+" entries" {
		t.Fatalf("dump ends with %q, want %s entries", last, entries[1])
	}
	entryLine := regexp.MustCompile(`^"key\d{6}" #\d+,SET "([a-z])+"$`)
	for _, l := range lines[:len(lines)-1] {
		if !entryLine.MatchString(l) {
			t.Fatalf("dump line %q", l)
		}
	}
	r = mustRun(t, "sstable", "dump", "--hex", sst)
	if !regexp.MustCompile(`^6b6579\d{12} #\d+,SET [0-9a-f]+\n`).MatchString(r.stdout) {
		t.Fatalf("dump --hex: %.200s", r.stdout)
	}

	r = mustRun(t, "sstable", "check", sst)
	if want := "ok: " + sst + ": " + entries[1] + " entries in "; !strings.HasPrefix(r.stdout, want) {
		t.Fatalf("check: want %q: %v", want, r)
	}

	expectFail(t, ExitFailure, `written with comparer "tempest.bytewise", opened with "tempest.fixed-suffix-desc.4" (choose the table's comparer with --comparer)`,
		"sstable", "dump", "--comparer", "fixed-suffix:4", sst)

	flipByte(t, sst)
	expectFail(t, ExitFailure, "corruption in "+sst, "sstable", "check", sst)
}

// TestSSTableFixedSuffix dumps a table written under a comparer with
// version suffixes, chosen with --comparer.
func TestSSTableFixedSuffix(t *testing.T) {
	dir := t.TempDir()
	d := "--dir=" + dir
	mustRun(t, "put", d, "--comparer", "fixed-suffix:2", "--hex", "61620001", "31")
	// The database records its comparer: later commands find it.
	mustRun(t, "put", d, "--hex", "61620002", "32")
	if r := mustRun(t, "get", d, "--hex", "6162ffff"); r.stdout != "32\n" {
		t.Fatalf("get of the newest version: %v", r)
	}
	sst := largestSST(t, dir)
	r := mustRun(t, "sstable", "dump", "--comparer", "fixed-suffix:2", sst)
	if !regexp.MustCompile(`^"ab"@000[12] #\d+,SET "[12]"\n1 entries\n$`).MatchString(r.stdout) {
		t.Fatalf("dump: %v", r)
	}
}

// encodeBatch encodes a batch payload as batch.go documents it.
func encodeBatch(seq uint64, entries ...batchEntry) []byte {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = append(b, byte(e.Kind))
		b = binary.AppendUvarint(b, uint64(len(e.Key)))
		b = append(b, e.Key...)
		if e.Kind == base.KindSet || e.Kind == base.KindRangeDelete {
			b = binary.AppendUvarint(b, uint64(len(e.Value)))
			b = append(b, e.Value...)
		}
	}
	return b
}

func TestWALDump(t *testing.T) {
	dir := t.TempDir()
	w, err := wal.Create(vfs.Default, dir, 7, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b1 := encodeBatch(16, batchEntry{Kind: base.KindSet, Key: []byte("k"), Value: []byte("v")},
		batchEntry{Kind: base.KindDelete, Key: []byte("old")})
	b2 := encodeBatch(17, batchEntry{Kind: base.KindSet, Key: []byte{0, 1}, Value: nil})
	if err := w.WriteRecords(b1, b2); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(9); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, wal.FileName(7))
	r := mustRun(t, "wal", "dump", path)
	want := `file ` + path + `: 126 bytes, header file number 000007
offset 16: data, synced 16, 22 bytes: batch seq 16, 2 entries
  SET "k" "v"
  DEL "old"
offset 59: data, synced 16, 17 bytes: batch seq 17, 1 entries
  SET "\x00\x01" ""
offset 97: end, synced 97, 8 bytes, next 000009
replay: 2 data records, clean close yes, next 000009, valid 126 of 126 bytes, torn tail no
`
	if r.stdout != want {
		t.Fatalf("wal dump:\n%s\nwant:\n%s", r.stdout, want)
	}

	// A second log, abandoned with a torn tail after its records.
	w, err = wal.Create(vfs.Default, dir, 8, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecords(b1, []byte("not a batch")); err != nil {
		t.Fatal(err)
	}
	w.Abandon()
	path = filepath.Join(dir, wal.FileName(8))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("torn garbage")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r = expectFail(t, ExitFailure, "wal dump: "+path+": 1 records hold malformed batches", "wal", "dump", "--hex", path)
	for _, want := range []string{
		"  SET 6b 76\n  DEL 6f6c64\n",
		"  malformed batch: batch of 11 bytes is shorter than its 12-byte header\n",
		"replay: 2 data records, clean close no, next 000000, valid 91 of 103 bytes, torn tail yes\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("wal dump of a torn log: want %q:\n%s", want, r.stdout)
		}
	}

	// Damage to a synced record before a valid one is corruption.
	data, err := os.ReadFile(filepath.Join(dir, wal.FileName(7)))
	if err != nil {
		t.Fatal(err)
	}
	data[20] ^= 1
	// Under its own number: a record's checksum is seeded by the header.
	path = filepath.Join(t.TempDir(), wal.FileName(7))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r = expectFail(t, ExitFailure, "wal dump: corruption in "+path+" at offset 16", "wal", "dump", path)
	if strings.Contains(r.stdout, "replay:") {
		t.Fatalf("a corrupt log printed a replay result:\n%s", r.stdout)
	}
}

func TestManifestDump(t *testing.T) {
	dir := t.TempDir()
	writeDB(t, dir, 300)
	r := mustRun(t, "manifest", "dump", dir)
	if !regexp.MustCompile(`^manifest-\d{6}: header file number \d+, \d+ edits \(in use\)\n  edit 0: \{comparer="tempest.bytewise"`).MatchString(r.stdout) {
		t.Fatalf("manifest dump: %v", r)
	}
	for _, want := range []string{"add 0", ":L0 [", "clean-close"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("manifest dump: want %q: %v", want, r)
		}
	}
	// The manifest directory itself works as well.
	if r2 := mustRun(t, "manifest", "dump", filepath.Join(dir, "manifest")); r2.stdout != r.stdout {
		t.Fatalf("dump of the manifest directory differs:\n%s", r2.stdout)
	}

	files, err := manifestFiles(vfs.Default, filepath.Join(dir, "manifest"))
	if err != nil || len(files) == 0 {
		t.Fatalf("manifest files: %v, %v", files, err)
	}
	inUse := files[len(files)-1].path
	// A newer file with a bad header is a rotation that never completed.
	junk := filepath.Join(dir, "manifest", "manifest-999999")
	if err := os.WriteFile(junk, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "manifest", "dump", dir)
	if !strings.Contains(r.stdout, "manifest-999999: invalid header, ignored by the database") {
		t.Fatalf("manifest dump with an incomplete rotation: %v", r)
	}
	// Damage inside the file in use is corruption.
	data, err := os.ReadFile(inUse)
	if err != nil {
		t.Fatal(err)
	}
	data[30] ^= 0xff
	if err := os.WriteFile(inUse, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r = expectFail(t, ExitFailure, "manifest dump: corrupt manifest: corruption in "+inUse, "manifest", "dump", dir)
	if !strings.Contains(r.stdout, "  damaged: corruption in "+inUse) {
		t.Fatalf("manifest dump of a damaged file: %v", r)
	}
}
