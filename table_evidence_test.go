package tempest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/zeebo/xxh3"
)

// Tests of the evidence an SST carries: the whole-file checksum the
// manifest records, and what a table says about itself (file number,
// bounds, seqnums, counts), which opening it compares with the manifest.

// evidenceOptions stores blocks raw and runs no automatic compaction, so
// that each flush leaves one L0 SST whose size depends only on the
// lengths of its keys and values. A small memtable keeps opens cheap.
func evidenceOptions(fs vfs.FS) *Options {
	return &Options{FS: fs, Compression: NoCompression, DisableAutomaticCompactions: true, MemTableSize: MinMemTableSize}
}

// writeFlushed sets keys prefix000 to prefix(n-1) to 100-byte values of
// fill in one batch (one seqnum) and flushes them to one SST.
func writeFlushed(t *testing.T, d *DB, prefix string, n int, fill byte) {
	t.Helper()
	b := d.NewBatch()
	for i := range n {
		if err := b.Set(fmt.Appendf(nil, "%s%03d", prefix, i), bytes.Repeat([]byte{fill}, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Apply(b, Sync); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

// liveTableMetas returns the manifest's live files, by file number.
func liveTableMetas(d *DB) []*manifest.FileMetadata { return d.manifest.Files() }

// requireCorruption fails unless err matches ErrCorruption and its
// message holds every one of want.
func requireCorruption(t *testing.T, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, ErrCorruption) {
		t.Fatalf("got %v, want ErrCorruption", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not name %q", err, w)
		}
	}
}

// TestSwappedSSTs swaps the contents of two SSTs of equal size in a closed
// DB. Their sizes agree with the manifest, so Open succeeds; the first
// read that opens one of them, and Check, report ErrCorruption naming the
// swapped file.
func TestSwappedSSTs(t *testing.T) {
	mem := vfs.NewMem()
	d := mustOpen(t, "/db", evidenceOptions(mem))
	writeFlushed(t, d, "a", 100, 'x')
	writeFlushed(t, d, "b", 100, 'x')
	files := liveTableMetas(d)
	if len(files) != 2 || files[0].Size != files[1].Size {
		t.Fatalf("want two SSTs of equal size, have %v", files)
	}
	pa, pb := d.sstPath(files[0].FileNum), d.sstPath(files[1].FileNum)
	mustClose(t, d)
	a, errA := mem.ReadFile(pa)
	b, errB := mem.ReadFile(pb)
	if err := errors.Join(errA, errB, mem.WriteFile(pa, b), mem.WriteFile(pb, a)); err != nil {
		t.Fatal(err)
	}

	d = mustOpen(t, "/db", evidenceOptions(mem))
	defer mustClose(t, d)
	_, err := d.Get([]byte("a000"))
	requireCorruption(t, err, pa, "file number "+files[1].FileNum.String()+", manifest "+files[0].FileNum.String(),
		"smallest key", "seqnums")
	it, err := d.NewIter(nil)
	if err == nil {
		it.First()
		err = errors.Join(it.Error(), it.Close())
	}
	requireCorruption(t, err, "differs from the manifest's record")
	requireCorruption(t, d.Check(), pa, pb)
}

// TestDivergedSSTCopy puts in place of an SST the SST of the same file
// number from another DB with the same history up to a point: an older
// copy of the table. When the copy holds other seqnums, opening the table
// catches it; when it differs only in its values, which opening a table
// does not read, Check catches it by the whole-file checksum.
func TestDivergedSSTCopy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		emptyBatch bool   // the other DB wrote an empty batch first: other seqnums
		atOpen     string // what a Get reports; "" if the copy passes the open
	}{
		{name: "other seqnums", emptyBatch: true, atOpen: "seqnums"},
		{name: "other values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem, other := vfs.NewMem(), vfs.NewMem()
			d := mustOpen(t, "/db", evidenceOptions(mem))
			writeFlushed(t, d, "a", 100, 'x')
			d2 := mustOpen(t, "/db", evidenceOptions(other))
			if tc.emptyBatch {
				if _, err := d2.Apply(d2.NewBatch(), Sync); err != nil { // takes a seqnum
					t.Fatal(err)
				}
			}
			writeFlushed(t, d2, "a", 100, 'y')
			f, f2 := liveTableMetas(d), liveTableMetas(d2)
			if len(f) != 1 || len(f2) != 1 || f[0].FileNum != f2[0].FileNum || f[0].Size != f2[0].Size {
				t.Fatalf("want one SST of the same number and size in each DB: %v, %v", f, f2)
			}
			path := d.sstPath(f[0].FileNum)
			mustClose(t, d)
			mustClose(t, d2)
			data, err := other.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := mem.WriteFile(path, data); err != nil {
				t.Fatal(err)
			}

			d = mustOpen(t, "/db", evidenceOptions(mem))
			defer mustClose(t, d)
			if tc.atOpen != "" {
				_, err := d.Get([]byte("a000"))
				requireCorruption(t, err, path, tc.atOpen)
				requireCorruption(t, d.Check(), path, tc.atOpen)
				return
			}
			requireCorruption(t, d.Check(), path, "whole-file checksum")
		})
	}
}

