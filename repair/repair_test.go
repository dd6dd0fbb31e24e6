package repair

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/wal"
)

const numKeys = 3000

// testOutput configures the outputs of the tests: a memtable of 1 MiB
// rather than the default 64 MiB, which costs time to allocate and free.
var testOutput = &tempest.Options{MemTableSize: 1 << 20}

// shared is the database TestRepair and TestRepairWriteFailure repair
// copies of, built once; TestMain removes it.
var shared struct {
	once sync.Once
	dir  string
	m    *model
	seed uint64 // logged once; the tests' other random choices derive from it
}

// sharedDB returns the shared database and its model.
func sharedDB(t *testing.T) (string, *model) {
	t.Helper()
	shared.once.Do(func() {
		tmp, err := os.MkdirTemp("", "repair-test-")
		must(t, err)
		dir := filepath.Join(tmp, "db")
		shared.seed = testutil.Seed(t)
		shared.m = buildDB(t, dir, numKeys, shared.seed)
		shared.dir = dir
	})
	if shared.dir == "" {
		t.Fatal("building the shared database failed")
	}
	return shared.dir, shared.m
}

// buildDB writes a database in dir with SSTs on more than one level, point
// and range deletions in SSTs and in the WAL, and writes left in the WAL
// at a clean close, and returns the model of what was written.
func buildDB(t *testing.T, dir string, n int, seed uint64) *model {
	t.Helper()
	m, db := openBuiltDB(t, vfs.Default, dir, n, seed)
	must(t, db.Close())
	return m
}

