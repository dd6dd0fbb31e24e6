package compact

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// TestRandomCompactions drives the picker with a simulated engine whose
// SSTs are lists of entries: random flushes into L0, picks (automatic and
// manual) held as in progress, executions of in-progress compactions in
// random order (merging entries, dropping what no reader can see, and
// splitting outputs at random points, even between versions of one key),
// and snapshots taken and released. It checks:
//
//   - every picked compaction is well formed (see checkCompaction): its
//     inputs are live and idle, a consistent atomic set, with every
//     overlapping output-level file, it conflicts with nothing in progress,
//     and its derived fields are right;
//   - after every execution, the Version keeps its invariants (so
//     concurrent compactions never wrote overlapping ranges of a level) and
//     every key reads, at the current sequence number and at every open
//     snapshot, the value the model of all writes gives, reading sources
//     in LSM order and stopping at the first one holding the key (so no
//     newer version ever ended up below an older one, and nothing visible
//     was dropped);
//   - the picker converges: with nothing in progress, picking and running
//     compactions one at a time ends within a bound, with every score
//     below 1.
//
// TEMPEST_COMPACT_STEPS sets the steps per run (default 3000); -seed or
// TEMPEST_SEED replays a run.
func TestRandomCompactions(t *testing.T) {
	steps := 3000
	if s, err := strconv.Atoi(os.Getenv("TEMPEST_COMPACT_STEPS")); err == nil && s > 0 {
		steps = s
	}
	seed := testSeed(t)
	for run := 0; run < 4; run++ {
		runSeed := seed + uint64(run)
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			s := newSim(t, runSeed)
			for i := 0; i < steps; i++ {
				s.step(i)
			}
			s.quiesce("end")
			t.Logf("compactions run by kind: %v; files at the end: %d", s.kinds, len(s.files))
		})
	}
}

const simEntrySize = 100

type simEntry struct {
	key  []byte
	ki   int // index of key in sim.keys
	seq  base.SeqNum
	kind base.Kind
}

type sim struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	cmp   *base.Comparer
	p     *Picker
	keys  [][]byte
	files map[base.FileNum]*manifest.FileMetadata
	data  map[base.FileNum][]simEntry // entries in internal-key order
	v     *manifest.Version

	nextFile   base.FileNum
	nextSeq    base.SeqNum
	model      map[string][]simEntry // every write, by user key
	snapshots  []base.SeqNum
	inProgress []*Compaction
	log        []string // recent actions, printed on failure
	kinds      map[string]int
	delRate    float64 // fraction of flushed entries that are tombstones
}

func newSim(t *testing.T, seed uint64) *sim {
	rng := newRand(seed)
	s := &sim{
		t: t, seed: seed, rng: rng,
		files:    make(map[base.FileNum]*manifest.FileMetadata),
		data:     make(map[base.FileNum][]simEntry),
		model:    make(map[string][]simEntry),
		nextFile: 1,
		nextSeq:  base.SeqNumStart,
		kinds:    make(map[string]int),
	}
	s.cmp = base.DefaultComparer
	if rng.IntN(2) == 0 {
		s.cmp = base.FixedSuffixComparer(1)
	}
	opts := Options{
		L0CompactionThreshold:   2 + rng.IntN(4),
		LBaseMaxBytes:           uint64(2000 + rng.IntN(6000)),
		LevelMultiplier:         2 + rng.IntN(5),
		TargetFileSize:          uint64(500 + rng.IntN(1500)),
		TombstoneDensity:        0.3 + 0.6*rng.Float64(),
		MinTombstoneFileEntries: uint64(1 + rng.IntN(20)),
	}
	if rng.IntN(2) == 0 {
		opts.MaxCompactionBytes = uint64(2000 + rng.IntN(20000))
	}
	s.p = NewPicker(s.cmp, opts)
	s.delRate = 0.8 * rng.Float64()
	for i := 0; i < 12+rng.IntN(40); i++ {
		k := []byte(fmt.Sprintf("k%02d", i))
		s.keys = append(s.keys, k)
		if s.cmp != base.DefaultComparer { // versions of the same prefix
			for j := rng.IntN(3); j > 0; j-- {
				s.keys = append(s.keys, append(slices.Clone(k), byte('0'+j)))
			}
		}
	}
	s.logf("seed=%d cmp=%s opts=%+v keys=%d deletions=%.2f", seed, s.cmp.Name, s.p.Options(), len(s.keys), s.delRate)
	s.rebuild()
	return s
}