// TestCheckFindsDamageNoReadSees flips a byte in the first data block of
// an SST. A Get of a key in its last block does not read that block and
// succeeds; Check reads every byte and reports the damage, naming the
// file.
func TestCheckFindsDamageNoReadSees(t *testing.T) {
	mem := vfs.NewMem()
	d := mustOpen(t, "/db", evidenceOptions(mem))
	writeFlushed(t, d, "a", 100, 'x') // three 4 KiB data blocks
	path := d.sstPath(liveTableMetas(d)[0].FileNum)
	mustClose(t, d)
	data, err := mem.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[20] ^= 0x01 // in the first entry of the first data block
	if err := mem.WriteFile(path, data); err != nil {
		t.Fatal(err)
	}

	d = mustOpen(t, "/db", evidenceOptions(mem))
	defer mustClose(t, d)
	mustGet(t, d, "a099", strings.Repeat("x", 100))
	requireCorruption(t, d.Check(), path)
}

// TestTablesRecordChecksums: every SST the DB writes (by a flush, a
// compaction, and the flush of recovery) is of format 4, names its own
// file number, and has the whole-file checksum of its bytes in the
// manifest.
func TestTablesRecordChecksums(t *testing.T) {
	mem := vfs.NewMem()
	opts := smallOptions(mem)
	opts.DisableAutomaticCompactions = true
	d := mustOpen(t, "/db", opts)
	seen := map[base.FileNum]bool{}
	check := func(stage string, wantNew func(*manifest.FileMetadata) bool) {
		t.Helper()
		found := false
		for _, f := range liveTableMetas(d) {
			if seen[f.FileNum] {
				continue
			}
			seen[f.FileNum] = true
			found = found || wantNew(f)
			data, err := mem.ReadFile(d.sstPath(f.FileNum))
			if err != nil {
				t.Fatal(err)
			}
			if sum := xxh3.Hash(data); f.Checksum != sum || sum == 0 {
				t.Fatalf("%s: %s records checksum %#x, file has %#x", stage, f, f.Checksum, sum)
			}
			r, err := d.tables.get(f)
			if err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			p := r.r.Properties()
			r.release()
			if p.FormatVersion != sstable.FormatVersion || p.FileNum != f.FileNum {
				t.Fatalf("%s: %s says it is file %s of format %d", stage, f, p.FileNum, p.FormatVersion)
			}
		}
		if !found {
			t.Fatalf("%s wrote no table to check", stage)
		}
	}
	for i := range 3000 {
		mustSet(t, d, fmt.Sprintf("k%05d", i*7%3000), strings.Repeat("v", 40), NoSync)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check("flush", func(f *manifest.FileMetadata) bool { return f.Level == 0 })
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	check("compaction", func(f *manifest.FileMetadata) bool { return f.Level > 0 })
	mustSet(t, d, "unflushed", "v", Sync)
	mustClose(t, d)
	d = mustOpen(t, "/db", opts) // recovery flushes the WAL
	defer mustClose(t, d)
	check("recovery", func(f *manifest.FileMetadata) bool { return f.Level == 0 })
}

// TestOldTableWithoutChecksum: a table of format version 3, recorded with
// the zero checksum that older versions wrote, is served and passes
// Check, which logs that it checked it block by block only. The same
// table recorded with a nonzero checksum fails Check.
func TestOldTableWithoutChecksum(t *testing.T) {
	fixture, err := os.ReadFile("sstable/testdata/format-v3.sst") // key000000..key001999, seqnums 100..2099
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range []uint64{0, 1} {
		mem := vfs.NewMem()
		var log bytes.Buffer
		opts := evidenceOptions(mem)
		opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
		d := mustOpen(t, "/db", opts)
		mustClose(t, d)
		m, err := manifest.Open(mem, "/db/manifest", base.DefaultComparer, d.opts.journalConfig())
		if err != nil {
			t.Fatal(err)
		}
		num := m.NextFileNum()
		path := d.sstPath(num)
		meta := manifest.FileMetadata{
			FileNum: num, Level: 6, Size: uint64(len(fixture)), Checksum: sum,
			Smallest:    base.MakeInternalKey([]byte("key000000"), 100, base.KindSet),
			Largest:     base.MakeInternalKey([]byte("key001999"), 2099, base.KindSet),
			SmallestSeq: 100, LargestSeq: 2099,
		}
		err = errors.Join(mem.WriteFile(path, fixture),
			m.Apply(&manifest.Edit{NextFileNum: num + 1, VisibleSeqNum: 2099, Added: []manifest.FileMetadata{meta}}),
			m.Close())
		if err != nil {
			t.Fatal(err)
		}

		d = mustOpen(t, "/db", opts)
		mustGet(t, d, "key000042", "value42")
		err = d.Check()
		mustClose(t, d)
		if sum != 0 {
			requireCorruption(t, err, path, "whole-file checksum")
			continue
		}
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !strings.Contains(log.String(), "no recorded whole-file checksum") || !strings.Contains(log.String(), path) {
			t.Fatalf("Check did not log the unchecked table %s: %q", path, log.String())
		}
	}
}

// TestChecksumRecorded: a zero whole-file checksum is "not recorded" only
// for tables of format 3 and older.
func TestChecksumRecorded(t *testing.T) {
	for _, tc := range []struct {
		sum     uint64
		version uint32
		want    bool
	}{{0, 3, false}, {0, 2, false}, {0, 4, true}, {1, 3, true}, {1, 4, true}} {
		got := checksumRecorded(&manifest.FileMetadata{Checksum: tc.sum}, sstable.Properties{FormatVersion: tc.version})
		if got != tc.want {
			t.Errorf("checksum %d, format version %d: recorded = %v, want %v", tc.sum, tc.version, got, tc.want)
		}
	}
}
