package tempest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// ingestOptions are smallOptions with automatic compactions on and a
// small target file size, so an export of a few hundred keys spans
// several files.
func ingestOptions(fs vfs.FS) *Options {
	o := smallOptions(fs)
	o.TargetFileSize = 4 << 10
	return o
}

// ingestEntry is one call of an ingest file: a Set (value), a Delete (del)
// or a DeleteRange over [key, end).
type ingestEntry struct {
	key, value, end string
	del             bool
}

// writeIngestFile writes entries (points in key order; ranges first)
// with sstable.Writer's ingest calls into path on fs.
func writeIngestFile(t testing.TB, fs vfs.FS, path string, cmp *base.Comparer, entries ...ingestEntry) {
	t.Helper()
	if err := fs.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: cmp, FileName: path})
	for _, e := range entries {
		switch {
		case e.end != "":
			err = w.DeleteRange([]byte(e.key), []byte(e.end))
		case e.del:
			err = w.Delete([]byte(e.key))
		default:
			err = w.Set([]byte(e.key), []byte(e.value))
		}
		if err != nil {
			w.Abort()
			t.Fatalf("write %s: %v", path, err)
		}
	}
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
}

// fillSpread writes random keys of k000..k399 into d so that they end up
// at several levels: a first round compacted to the bottom, a second
// flushed to L0, a third left in the memtable. Deletes and range deletes
// are among them. It updates model.
func fillSpread(t *testing.T, d *DB, rng *rand.Rand, model modelState, tag string) {
	t.Helper()
	for round := range 3 {
		for i := range 150 {
			k := fmt.Sprintf("k%03d", rng.IntN(400))
			switch rng.IntN(12) {
			case 0:
				if err := d.Delete([]byte(k), nil); err != nil {
					t.Fatal(err)
				}
				delete(model, k)
			case 1:
				end := fmt.Sprintf("k%03d", rng.IntN(400))
				if k >= end || end > k[:2]+"9" {
					continue // at most a few dozen keys
				}
				if err := d.DeleteRange([]byte(k), []byte(end), nil); err != nil {
					t.Fatal(err)
				}
				for _, mk := range model.sortedKeys([]byte(k), []byte(end)) {
					delete(model, mk)
				}
			default:
				v := fmt.Sprintf("%s-r%d-%d-%s", tag, round, i, strings.Repeat("v", rng.IntN(60)))
				mustSet(t, d, k, v, nil)
				model[k] = v
			}
		}
		switch round {
		case 0:
			if err := d.Compact(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkModel compares d's contents with model by a full scan, point
// reads and random iterator walks.
func checkModel(t *testing.T, d *DB, rng *rand.Rand, model modelState, what string) {
	t.Helper()
	if got := dump(t, d); !maps.Equal(got, model) {
		t.Fatalf("%s: DB holds %d keys, model %d\nDB:    %v\nmodel: %v", what, len(got), len(model), got, model)
	}
	for range 50 {
		k := fmt.Sprintf("k%03d", rng.IntN(400))
		if v, ok := model[k]; ok {
			mustGet(t, d, k, v)
		} else {
			mustNotFound(t, d, k)
		}
	}
	checkIterator(t, rng, d.NewIter, model, 0)
	if err := d.Check(); err != nil {
		t.Fatalf("%s: Check: %v", what, err)
	}
}

// levelsUsed returns the levels holding files in d's current version.
func levelsUsed(d *DB) []int {
	var out []int
	for l, files := range d.manifest.Version().Levels {
		if len(files) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// TestExportIngestMovesRange moves a random range from one DB to another
// with Export and IngestAndReplace, A to B and then B to A, several
// times. Each source holds the range across its memtable, L0 and deeper
// levels, and each destination holds other keys there at several levels:
// afterwards the destination's range holds exactly the source's live
// entries and the rest is untouched (checked against models), a
// snapshot taken before sees the old state, and all of it survives
// compaction and reopen.
func TestExportIngestMovesRange(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	fs := vfs.NewMem()
	dbs := [2]*DB{mustOpen(t, "/a", ingestOptions(fs)), mustOpen(t, "/b", ingestOptions(fs))}
	models := [2]modelState{{}, {}}
	dirs := [2]string{"/a", "/b"}
	for i := range dbs {
		fillSpread(t, dbs[i], rng, models[i], dirs[i])
	}
	for step := range 4 {
		src, dst := step%2, 1-step%2
		fillSpread(t, dbs[dst], rng, models[dst], fmt.Sprintf("%s%d", dirs[dst], step))
		fillSpread(t, dbs[src], rng, models[src], fmt.Sprintf("%s%d", dirs[src], step))
		if lv := levelsUsed(dbs[src]); len(lv) < 2 || lv[0] != 0 || dbs[src].mu.mem.empty() {
			t.Fatalf("step %d: source levels %v, memtable empty %v: want the memtable, L0 and a deeper level",
				step, lv, dbs[src].mu.mem.empty())
		}
		a, b := rng.IntN(400), rng.IntN(400)
		lower, upper := []byte(fmt.Sprintf("k%03d", min(a, b))), []byte(fmt.Sprintf("k%03d", max(a, b)+1))
		what := fmt.Sprintf("step %d (%s to %s, [%s, %s))", step, dirs[src], dirs[dst], lower, upper)

		dest := fmt.Sprintf("/export%d", step)
		paths, err := dbs[src].Export(lower, upper, dest)
		if err != nil {
			t.Fatalf("%s: export: %v", what, err)
		}
		want := models[dst].clone()
		before := dbs[dst].NewSnapshot()
		tok, err := dbs[dst].IngestAndReplace(paths, lower, upper)
		if err != nil {
			t.Fatalf("%s: ingest: %v", what, err)
		}
		for _, k := range want.sortedKeys(lower, upper) {
			delete(want, k)
		}
		for _, k := range models[src].sortedKeys(lower, upper) {
			want[k] = models[src][k]
		}
		checkModel(t, dbs[dst], rng, want, what)
		checkSnapshot(t, before, models[dst], what)
		before.Close()
		if s, err := dbs[dst].NewSnapshotAt(tok); err != nil {
			t.Fatalf("%s: snapshot at the token: %v", what, err)
		} else {
			checkSnapshot(t, s, want, what+" at the token")
			s.Close()
		}
		models[dst] = want
		var placed []int
		for _, f := range allFiles(dbs[dst]) {
			if f.GlobalSeq == base.SeqNum(tok.SeqNum()) {
				placed = append(placed, f.Level)
			}
		}
		t.Logf("%s: %d files, %d keys, ingested at levels %v, levels now %v",
			what, len(paths), len(models[src].sortedKeys(lower, upper)), placed, levelsUsed(dbs[dst]))

		mustClose(t, dbs[dst])
		dbs[dst] = mustOpen(t, dirs[dst], ingestOptions(fs))
		checkModel(t, dbs[dst], rng, want, what+" after reopen")
		if step%2 == 1 {
			if err := dbs[dst].Compact(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
			checkModel(t, dbs[dst], rng, want, what+" after compaction")
		}
	}
	for _, d := range dbs {
		mustClose(t, d)
	}
}

// checkSnapshot compares the contents read at s with model.
func checkSnapshot(t *testing.T, s *Snapshot, model modelState, what string) {
	t.Helper()
	it, err := s.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	got := modelState{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, model) {
		t.Fatalf("%s: snapshot holds %d keys, want %d", what, len(got), len(model))
	}
	for k, v := range model {
		if g, err := s.Get([]byte(k)); err != nil || string(g) != v {
			t.Fatalf("%s: snapshot get %q = %q, %v; want %q", what, k, g, err, v)
		}
	}
}

// TestIngestShadows ingests files over keys held at every level and in
// the memtable: their sets, deletes and range tombstones win over the
// older versions for reads at the token, a snapshot taken before sees
// the old values, and both hold through flush, compaction and reopen,
// where the compaction rewrites the ingested entries at their real
// seqnum.
func TestIngestShadows(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", ingestOptions(fs))
	old := modelState{}
	for i := range 60 {
		k := fmt.Sprintf("k%03d", i)
		mustSet(t, d, k, "old-"+k, nil)
		old[k] = "old-" + k
		switch i {
		case 19:
			if err := d.Compact(context.Background(), nil, nil); err != nil {
				t.Fatal(err)
			}
		case 39:
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeIngestFile(t, fs, "/in/1.sst", d.cmp,
		ingestEntry{key: "k010", end: "k015"},
		ingestEntry{key: "k005", value: "new5"},
		ingestEntry{key: "k012", value: "new12"},
		ingestEntry{key: "k025", del: true},
		ingestEntry{key: "k045", value: "new45"})
	writeIngestFile(t, fs, "/in/2.sst", d.cmp,
		ingestEntry{key: "k055", value: "new55"},
		ingestEntry{key: "k070", value: "new70"})
	snap := d.NewSnapshot()
	defer snap.Close()
	tok, err := d.Ingest([]string{"/in/1.sst", "/in/2.sst"})
	if err != nil {
		t.Fatal(err)
	}
	want := old.clone()
	for _, k := range want.sortedKeys([]byte("k010"), []byte("k015")) {
		delete(want, k)
	}
	delete(want, "k025")
	for k, v := range map[string]string{"k005": "new5", "k012": "new12", "k045": "new45", "k055": "new55", "k070": "new70"} {
		want[k] = v
	}
	rng := newRand(testSeed(t))
	checkModel(t, d, rng, want, "after ingest")
	checkSnapshot(t, snap, old, "snapshot before the ingest")
	if _, err := fs.Stat("/in/1.sst"); err != nil {
		t.Fatalf("the input is gone: %v", err)
	}
	for _, f := range allFiles(d) {
		if f.GlobalSeq != 0 && (f.GlobalSeq != base.SeqNum(tok.SeqNum()) || f.LargestSeq != f.GlobalSeq) {
			t.Fatalf("ingested file %s, want global seqnum %d", f, tok.SeqNum())
		}
	}
	mustSet(t, d, "k005", "newer5", nil)
	want["k005"] = "newer5"
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	checkModel(t, d, rng, want, "after compaction")
	checkSnapshot(t, snap, old, "snapshot after compaction")
	for _, f := range allFiles(d) {
		if f.GlobalSeq != 0 {
			t.Fatalf("after a full compaction, file %s is still read at a global seqnum", f)
		}
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", ingestOptions(fs))
	defer mustClose(t, d)
	checkModel(t, d, rng, want, "after reopen")
	if got := d.visibleSeq.Load(); got < tok.SeqNum() {
		t.Fatalf("reopened at seqnum %d, below the ingest's %d", got, tok.SeqNum())
	}
}

// allFiles returns every file of d's current version.
func allFiles(d *DB) []*manifest.FileMetadata {
	var out []*manifest.FileMetadata
	for _, files := range d.manifest.Version().Levels {
		out = append(out, files...)
	}
	return out
}

// TestIngestFormatVersion: below FormatVersion3 Ingest fails with
// ErrInvalidArgument asking for the ratchet and changes nothing; after
// RatchetFormatVersion(3) it succeeds. A read-only DB refuses with
// ErrReadOnly; a new DB is at the newest version.
func TestIngestFormatVersion(t *testing.T) {
	fs := vfs.NewMem()
	o := ingestOptions(fs)
	o.FormatVersion = FormatVersion2
	d := mustOpen(t, "/db", o)
	mustSet(t, d, "a", "1", nil)
	writeIngestFile(t, fs, "/in.sst", d.cmp, ingestEntry{key: "b", value: "2"})
	if _, err := d.Ingest([]string{"/in.sst"}); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "ratchet") {
		t.Fatalf("ingest at version 2: %v, want ErrInvalidArgument asking for the ratchet", err)
	}
	mustNotFound(t, d, "b")
	if err := d.RatchetFormatVersion(FormatVersion3); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ingest([]string{"/in.sst"}); err != nil {
		t.Fatal(err)
	}
	mustGet(t, d, "b", "2")
	mustClose(t, d)

	o = ingestOptions(fs)
	o.ReadOnly = true
	d = mustOpen(t, "/db", o)
	if _, err := d.Ingest([]string{"/in.sst"}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only ingest: %v, want ErrReadOnly", err)
	}
	if _, err := d.IngestAndReplace(nil, []byte("a"), []byte("z")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only ingest and replace: %v, want ErrReadOnly", err)
	}
	mustGet(t, d, "b", "2")
	mustClose(t, d)

	d = mustOpen(t, "/new", ingestOptions(fs))
	defer mustClose(t, d)
	if v := d.FormatVersion(); v != newDBDefaultFormat || v < FormatVersion3 {
		t.Fatalf("new DB at version %d (default %d), want the default, at least 3", v, newDBDefaultFormat)
	}
	writeIngestFile(t, fs, "/ext/new.sst", d.cmp, ingestEntry{key: "q", value: "9"})
	if _, err := d.Ingest([]string{"/ext/new.sst"}); err != nil {
		t.Fatalf("ingest into a new DB: %v", err)
	}
	mustGet(t, d, "q", "9")
}

// TestIngestPlacement: each file goes to the deepest level such that
// nothing at or above it overlaps the file (prefixes compared), L0 when
// L0 overlaps; the files of one ingestion may share L0; the tombstone of
// IngestAndReplace sits above the files it spans. Reads are right
// throughout, and after compactions.
func TestIngestPlacement(t *testing.T) {
	fs := vfs.NewMem()
	o := ingestOptions(fs)
	o.DisableAutomaticCompactions = true
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	model := modelState{}
	set := func(k, v string) { mustSet(t, d, k, v, nil); model[k] = v }
	set("a", "a0")
	set("m", "m0")
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	set("x", "x0")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	set("q", "q0") // in the memtable: flushed to L0 by the ingest
	ingested := func(tok WriteToken) []int {
		var levels []int
		for _, f := range allFiles(d) {
			if f.GlobalSeq == base.SeqNum(tok.SeqNum()) {
				levels = append(levels, f.Level)
			}
		}
		return levels
	}
	steps := []struct {
		name    string
		files   [][]ingestEntry
		replace []string // lower, upper for IngestAndReplace
		want    []int    // levels of the ingested files, in version order
	}{
		{"under L6's range", [][]ingestEntry{{{key: "c", value: "c1"}, {key: "d", value: "d1"}}}, nil, []int{5}},
		{"past everything", [][]ingestEntry{{{key: "y", value: "y1"}, {key: "z", value: "z1"}}}, nil, []int{6}},
		{"over L0", [][]ingestEntry{{{key: "w", value: "w1"}, {key: "x", value: "x1"}}}, nil, []int{0}},
		{"beside L0", [][]ingestEntry{{{key: "p", value: "p1"}}}, nil, []int{6}},
		{"two files over L0", [][]ingestEntry{{{key: "pp", value: "p2"}, {key: "q", value: "q1"}}, {{key: "wa", value: "w2"}, {key: "x", value: "x2"}}}, nil, []int{0, 0}},
		{"replace", [][]ingestEntry{{{key: "e", value: "e1"}}, {{key: "g", value: "g1"}}}, []string{"e", "h"}, []int{4, 5, 5}},
	}
	rng := newRand(testSeed(t))
	for i, st := range steps {
		var paths []string
		for j, entries := range st.files {
			p := fmt.Sprintf("/in/%d-%d.sst", i, j)
			writeIngestFile(t, fs, p, d.cmp, entries...)
			paths = append(paths, p)
			for _, e := range entries {
				model[e.key] = e.value
			}
		}
		var tok WriteToken
		var err error
		if st.replace != nil {
			tok, err = d.IngestAndReplace(paths, []byte(st.replace[0]), []byte(st.replace[1]))
		} else {
			tok, err = d.Ingest(paths)
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := ingested(tok); fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Fatalf("%s: ingested at levels %v, want %v\n%s", st.name, got, st.want, d.manifest.Version())
		}
		checkModel(t, d, rng, model, st.name)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	checkModel(t, d, rng, model, "after compaction")
}

// TestIngestBadFiles: a damaged file, one whose keys are out of order,
// one written with another comparer or with seqnums, an empty one, a
// missing one, files that overlap, and a file outside the range of
// IngestAndReplace are refused with the typed error, and the DB is
// unchanged: the same files on disk and the same contents.
func TestIngestBadFiles(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", ingestOptions(fs))
	defer mustClose(t, d)
	for i := range 30 {
		mustSet(t, d, fmt.Sprintf("k%02d", i), "v", nil)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	good := func(path string, keys ...string) string {
		var es []ingestEntry
		for _, k := range keys {
			es = append(es, ingestEntry{key: k, value: "new"})
		}
		writeIngestFile(t, fs, path, d.cmp, es...)
		return path
	}
	flipped := good("/bad/flipped.sst", "k01", "k02")
	flipByte(t, fs, flipped, 10)
	// The default comparer's name over the reverse order: the table's
	// keys are out of order for the DB.
	reversed := &base.Comparer{
		Name:          base.DefaultComparer.Name,
		Split:         func(k []byte) int { return len(k) },
		ComparePrefix: func(a, b []byte) int { return bytes.Compare(b, a) },
		CompareSuffix: func(a, b []byte) int { return 0 },
	}
	writeIngestFile(t, fs, "/bad/unsorted.sst", reversed,
		ingestEntry{key: "k05", value: "x"}, ingestEntry{key: "k04", value: "x"}, ingestEntry{key: "k03", value: "x"})
	other := &base.Comparer{
		Name:          "other-comparer",
		Split:         func(k []byte) int { return len(k) },
		ComparePrefix: bytes.Compare,
		CompareSuffix: func(a, b []byte) int { return 0 },
	}
	writeIngestFile(t, fs, "/bad/comparer.sst", other, ingestEntry{key: "k01", value: "x"})
	writeIngestFile(t, fs, "/bad/empty.sst", d.cmp)
	writeSeqnumFile(t, fs, "/bad/seqnums.sst", d.cmp)
	cases := []struct {
		name    string
		paths   []string
		replace []string
		want    error
	}{
		{"flipped byte", []string{flipped}, nil, ErrCorruption},
		{"unsorted", []string{"/bad/unsorted.sst"}, nil, ErrCorruption},
		{"wrong comparer", []string{"/bad/comparer.sst"}, nil, ErrInvalidArgument},
		{"written with seqnums", []string{"/bad/seqnums.sst"}, nil, ErrInvalidArgument},
		{"empty", []string{"/bad/empty.sst"}, nil, ErrInvalidArgument},
		{"missing", []string{good("/ok/1.sst", "k01"), "/bad/missing.sst"}, nil, ErrInvalidArgument},
		{"overlapping", []string{good("/ok/2.sst", "k01", "k05"), good("/ok/3.sst", "k03")}, nil, ErrInvalidArgument},
		{"good then bad", []string{good("/ok/4.sst", "k40"), flipped}, nil, ErrCorruption},
		{"outside the range", []string{good("/ok/5.sst", "k10", "k20")}, []string{"k10", "k20"}, ErrInvalidArgument},
		{"empty range", nil, []string{"k20", "k10"}, ErrInvalidArgument},
	}
	for _, tc := range cases {
		before, contents := memTree(t, fs, "/db"), dump(t, d)
		var err error
		if tc.replace != nil {
			_, err = d.IngestAndReplace(tc.paths, []byte(tc.replace[0]), []byte(tc.replace[1]))
		} else {
			_, err = d.Ingest(tc.paths)
		}
		if !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if diff := diffTrees(before, memTree(t, fs, "/db")); diff != "" {
			t.Fatalf("%s: the refused ingest changed files: %s", tc.name, diff)
		}
		if got := dump(t, d); !maps.Equal(got, contents) {
			t.Fatalf("%s: the refused ingest changed the contents", tc.name)
		}
	}
	if _, err := d.Ingest([]string{"/ok/1.sst", "/ok/4.sst"}); err != nil {
		t.Fatalf("the good files after the refusals: %v", err)
	}
	mustGet(t, d, "k40", "new")
}

// flipByte flips one bit of byte off of the file path.
func flipByte(t *testing.T, fs vfs.FS, path string, off int64) {
	t.Helper()
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := f.Size()
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data[off] ^= 0x01
	g, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write(data); err != nil {
		t.Fatal(err)
	}
	g.Close()
}

// writeSeqnumFile writes a table with internal keys at seqnum 5, as a
// flush would: not a file for ingest.
func writeSeqnumFile(t *testing.T, fs vfs.FS, path string, cmp *base.Comparer) {
	t.Helper()
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: cmp})
	if err := w.Add(base.MakeInternalKey([]byte("k01"), 5, base.KindSet), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestIngestConcurrentWrites ingests files while four goroutines commit
// batches to other keys and compactions run: every acknowledged write
// and every ingested key is there afterwards, and after a reopen, and
// each ingest's token orders it after every write acknowledged before
// the call.
func TestIngestConcurrentWrites(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", ingestOptions(fs))
	var wg sync.WaitGroup
	written := make([]modelState, 4)
	errs := make(chan error, 4)
	for w := range written {
		written[w] = modelState{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				k, v := fmt.Sprintf("w%d-%03d", w, i%120), fmt.Sprintf("v%d", i)
				if err := d.Set([]byte(k), []byte(v), nil); err != nil {
					errs <- err
					return
				}
				written[w][k] = v
			}
		}()
	}
	want := modelState{}
	for i := range 10 {
		path := fmt.Sprintf("/in/%d.sst", i)
		var es []ingestEntry
		for j := range 20 {
			k := fmt.Sprintf("i%02d-%02d", i, j)
			es = append(es, ingestEntry{key: k, value: "ingested"})
			want[k] = "ingested"
		}
		writeIngestFile(t, fs, path, d.cmp, es...)
		before := d.visibleSeq.Load()
		tok, err := d.Ingest([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		if tok.SeqNum() <= before {
			t.Fatalf("ingest %d at seqnum %d, not after %d visible before the call", i, tok.SeqNum(), before)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, m := range written {
		maps.Copy(want, m)
	}
	if got := dump(t, d); !maps.Equal(got, want) {
		t.Fatalf("DB holds %d keys, want %d", len(got), len(want))
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", ingestOptions(fs))
	defer mustClose(t, d)
	if got := dump(t, d); !maps.Equal(got, want) {
		t.Fatalf("after reopen: DB holds %d keys, want %d", len(got), len(want))
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestIngestAfterEmptyBatch checks an ingestion after a batch that left
// no entry in the memtable: the batch's WAL must not outlive the edit
// that records the ingestion's seqnum as flushed, or the next Open finds
// a live WAL batch at or below the manifest's flushed seqnum and refuses
// the database as rolled back. The same holds for Flush.
func TestIngestAfterEmptyBatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(t *testing.T, d *DB, fs vfs.FS)
	}{
		{"ingest", func(t *testing.T, d *DB, fs vfs.FS) {
			writeIngestFile(t, fs, "/in/1.sst", d.cmp, ingestEntry{key: "b", value: "ingested"})
			if _, err := d.Ingest([]string{"/in/1.sst"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"flush", func(t *testing.T, d *DB, _ vfs.FS) {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			d := mustOpen(t, "/db", ingestOptions(fs))
			mustSet(t, d, "a", "1", nil)
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Apply(d.NewBatch(), nil); err != nil {
				t.Fatal(err)
			}
			tc.after(t, d, fs)
			mustSet(t, d, "c", "3", nil)
			mustClose(t, d)
			d = mustOpen(t, "/db", ingestOptions(fs))
			defer mustClose(t, d)
			want := modelState{"a": "1", "c": "3"}
			if tc.name == "ingest" {
				want["b"] = "ingested"
			}
			for k, v := range want {
				got, err := d.Get([]byte(k))
				if err != nil || string(got) != v {
					t.Fatalf("%s = %q, %v; want %q", k, got, err, v)
				}
			}
		})
	}
}