func (s *sim) logf(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf(format, args...))
	if len(s.log) > 60 {
		s.log = s.log[len(s.log)-60:]
	}
}

func (s *sim) fatalf(format string, args ...any) {
	s.t.Helper()
	var inProgress []string
	for _, c := range s.inProgress {
		inProgress = append(inProgress, "  "+c.String())
	}
	s.t.Fatalf("seed=%d: %s\nversion:\n%s\nin progress:\n%s\nrecent:\n  %s", s.seed, fmt.Sprintf(format, args...),
		formatLSMLines(s.cmp, s.v), joinLines(inProgress), joinLines(s.log))
}

func formatLSMLines(cmp *base.Comparer, v *manifest.Version) string {
	if v == nil {
		return "(none)"
	}
	return joinLines(formatLSM(cmp, v))
}

func joinLines(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

// step runs one random action.
func (s *sim) step(i int) {
	s.t.Helper()
	switch r := s.rng.IntN(100); {
	case r < 30:
		s.flush()
	case r < 60:
		s.pick(false)
	case r < 65:
		s.pick(true)
	case r < 92:
		if len(s.inProgress) > 0 {
			s.execute(s.rng.IntN(len(s.inProgress)))
		}
	case r < 96:
		s.snapshots = append(s.snapshots, s.nextSeq-1)
		s.logf("snapshot at %d", uint64(s.nextSeq-1))
	default:
		if len(s.snapshots) > 0 {
			j := s.rng.IntN(len(s.snapshots))
			s.logf("release snapshot %d", uint64(s.snapshots[j]))
			s.snapshots = slices.Delete(s.snapshots, j, j+1)
		}
	}
	if i%200 == 199 {
		s.quiesce(fmt.Sprintf("step %d", i))
	}
}

// flush writes a new L0 file of entries, each with its own seqnum: random
// keys, or a window of adjacent keys (so files have narrow ranges), and
// at a random deletion rate, or all deletions.
func (s *sim) flush() {
	n := 1 + s.rng.IntN(25)
	delRate := s.delRate
	if s.rng.IntN(8) == 0 {
		delRate = 1
	}
	window := len(s.keys)
	if s.rng.IntN(2) == 0 {
		window = 1 + s.rng.IntN(min(8, len(s.keys)))
	}
	first := s.rng.IntN(len(s.keys) - window + 1)
	var entries []simEntry
	for j := 0; j < n; j++ {
		ki := first + s.rng.IntN(window)
		e := simEntry{key: s.keys[ki], ki: ki, seq: s.nextSeq, kind: base.KindSet}
		s.nextSeq++
		if s.rng.Float64() < delRate {
			e.kind = base.KindDelete
		}
		entries = append(entries, e)
		s.model[string(e.key)] = append(s.model[string(e.key)], e)
	}
	f := s.addFile(0, entries)
	s.logf("flush %d: %d entries", uint64(f.FileNum), n)
	s.rebuild()
}

// addFile records a new file at level holding entries.
func (s *sim) addFile(level int, entries []simEntry) *manifest.FileMetadata {
	sort.Slice(entries, func(i, j int) bool { return s.ikey(entries[i]).lessThan(s.cmp, s.ikey(entries[j])) })
	f := &manifest.FileMetadata{FileNum: s.nextFile, Level: level, Size: uint64(len(entries)) * simEntrySize,
		Smallest: s.ikey(entries[0]).k, Largest: s.ikey(entries[len(entries)-1]).k,
		SmallestSeq: base.SeqNumMax, EntryCount: uint64(len(entries))}
	s.nextFile++
	for _, e := range entries {
		f.SmallestSeq = min(f.SmallestSeq, e.seq)
		f.LargestSeq = max(f.LargestSeq, e.seq)
		if e.kind == base.KindDelete {
			f.DeletionCount++
		}
	}
	s.files[f.FileNum] = f
	s.data[f.FileNum] = entries
	return f
}

type ikeyWrap struct{ k base.InternalKey }

func (s *sim) ikey(e simEntry) ikeyWrap { return ikeyWrap{base.MakeInternalKey(e.key, e.seq, e.kind)} }

func (a ikeyWrap) lessThan(cmp *base.Comparer, b ikeyWrap) bool {
	return cmp.CompareInternal(a.k, b.k) < 0
}

func (s *sim) rebuild() {
	s.t.Helper()
	files := make([]*manifest.FileMetadata, 0, len(s.files))
	for _, f := range s.files {
		files = append(files, f)
	}
	v, err := manifest.NewVersion(s.cmp, files)
	if err != nil {
		s.fatalf("version: %v", err)
	}
	s.v = v
	info := s.p.Info(v, s.inProgress)
	for level := 1; level < info.BaseLevel; level++ {
		if len(v.Levels[level]) > 0 {
			s.fatalf("L%d is above the base level L%d but holds files", level, info.BaseLevel)
		}
	}
	s.checkReads()
}

func (s *sim) oldestSnapshot() base.SeqNum {
	if len(s.snapshots) == 0 {
		return base.SeqNumMax
	}
	return slices.Min(s.snapshots)
}

// pick picks a compaction (or a manual one), checks it, and holds it.
func (s *sim) pick(manual bool) {
	s.t.Helper()
	var c *Compaction
	if manual {
		level := s.rng.IntN(NumLevels)
		var start, end []byte
		if s.rng.IntN(3) > 0 {
			start = s.keys[s.rng.IntN(len(s.keys))]
		}
		if s.rng.IntN(3) > 0 {
			end = s.keys[s.rng.IntN(len(s.keys))]
		}
		c = s.p.PickManual(s.v, level, start, end, s.inProgress)
	} else {
		c = s.p.PickAt(s.v, s.inProgress, s.oldestSnapshot())
	}
	if c == nil {
		return
	}
	s.logf("pick %s", c)
	s.checkCompaction(c, manual)
	s.inProgress = append(s.inProgress, c)
}

// checkCompaction checks that c is well formed against s.v and the
// compactions in progress.
func (s *sim) checkCompaction(c *Compaction, manual bool) {
	s.t.Helper()
	v, cmp := s.v, s.cmp
	info := s.p.Info(v, s.inProgress)
	for _, ip := range s.inProgress {
		if Overlaps(c, ip) || Overlaps(ip, c) {
			s.fatalf("%s conflicts with %s in progress", c, ip)
		}
	}
	busy := newCompacting(s.inProgress)
	live := func(files []*manifest.FileMetadata, level int) {
		for _, f := range files {
			if g := s.files[f.FileNum]; g == nil || g.Level != level || busy.has(f) {
				s.fatalf("%s: file %d is not live and idle in L%d", c, uint64(f.FileNum), level)
			}
		}
	}
	live(c.Inputs, c.StartLevel)
	live(c.OutputLevelInputs, c.OutputLevel)
	if len(c.Inputs) == 0 {
		s.fatalf("%s: no inputs", c)
	}
	switch {
	case c.Kind == KindIntraL0:
		if c.StartLevel != 0 || c.OutputLevel != 0 || len(c.Inputs) < minIntraL0Files {
			s.fatalf("%s: bad intra-L0", c)
		}
		i := slices.Index(v.Levels[0], c.Inputs[0])
		if i < 0 || !slices.Equal(v.Levels[0][i:min(i+len(c.Inputs), len(v.Levels[0]))], c.Inputs) {
			s.fatalf("%s: intra-L0 inputs are not a contiguous run of L0", c)
		}
	case c.StartLevel == c.OutputLevel:
		if c.StartLevel == 0 || len(c.OutputLevelInputs) > 0 ||
			!(c.Kind == KindDeleteOnly || c.Kind == KindTombstoneDensity || (c.Kind == KindManual && c.StartLevel == lastLevel)) {
			s.fatalf("%s: bad compaction into its own level", c)
		}
	case c.StartLevel == 0:
		if c.OutputLevel != info.BaseLevel {
			s.fatalf("%s: L0 compacts into L%d, not the base level L%d", c, c.OutputLevel, info.BaseLevel)
		}
	default:
		if c.OutputLevel != c.StartLevel+1 {
			s.fatalf("%s: skips a level", c)
		}
	}
	lo, hi := s.p.bounds(c.Inputs)
	if c.Kind != KindIntraL0 {
		// The inputs are a closed, atomic set of their level.
		if got := v.OverlapsAtomic(cmp, c.StartLevel, bound(lo.UserKey), bound(hi.UserKey)); !slices.Equal(got, c.Inputs) {
			s.fatalf("%s: inputs are not atomic: want %v", c, fileList(got))
		}
	}
	if c.StartLevel != c.OutputLevel {
		if got := v.OverlapsAtomic(cmp, c.OutputLevel, bound(lo.UserKey), bound(hi.UserKey)); !slices.Equal(got, c.OutputLevelInputs) {
			s.fatalf("%s: outputs are not the overlapping files %v", c, fileList(got))
		}
	}
	if slo, shi := s.p.bounds(c.Inputs, c.OutputLevelInputs); cmp.CompareInternal(slo, c.Smallest) != 0 || cmp.CompareInternal(shi, c.Largest) != 0 {
		s.fatalf("%s: bounds are not those of its files", c)
	}
	bottommost := c.Kind != KindIntraL0
	for level := c.OutputLevel + 1; level < NumLevels; level++ {
		if len(v.Overlaps(cmp, level, bound(c.Smallest.UserKey), bound(c.Largest.UserKey))) > 0 {
			bottommost = false
		}
	}
	if bottommost != c.IsBottommost {
		s.fatalf("%s: IsBottommost should be %t", c, bottommost)
	}
	switch c.Kind {
	case KindMove:
		if len(c.Inputs) != 1 || len(c.OutputLevelInputs) != 0 || c.StartLevel == c.OutputLevel {
			s.fatalf("%s: bad move", c)
		}
	case KindDeleteOnly:
		if !c.IsBottommost || !everyAllTombstones(c.Inputs) {
			s.fatalf("%s: bad delete-only", c)
		}
	case KindManual:
		if !manual {
			s.fatalf("%s: manual kind from Pick", c)
		}
	}
	if manual != (c.Kind == KindManual) {
		s.fatalf("%s: manual pick of kind %s", c, c.Kind)
	}
}

// execute runs the i-th compaction in progress and removes it.
func (s *sim) execute(i int) {
	s.t.Helper()
	c := s.inProgress[i]
	s.inProgress = slices.Delete(s.inProgress, i, i+1)
	s.logf("run %s", c)
	s.kinds[c.Kind.String()]++
	for _, f := range append(slices.Clone(c.Inputs), c.OutputLevelInputs...) {
		if s.files[f.FileNum] == nil {
			s.fatalf("%s: file %d vanished while in progress", c, uint64(f.FileNum))
		}
	}
	switch c.Kind {
	case KindMove:
		f := *c.Inputs[0]
		f.Level = c.OutputLevel
		s.files[f.FileNum] = &f
		s.rebuild()
		return
	case KindDeleteOnly:
		for _, f := range c.Inputs {
			for _, e := range s.data[f.FileNum] {
				if e.kind != base.KindDelete {
					s.fatalf("%s: deletes file %d, which holds a SET", c, uint64(f.FileNum))
				}
			}
		}
	}
	var merged []simEntry
	for _, f := range append(slices.Clone(c.Inputs), c.OutputLevelInputs...) {
		merged = append(merged, s.data[f.FileNum]...)
		delete(s.files, f.FileNum)
		delete(s.data, f.FileNum)
	}
	if c.Kind != KindDeleteOnly {
		s.writeOutputs(c, s.collect(merged, c.IsBottommost))
	}
	s.rebuild()
}

// collect sorts entries and drops those no reader can see: of the
// versions of a user key between two snapshots only the newest is kept,
// and in a bottommost compaction a tombstone every snapshot sees (the
// newest version of the oldest stripe), as the engine does.
func (s *sim) collect(entries []simEntry, bottommost bool) []simEntry {
	sort.Slice(entries, func(i, j int) bool { return s.ikey(entries[i]).lessThan(s.cmp, s.ikey(entries[j])) })
	snaps := slices.Clone(s.snapshots)
	slices.Sort(snaps)
	stripe := func(seq base.SeqNum) int {
		i, _ := slices.BinarySearch(snaps, seq) // first snapshot >= seq
		return i
	}
	var out []simEntry
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && s.cmp.Equal(entries[j].key, entries[i].key) {
			j++
		}
		var kept []simEntry
		for k := i; k < j; k++ { // newest first
			if len(kept) == 0 || stripe(kept[len(kept)-1].seq) != stripe(entries[k].seq) {
				kept = append(kept, entries[k])
			}
		}
		if last := kept[len(kept)-1]; bottommost && last.kind == base.KindDelete && stripe(last.seq) == 0 {
			kept = kept[:len(kept)-1]
		}
		out = append(out, kept...)
		i = j
	}
	return out
}