// openBuiltDB is buildDB on fs, leaving the database open.
func openBuiltDB(t *testing.T, fs vfs.FS, dir string, n int, seed uint64) (*model, *tempest.DB) {
	t.Helper()
	rng := testutil.NewRand(seed)
	m := &model{ever: map[string]map[string]bool{}}
	db, err := tempest.Open(dir, &tempest.Options{
		FS:                    fs,
		MemTableSize:          tempest.MinMemTableSize,
		BlockSize:             512,
		L0CompactionThreshold: 2,
		LBaseMaxBytes:         128 << 10,
		LevelMultiplier:       4,
		TargetFileSize:        16 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.writeRound(t, db, rng, 0, n, 1, 0)
	must(t, db.Compact(ctx, nil, nil))
	m.writeRound(t, db, rng, 1, n, 3, 7)
	m.apply(t, db, op{kind: "rangedel", key: key(n / 3), other: key(n/3 + 100)})
	must(t, db.Flush())
	must(t, db.Compact(ctx, []byte(key(0)), []byte(key(n/2))))
	m.writeRound(t, db, rng, 2, n, 5, 17)
	m.apply(t, db, op{kind: "rangedel", key: key(n / 6), other: key(n/6 + 20)})
	must(t, db.Flush())
	lsm, err := db.LSM()
	must(t, err)
	levels := 0
	for _, files := range lsm {
		if len(files) > 0 {
			levels++
		}
	}
	if levels < 2 {
		t.Fatalf("SSTs on %d levels, want at least 2: %v", levels, lsm)
	}
	// Left in the WAL by the clean close.
	m.writeRound(t, db, rng, 3, n, 11, 13)
	m.apply(t, db, op{kind: "rangedel", key: key(2 * n / 3), other: key(2*n/3 + 50)})
	m.apply(t, db, op{kind: "set", key: key(n - 1), other: "first"}, op{kind: "set", key: key(n - 1), other: "second"})
	m.apply(t, db, op{kind: "set", key: key(1), other: "gone"}, op{kind: "del", key: key(1)})
	return m, db
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRepair builds one database and repairs copies of it: intact, with a
// missing SST, with its WAL zeroed in the middle, and without its
// manifest. Each output must hold exactly what the report says was saved:
// every key outside the reported key ranges has its newest acknowledged
// state (computed from the model without the batches whose seqnums a WAL
// loss reports), keys within them hold a value they once had or nothing,
// and no key appears that should not. The source must not change.
func TestRepair(t *testing.T) {
	template, m := sharedDB(t)
	rng := testutil.NewRand(shared.seed + 1)

	t.Run("intact", func(t *testing.T) {
		src := copyDB(t, template)
		rep, dst := repairChecked(t, src)
		if rep.Lost() || rep.Manifest.State != "intact" {
			t.Fatalf("intact database: %s", reportText(rep))
		}
		checkCounts(t, rep)
		checkOutput(t, rep, dst, m)
	})

	t.Run("missing-sst", func(t *testing.T) {
		src := copyDB(t, template)
		ssts, _ := filepath.Glob(filepath.Join(src, "sst", "*.sst"))
		slices.Sort(ssts)
		victim := ssts[rng.IntN(len(ssts))]
		must(t, os.Remove(victim))
		rep, dst := repairChecked(t, src)
		if len(rep.Losses) != 1 {
			t.Fatalf("want one loss: %s", reportText(rep))
		}
		l := rep.Losses[0]
		if l.File != victim || l.What != "whole file" || !l.HasSmallest || !l.HasLargest || !l.HasMinSeq {
			t.Fatalf("loss %+v does not name %s with its bounds", l, victim)
		}
		checkOutput(t, rep, dst, m)
	})

	t.Run("wal-zeroed", func(t *testing.T) {
		src := copyDB(t, template)
		log := newestWAL(t, src)
		data, err := os.ReadFile(log)
		must(t, err)
		clear(data[len(data)/3 : len(data)/2])
		must(t, os.WriteFile(log, data, 0o644))
		rep, dst := repairChecked(t, src)
		if len(rep.Losses) != 1 {
			t.Fatalf("want one loss: %s", reportText(rep))
		}
		l := rep.Losses[0]
		if l.File != log || l.Offset > int64(len(data)/3) || l.End < int64(len(data)/2) || !l.HasMinSeq || !l.HasMaxSeq || l.HasSmallest {
			t.Fatalf("loss %+v does not name the zeroed range of %s with seqnums", l, log)
		}
		lost := 0
		for _, b := range m.batches {
			if b.seq >= uint64(l.MinSeq) && b.seq <= uint64(l.MaxSeq) {
				lost++
			}
		}
		if lost == 0 || uint64(l.MaxSeq-l.MinSeq+1) != uint64(lost) {
			t.Fatalf("seqnums [%d, %d] name %d batches", l.MinSeq, l.MaxSeq, lost)
		}
		checkOutput(t, rep, dst, m)
	})

	t.Run("sst-block-damaged", func(t *testing.T) {
		src := copyDB(t, template)
		ssts, _ := filepath.Glob(filepath.Join(src, "sst", "*.sst"))
		slices.Sort(ssts)
		victim := ssts[rng.IntN(len(ssts))]
		data, err := os.ReadFile(victim)
		must(t, err)
		off := rng.IntN(len(data) / 2) // within the data blocks
		data[off] ^= 0xff
		must(t, os.WriteFile(victim, data, 0o644))
		rep, dst := repairChecked(t, src)
		if len(rep.Losses) != 1 {
			t.Fatalf("want one loss: %s", reportText(rep))
		}
		if l := rep.Losses[0]; l.File != victim || l.Offset > int64(off) || l.End <= int64(off) || !l.HasSmallest || !l.HasLargest {
			t.Fatalf("loss %+v does not name the block of %s holding offset %d", l, victim, off)
		}
		checkOutput(t, rep, dst, m)
	})

	t.Run("manifest-damaged", func(t *testing.T) {
		src := copyDB(t, template)
		manifests, _ := filepath.Glob(filepath.Join(src, "manifest", "manifest-*"))
		data, err := os.ReadFile(manifests[0])
		must(t, err)
		data[len(data)/2] ^= 0xff
		must(t, os.WriteFile(manifests[0], data, 0o644))
		rep, dst := repairChecked(t, src)
		if !strings.HasPrefix(rep.Manifest.State, "damaged") {
			t.Fatalf("manifest state %q", rep.Manifest.State)
		}
		// Every SST and WAL is read: nothing is lost. Files that the
		// damaged edit removed look live and missing, and are reported
		// lost (the report cannot prove otherwise).
		for _, l := range rep.Losses {
			if l.What != "whole file" || !strings.HasSuffix(l.File, ".sst") {
				t.Fatalf("loss %+v", l)
			}
		}
		if got, want := readDB(t, dst), m.state(nil); !maps.Equal(got, want) {
			t.Fatalf("output differs from the model (%d keys, want %d)", len(got), len(want))
		}
	})

	t.Run("manifest-deleted", func(t *testing.T) {
		src := copyDB(t, template)
		manifests, _ := filepath.Glob(filepath.Join(src, "manifest", "manifest-*"))
		if len(manifests) == 0 {
			t.Fatal("no manifest file")
		}
		for _, p := range manifests {
			must(t, os.Remove(p))
		}
		rep, dst := repairChecked(t, src)
		if rep.Lost() || rep.Manifest.State != "missing" {
			t.Fatalf("without a manifest: %s", reportText(rep))
		}
		checkOutput(t, rep, dst, m)
	})
}

// repairChecked repairs src into a new directory and checks that src did
// not change.
func repairChecked(t *testing.T, src string) (*Report, string) {
	t.Helper()
	before := treeHash(t, src)
	dst := filepath.Join(t.TempDir(), "out")
	rep, err := Run(src, dst, &Options{Output: testOutput})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if after := treeHash(t, src); after != before {
		t.Fatalf("repair changed the source")
	}
	if _, err := os.Stat(dst + tmpSuffix); !os.IsNotExist(err) {
		t.Fatalf("temporary directory left behind: %v", err)
	}
	t.Logf("%s", reportText(rep))
	return rep, dst
}

// checkOutput opens dst and compares it with the model: exactly equal
// outside the key ranges of the losses, with the batches of WAL losses
// left out; within them, only values the key once had.
func checkOutput(t *testing.T, rep *Report, dst string, m *model) {
	t.Helper()
	var keyed []Loss
	for _, l := range rep.Losses {
		switch {
		case l.HasSmallest || l.HasLargest:
			keyed = append(keyed, l)
		case !l.HasMinSeq || !l.HasMaxSeq:
			t.Fatalf("loss bounded by neither keys nor seqnums: %+v", l)
		}
	}
	want := m.state(func(seq uint64) bool {
		for _, l := range rep.Losses {
			if !l.HasSmallest && !l.HasLargest && seq >= uint64(l.MinSeq) && seq <= uint64(l.MaxSeq) {
				return true
			}
		}
		return false
	})
	got := readDB(t, dst)
	inLoss := func(k string) bool {
		for i := range keyed {
			if keyed[i].Covers(rep.cmp, []byte(k)) {
				return true
			}
		}
		return false
	}
	exact, covered := 0, 0
	for k := range union(want, got) {
		g, inGot := got[k]
		if inLoss(k) {
			covered++
			if inGot && !m.ever[k][g] {
				t.Fatalf("%s = %q in the output, a value it never had", k, g)
			}
			continue
		}
		exact++
		if w, inWant := want[k]; inGot != inWant || g != w {
			t.Fatalf("%s: output %q (present %v), want %q (present %v)", k, g, inGot, w, inWant)
		}
	}
	if exact == 0 || (len(keyed) > 0 && covered == 0) {
		t.Fatalf("%d keys checked exactly, %d within losses: the check is vacuous", exact, covered)
	}
	if rep.Keys != uint64(len(got)) {
		t.Fatalf("report says %d keys written, the output holds %d", rep.Keys, len(got))
	}
	t.Logf("%d keys checked exactly, %d within reported losses", exact, covered)
}

// checkCounts checks the entries the report counts for each file read
// against the file: an SST's properties, a WAL's batches.
func checkCounts(t *testing.T, rep *Report) {
	t.Helper()
	for _, f := range rep.Files {
		if f.Status != "read" {
			t.Fatalf("%s: %s", f.Path, f.Status)
		}
		switch f.Kind {
		case "sst":
			file, err := vfs.Default.Open(f.Path)
			must(t, err)
			size, err := file.Size()
			must(t, err)
			r, err := sstable.Open(file, size, sstable.ReaderOptions{Comparer: base.DefaultComparer})
			must(t, err)
			p := r.Properties()
			must(t, r.Close())
			if f.Entries != p.EntryCount || uint64(f.RangeDels) != p.RangeDelCount {
				t.Fatalf("%s: report counts %d entries and %d range tombstones, the table %d and %d",
					f.Path, f.Entries, f.RangeDels, p.EntryCount, p.RangeDelCount)
			}
		case "wal":
			res, err := wal.Salvage(vfs.Default, f.Path, func([]byte, int64) error { return nil })
			must(t, err)
			if f.Batches != res.Records || f.Batches == 0 {
				t.Fatalf("%s: report counts %d batches, the log holds %d", f.Path, f.Batches, res.Records)
			}
		}
	}
}

// readDB opens the database in dir, checks it and returns its contents.
func readDB(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readDBOn(t, vfs.Default, dir)
}

// readDBOn is readDB on fs.
func readDBOn(t *testing.T, fs vfs.FS, dir string) map[string]string {
	t.Helper()
	db, err := tempest.Open(dir, &tempest.Options{FS: fs, MemTableSize: testOutput.MemTableSize})
	must(t, err)
	defer func() { must(t, db.Close()) }()
	must(t, db.Check())
	out := map[string]string{}
	for kv, err := range db.All(nil, nil) {
		must(t, err)
		out[string(kv.Key)] = string(kv.Value)
	}
	return out
}

func union(a, b map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// newestWAL returns the path of the newest WAL of the database in dir and
// checks that it holds records.
func newestWAL(t *testing.T, dir string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.log"))
	slices.Sort(logs)
	if len(logs) == 0 {
		t.Fatal("no WAL")
	}
	p := logs[len(logs)-1]
	res, err := wal.Salvage(vfs.Default, p, func([]byte, int64) error { return nil })
	must(t, err)
	if res.Records < 20 {
		t.Fatalf("%s holds %d records, want the unflushed writes", p, res.Records)
	}
	return p
}

// copyDB copies the database in src to a new directory.
func copyDB(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "src")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	must(t, err)
	return dst
}

// treeHash hashes the names, modes, sizes and contents of every file and
// directory under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		io.WriteString(h, rel+"\x00"+info.Mode().String()+"\x00")
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	must(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

func reportText(rep *Report) string {
	var b strings.Builder
	_, _ = rep.WriteTo(&b)
	return b.String()
}
