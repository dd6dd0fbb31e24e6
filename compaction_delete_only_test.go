package tempest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// deleteOnlyFixture is a DB whose keys key00000..key01999 all sit in the
// bottom level, several files of them, with a model of its contents.
type deleteOnlyFixture struct {
	t     *testing.T
	fs    vfs.FS
	opts  *Options
	d     *DB
	model modelState

	mu     sync.Mutex
	events []CompactionInfo // CompactionEnd calls
}

const deleteOnlyKeys = 2000

func deleteOnlyKey(i int) string { return fmt.Sprintf("key%05d", i) }

func newDeleteOnlyFixture(t *testing.T, configure ...func(*Options)) *deleteOnlyFixture {
	f := &deleteOnlyFixture{t: t, fs: vfs.NewMem(), model: modelState{}}
	o := smallOptions(f.fs)
	for _, c := range configure {
		c(o)
	}
	o.Scheduler = InlineScheduler{} // a flush and the compactions it enables finish within Flush
	o.L0CompactionThreshold = 8     // no L0 compaction gets in the way
	o.EventListener = &EventListener{CompactionEnd: func(info CompactionInfo) {
		f.mu.Lock()
		f.events = append(f.events, info)
		f.mu.Unlock()
	}}
	f.opts = o
	f.d = mustOpen(t, "/db", o)
	b := f.d.NewBatch()
	for i := range deleteOnlyKeys {
		k, v := deleteOnlyKey(i), fmt.Sprintf("v%05d-%0100d", i, i)
		b.Set([]byte(k), []byte(v))
		f.model[k] = v
		if b.Count() == 100 {
			if _, err := f.d.Apply(b, NoSync); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	if err := f.d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	lsm := f.lsm()
	if len(lsm[NumLevels-1]) < 4 || f.d.Metrics().Levels[NumLevels-1].Files != f.files() {
		t.Fatalf("want every file in L6, several of them:\n%s", f.d.Metrics())
	}
	f.takeEvents()
	return f
}

func (f *deleteOnlyFixture) lsm() [NumLevels][]FileInfo {
	f.t.Helper()
	lsm, err := f.d.LSM()
	if err != nil {
		f.t.Fatal(err)
	}
	return lsm
}

func (f *deleteOnlyFixture) files() int {
	n := 0
	for _, level := range f.lsm() {
		n += len(level)
	}
	return n
}

// fileNums returns the numbers of the live files.
func (f *deleteOnlyFixture) fileNums() []uint64 {
	var out []uint64
	for _, level := range f.lsm() {
		for _, fi := range level {
			out = append(out, fi.FileNum)
		}
	}
	slices.Sort(out)
	return out
}

// covered returns the L6 files wholly inside [start, end).
func (f *deleteOnlyFixture) covered(start, end string) []uint64 {
	var out []uint64
	for _, fi := range f.lsm()[NumLevels-1] {
		if string(fi.Smallest) >= start && string(fi.Largest) < end {
			out = append(out, fi.FileNum)
		}
	}
	slices.Sort(out)
	return out
}

func (f *deleteOnlyFixture) takeEvents() []CompactionInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev := f.events
	f.events = nil
	return ev
}

// compactionBytesWritten sums the bytes compactions wrote to L1-L6 (L0
// counts flushes too).
func (f *deleteOnlyFixture) compactionBytesWritten() uint64 {
	var n uint64
	m := f.d.Metrics()
	for _, l := range m.Levels[1:] {
		n += l.BytesWritten
	}
	return n
}

// diskBytes sums the sizes of the SST files on disk.
func (f *deleteOnlyFixture) diskBytes() uint64 {
	f.t.Helper()
	names, err := f.fs.List(f.d.dirs.sst)
	if err != nil {
		f.t.Fatal(err)
	}
	var n uint64
	for _, name := range names {
		st, err := f.fs.Stat(f.fs.PathJoin(f.d.dirs.sst, name))
		if err != nil {
			f.t.Fatal(err)
		}
		n += uint64(st.Size())
	}
	return n
}

func (f *deleteOnlyFixture) deleteRange(start, end string) {
	f.t.Helper()
	if err := f.d.DeleteRange([]byte(start), []byte(end), NoSync); err != nil {
		f.t.Fatal(err)
	}
	for k := range f.model {
		if k >= start && k < end {
			delete(f.model, k)
		}
	}
}

// checkReads compares Get of every key (and of keys around them) and full
// scans in both directions with the model.
func (f *deleteOnlyFixture) checkReads(stage string, r reader, model modelState) {
	f.t.Helper()
	for i := -1; i <= deleteOnlyKeys; i++ {
		k := deleteOnlyKey(i)
		got, err := r.Get([]byte(k))
		want, ok := model[k]
		switch {
		case ok && (err != nil || string(got) != want):
			f.t.Fatalf("%s: get %s = %q, %v; want %q", stage, k, got, err, want)
		case !ok && !errors.Is(err, ErrNotFound):
			f.t.Fatalf("%s: get %s = %q, %v; want ErrNotFound", stage, k, got, err)
		}
	}
	var want []string
	for _, k := range model.sortedKeys(nil, nil) {
		want = append(want, k+"="+model[k])
	}
	it, err := r.NewIter(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	defer it.Close()
	fwd := scanAll(f.t, it)
	var back []string
	for ok := it.Last(); ok; ok = it.Prev() {
		back = append(back, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	if err := it.Error(); err != nil {
		f.t.Fatal(err)
	}
	slices.Reverse(back)
	if !slices.Equal(fwd, want) || !slices.Equal(back, want) {
		f.t.Fatalf("%s: forward scan has %d entries, backward %d, want %d", stage, len(fwd), len(back), len(want))
	}
}

// reader is what DB and Snapshot share.
type reader interface {
	Get(key []byte) ([]byte, error)
	NewIter(o *IterOptions) (*Iterator, error)
}

// checkDeleteOnly checks that exactly one compaction ran since the last
// call, a delete-only one that removed files and wrote nothing, and
// returns the files it removed.
func (f *deleteOnlyFixture) checkDeleteOnly(stage string) []uint64 {
	f.t.Helper()
	ev := f.takeEvents()
	if len(ev) != 1 || ev[0].Kind != "delete-only" || ev[0].Err != nil {
		f.t.Fatalf("%s: compactions %+v, want one delete-only", stage, ev)
	}
	if len(ev[0].Outputs) != 0 || ev[0].BytesOut != 0 || len(ev[0].Inputs) == 0 {
		f.t.Fatalf("%s: delete-only compaction %+v wrote outputs or removed nothing", stage, ev[0])
	}
	in := slices.Clone(ev[0].Inputs)
	slices.Sort(in)
	return in
}

// TestDeleteOnlyCompaction deletes most of a bottom level with one range
// tombstone and checks that, once it is flushed, the files wholly inside
// the range leave the LSM without any compaction output: the event
// listener sees one delete-only compaction of exactly those files, the
// bytes compactions wrote do not move, the SSTs on disk shrink, and every
// read returns the model's answer, also after a reopen.
func TestDeleteOnlyCompaction(t *testing.T) {
	f := newDeleteOnlyFixture(t)
	defer func() { f.d.Close() }()
	const start, end = "key00100", "key01900"
	covered := f.covered(start, end)
	before := f.fileNums()
	written, disk := f.compactionBytesWritten(), f.diskBytes()
	if len(covered) < 2 {
		t.Fatalf("only files %v lie inside the range: the test needs more", covered)
	}

	f.deleteRange(start, end)
	f.checkReads("tombstone in the memtable", f.d, f.model)
	if got := f.fileNums(); !slices.Equal(got, before) {
		t.Fatalf("files changed before the tombstone was flushed: %v -> %v", before, got)
	}
	if err := f.d.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := f.checkDeleteOnly("flushed"); !slices.Equal(got, covered) {
		t.Fatalf("delete-only compaction removed %v, want the covered files %v", got, covered)
	}
	for _, n := range f.fileNums() {
		if slices.Contains(covered, n) {
			t.Fatalf("covered file %d still live:\n%v", n, f.lsm())
		}
	}
	if w := f.compactionBytesWritten(); w != written {
		t.Fatalf("compactions wrote %d bytes, want none", w-written)
	}
	if d := f.diskBytes(); d >= disk/2 {
		t.Fatalf("SSTs on disk: %d bytes, were %d: want less than half", d, disk)
	}
	t.Logf("SSTs on disk: %d -> %d bytes; %d of %d files removed", disk, f.diskBytes(), len(covered), len(before))
	f.checkReads("after the delete-only compaction", f.d, f.model)

	after := f.fileNums()
	mustClose(t, f.d)
	f.d = mustOpen(t, "/db", f.opts)
	if got := f.fileNums(); !slices.Equal(got, after) {
		t.Fatalf("reopen changed the files: %v -> %v", after, got)
	}
	if ev := f.takeEvents(); len(ev) != 0 {
		t.Fatalf("reopen ran compactions %+v", ev)
	}
	f.checkReads("reopened", f.d, f.model)
}

// deleteUnderSnapshot takes a snapshot, deletes [start, end) and flushes,
// checking that no compaction ran (the snapshot needs the covered files);
// it returns the snapshot and the files the tombstone covers.
func (f *deleteOnlyFixture) deleteUnderSnapshot(start, end string) (*Snapshot, []uint64) {
	f.t.Helper()
	covered := f.covered(start, end)
	snap := f.d.NewSnapshot()
	f.deleteRange(start, end)
	if err := f.d.Flush(); err != nil {
		f.t.Fatal(err)
	}
	if ev := f.takeEvents(); len(ev) != 0 {
		f.t.Fatalf("compactions %+v ran while the snapshot needs the files", ev)
	}
	return snap, covered
}

// TestDeleteOnlySnapshot checks that a snapshot older than the tombstone
// keeps the covered files, and reads all their data, until it is closed;
// then the next compaction pick removes them.
func TestDeleteOnlySnapshot(t *testing.T) {
	f := newDeleteOnlyFixture(t)
	defer func() { f.d.Close() }()
	old := f.model.clone()
	snap, covered := f.deleteUnderSnapshot("key00100", "key01900")
	live := f.fileNums()
	for _, n := range covered {
		if !slices.Contains(live, n) {
			t.Fatalf("covered file %d removed while a snapshot reads it", n)
		}
	}
	f.checkReads("snapshot open", f.d, f.model)
	f.checkReads("snapshot", snap, old)

	// Closing the snapshot looks for compactions again (the inline
	// scheduler runs them within Close).
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.checkDeleteOnly("snapshot closed"); !slices.Equal(got, covered) {
		t.Fatalf("delete-only compaction removed %v, want the covered files %v", got, covered)
	}
	f.checkReads("snapshot closed", f.d, f.model)
}

// TestDeleteOnlyAtOpen leaves covered files behind (a snapshot holds
// them) when the DB closes, and checks that Open finds the tombstone in
// the files and removes them.
func TestDeleteOnlyAtOpen(t *testing.T) {
	f := newDeleteOnlyFixture(t)
	defer func() { f.d.Close() }()
	snap, covered := f.deleteUnderSnapshot("key00100", "key01900")
	mustClose(t, f.d) // with the snapshot still open
	if err := snap.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	f.d = mustOpen(t, "/db", f.opts)
	if got := f.checkDeleteOnly("reopened"); !slices.Equal(got, covered) {
		t.Fatalf("delete-only compaction at Open removed %v, want the covered files %v", got, covered)
	}
	f.checkReads("reopened", f.d, f.model)
}

// TestDeleteOnlyManual checks that DB.Compact removes the covered files by
// a delete-only compaction before it rewrites anything, with automatic
// compactions off.
func TestDeleteOnlyManual(t *testing.T) {
	f := newDeleteOnlyFixture(t, func(o *Options) { o.DisableAutomaticCompactions = true })
	defer func() { f.d.Close() }()
	const start, end = "key00100", "key01900"
	covered := f.covered(start, end)
	f.deleteRange(start, end)
	if err := f.d.Flush(); err != nil {
		t.Fatal(err)
	}
	if ev := f.takeEvents(); len(ev) != 0 {
		t.Fatalf("compactions %+v ran with automatic compactions off", ev)
	}
	if err := f.d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	ev := f.takeEvents()
	if len(ev) == 0 || ev[0].Kind != "delete-only" || ev[0].BytesOut != 0 {
		t.Fatalf("compactions %+v: want a delete-only one first", ev)
	}
	got := slices.Clone(ev[0].Inputs)
	slices.Sort(got)
	if !slices.Equal(got, covered) {
		t.Fatalf("delete-only compaction removed %v, want the covered files %v", got, covered)
	}
	f.checkReads("compacted", f.d, f.model)
}

// TestDeleteOnlyConcurrent runs the same deletion with compactions in
// background goroutines while readers iterate and hold snapshots, and
// checks the reads and that the covered files go.
func TestDeleteOnlyConcurrent(t *testing.T) {
	fs := vfs.NewMem()
	o := smallOptions(fs)
	d := mustOpen(t, "/db", o)
	defer d.Close()
	model := modelState{}
	for i := range deleteOnlyKeys {
		k, v := deleteOnlyKey(i), fmt.Sprintf("v%05d-%0100d", i, i)
		mustSet(t, d, k, v, NoSync)
		model[k] = v
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	f := &deleteOnlyFixture{t: t, fs: fs, opts: o, d: d, model: model}
	covered := f.covered("key00100", "key01900")
	old := model.clone()
	snap := d.NewSnapshot()
	it, err := d.NewIter(nil) // reads at its creation, holding its files
	if err != nil {
		t.Fatal(err)
	}
	f.deleteRange("key00100", "key01900")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	waitCompactions(t, d)
	f.checkReads("snapshot", snap, old)
	snap.Close()
	mustSet(t, d, "zzz", "after", NoSync)
	f.model["zzz"] = "after"
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	waitCompactions(t, d)
	live := f.fileNums()
	for _, n := range covered {
		if slices.Contains(live, n) {
			t.Fatalf("covered file %d still live", n)
		}
	}
	// The iterator still reads the files it started with.
	var want []string
	for _, k := range old.sortedKeys(nil, nil) {
		want = append(want, k+"="+old[k])
	}
	if got := scanAll(t, it); !slices.Equal(got, want) {
		t.Fatalf("old iterator: %d entries, want %d", len(got), len(want))
	}
	it.Close()
	f.checkReads("after", d, f.model)
}

// TestDeleteOnlyRandom writes runs of consecutive keys (so that files hold
// narrow key ranges), deletes wide ranges, flushes, opens and closes
// snapshots and reopens the DB at random, checking Gets and iterators (at
// the current state and at snapshots) against a model. It fails if no
// delete-only compaction ran. TEMPEST_DELETE_ONLY_OPS sets the number of
// operations (default 3000); -seed or TEMPEST_SEED replays a run.
func TestDeleteOnlyRandom(t *testing.T) {
	ops := envInt(t, "TEMPEST_DELETE_ONLY_OPS", 3000)
	seed := testSeed(t)
	rng := newRand(seed)
	fs := vfs.NewMem()
	o := smallOptions(fs)
	o.Scheduler = InlineScheduler{} // deterministic: replayable from the seed
	var deleteOnly, removed, compactions atomic.Int64
	o.EventListener = &EventListener{CompactionEnd: func(info CompactionInfo) {
		compactions.Add(1)
		if info.Kind == "delete-only" {
			deleteOnly.Add(1)
			removed.Add(int64(len(info.Inputs)))
			if len(info.Outputs) != 0 || info.BytesOut != 0 {
				t.Errorf("delete-only compaction %+v wrote outputs", info)
			}
		}
	}}
	d := mustOpen(t, "/db", o)
	defer func() { d.Close() }()
	model := modelState{}
	type snap struct {
		s     *Snapshot
		state modelState
	}
	var snaps []snap
	const keys = 2000
	key := func(i int) string { return fmt.Sprintf("k%04d", i) }
	for op := range ops {
		switch r := rng.IntN(100); {
		case r < 40: // a run of consecutive keys
			b := d.NewBatch()
			first, n := rng.IntN(keys), 10+rng.IntN(60)
			for i := first; i < min(first+n, keys); i++ {
				v := fmt.Sprintf("v%d-%s", op, strings.Repeat("x", rng.IntN(60)))
				b.Set([]byte(key(i)), []byte(v))
				model[key(i)] = v
			}
			if _, err := d.Apply(b, NoSync); err != nil {
				t.Fatalf("op %d: %v", op, err)
			}
		case r < 45:
			lo := rng.IntN(keys)
			hi := min(lo+1+rng.IntN(keys/2), keys)
			if err := d.DeleteRange([]byte(key(lo)), []byte(key(hi)), NoSync); err != nil {
				t.Fatalf("op %d: %v", op, err)
			}
			for i := lo; i < hi; i++ {
				delete(model, key(i))
			}
		case r < 65:
			k := key(rng.IntN(keys))
			got, err := d.Get([]byte(k))
			want, ok := model[k]
			if ok != (err == nil) || (ok && string(got) != want) || (!ok && !errors.Is(err, ErrNotFound)) {
				t.Fatalf("op %d: get %s = %q, %v; want %q, %v", op, k, got, err, want, ok)
			}
		case r < 72:
			checkIterator(t, rng, d.NewIter, model, op)
		case r < 77:
			if len(snaps) < 3 {
				snaps = append(snaps, snap{d.NewSnapshot(), model.clone()})
			}
		case r < 82:
			if len(snaps) > 0 {
				i := rng.IntN(len(snaps))
				snaps[i].s.Close()
				snaps = slices.Delete(snaps, i, i+1)
			}
		case r < 90:
			if len(snaps) > 0 {
				s := snaps[rng.IntN(len(snaps))]
				checkIterator(t, rng, s.s.NewIter, s.state, op)
				k := key(rng.IntN(keys))
				got, err := s.s.Get([]byte(k))
				want, ok := s.state[k]
				if ok != (err == nil) || (ok && string(got) != want) {
					t.Fatalf("op %d: snapshot get %s = %q, %v; want %q, %v", op, k, got, err, want, ok)
				}
			}
		case r < 99:
			if err := d.Flush(); err != nil {
				t.Fatalf("op %d: flush: %v", op, err)
			}
		default:
			for _, s := range snaps {
				s.s.Close()
			}
			snaps = nil
			mustClose(t, d)
			d = mustOpen(t, "/db", o)
		}
	}
	for _, s := range snaps {
		checkIterator(t, rng, s.s.NewIter, s.state, ops)
		s.s.Close()
	}
	if deleteOnly.Load() == 0 {
		// Rare seeds draw no range delete that covers a whole file while
		// no snapshot needs it. Then make one: settle everything into
		// the lower levels and delete the whole key space.
		t.Logf("no delete-only compaction in %d ops: deleting everything", ops)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := d.Compact(context.Background(), nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := d.DeleteRange([]byte(key(0)), []byte(key(keys)), NoSync); err != nil {
			t.Fatal(err)
		}
		clear(model)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if got := dump(t, d); !maps.Equal(got, map[string]string(model)) {
		t.Fatalf("final contents: %d keys, model %d", len(got), len(model))
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d compactions, %d delete-only removing %d files", compactions.Load(), deleteOnly.Load(), removed.Load())
	if deleteOnly.Load() == 0 {
		t.Fatal("no delete-only compaction ran: the test exercises nothing")
	}
}