// writeOutputs writes entries into new files of c's output level, split
// at random points, even between versions of one user key, except in L0:
// an intra-L0 compaction's outputs share its seqnum range, so they must
// not share a user key (the executor keeps intra-L0 output to one file;
// the simulation also tries splits between user keys).
func (s *sim) writeOutputs(c *Compaction, entries []simEntry) {
	var added []string
	for len(entries) > 0 {
		n := min(len(entries), 1+s.rng.IntN(int(c.TargetFileSize/simEntrySize)+1))
		if c.Kind == KindIntraL0 {
			if s.rng.IntN(2) == 0 {
				n = len(entries)
			}
			for n < len(entries) && s.cmp.Equal(entries[n-1].key, entries[n].key) {
				n++
			}
		}
		f := s.addFile(c.OutputLevel, slices.Clone(entries[:n]))
		added = append(added, fmt.Sprint(uint64(f.FileNum)))
		entries = entries[n:]
	}
	s.logf("  wrote %v", added)
}

// checkReads reads every key at the current seqnum and every snapshot,
// visiting L0 newest first and then each level, stopping at the first
// source holding a visible version, and compares with the model.
func (s *sim) checkReads() {
	s.t.Helper()
	points := append([]base.SeqNum{s.nextSeq - 1}, s.snapshots...)
	type result struct {
		found bool
		e     simEntry
	}
	got := make([]result, len(s.keys))
	level := make([]result, len(s.keys))
	for _, at := range points {
		clear(got)
		visit := func(files []*manifest.FileMetadata) {
			clear(level)
			for _, f := range files {
				for _, e := range s.data[f.FileNum] {
					if got[e.ki].found || e.seq > at {
						continue
					}
					if r := &level[e.ki]; !r.found || e.seq > r.e.seq {
						*r = result{true, e}
					}
				}
			}
			for i, r := range level {
				if r.found {
					got[i] = r
				}
			}
		}
		for _, f := range s.v.Levels[0] {
			visit([]*manifest.FileMetadata{f})
		}
		for l := 1; l < NumLevels; l++ {
			visit(s.v.Levels[l])
		}
		for ki, key := range s.keys {
			// The model's writes of a key are in seqnum order.
			writes := s.model[string(key)]
			var want *simEntry
			if i := sort.Search(len(writes), func(i int) bool { return writes[i].seq > at }); i > 0 {
				want = &writes[i-1]
			}
			r := got[ki]
			wantLive := want != nil && want.kind == base.KindSet
			gotLive := r.found && r.e.kind == base.KindSet
			if wantLive != gotLive || (wantLive && r.e.seq != want.seq) {
				s.fatalf("read %q at %d: got %v (found %t), want %v", key, uint64(at), r.e, r.found, want)
			}
		}
	}
}

// quiesce runs everything in progress, then picks and runs compactions
// one at a time until none is left, which must happen within a bound, and
// checks every score is then below 1.
func (s *sim) quiesce(when string) {
	s.t.Helper()
	for len(s.inProgress) > 0 {
		s.execute(s.rng.IntN(len(s.inProgress)))
	}
	for n := 0; ; n++ {
		if n > 10000 {
			s.fatalf("%s: still compacting after %d compactions", when, n)
		}
		c := s.p.PickAt(s.v, nil, s.oldestSnapshot())
		if c == nil {
			break
		}
		s.logf("pick %s", c)
		s.checkCompaction(c, false)
		s.inProgress = append(s.inProgress, c)
		s.execute(0)
	}
	info := s.p.Info(s.v, nil)
	for level, score := range info.Scores {
		if score >= 1 {
			s.fatalf("%s: quiescent with L%d scoring %.2f", when, level, score)
		}
	}
}
