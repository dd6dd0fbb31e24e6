package compact

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// TestRandomDeleteOnly builds random LSMs whose files hold point entries
// and range tombstones (the hints are those tombstones, plus one of a file
// that is not live), opens random snapshots, and picks delete-only
// compactions until none is left, holding random other compactions as in
// progress now and then. It checks every pick:
//
//   - it is well formed: KindDeleteOnly, files of one level, idle, and no
//     conflict with the compactions in progress;
//   - each file it removes qualifies by a brute-force evaluation of the
//     rule (doc.go) that probes every tombstone boundary in the file's
//     range, and, with nothing in progress, some file is picked whenever
//     one qualifies, and none is left at the end;
//   - removing its files changes no read: every key reads the same value,
//     at every open snapshot and at the current state, before and after.
//
// TEMPEST_DELETE_ONLY_RUNS sets the number of LSMs (default 300); -seed or
// TEMPEST_SEED replays a run.
func TestRandomDeleteOnly(t *testing.T) {
	runs := 300
	if s, err := strconv.Atoi(os.Getenv("TEMPEST_DELETE_ONLY_RUNS")); err == nil && s > 0 {
		runs = s
	}
	seed := testSeed(t)
	picked := 0
	for run := 0; run < runs; run++ {
		s := newDoSim(t, seed+uint64(run))
		picked += s.run()
		if t.Failed() {
			return
		}
	}
	t.Logf("%d runs, %d files removed by delete-only compactions", runs, picked)
	if picked == 0 {
		t.Fatal("no delete-only compaction was ever picked: the test exercises nothing")
	}
}

// doEntry is an entry of a simulated file: a point entry, or a range
// tombstone [key, end) when kind is KindRangeDelete.
type doEntry struct {
	key, end []byte
	seq      base.SeqNum
	kind     base.Kind
}

type doSim struct {
	t         *testing.T
	seed      uint64
	rng       *rand.Rand
	cmp       *base.Comparer
	p         *Picker
	keys      [][]byte // in Compare order
	files     map[base.FileNum]*manifest.FileMetadata
	entries   map[base.FileNum][]doEntry
	v         *manifest.Version
	hints     []DeleteHint
	snapshots []base.SeqNum
	nextFile  base.FileNum
	seqs      []base.SeqNum // unused seqnums, shuffled
}

func newDoSim(t *testing.T, seed uint64) *doSim {
	rng := newRand(seed)
	s := &doSim{
		t: t, seed: seed, rng: rng, cmp: base.DefaultComparer,
		files:    make(map[base.FileNum]*manifest.FileMetadata),
		entries:  make(map[base.FileNum][]doEntry),
		nextFile: 1,
	}
	if rng.IntN(2) == 0 {
		s.cmp = base.FixedSuffixComparer(1)
	}
	s.p = NewPicker(s.cmp, Options{TargetFileSize: 1000, LBaseMaxBytes: 4000})
	for i := 0; i < 12+rng.IntN(20); i++ {
		// With the suffix comparer, the last digit is a version.
		s.keys = append(s.keys, []byte(fmt.Sprintf("k%c%d", 'a'+rng.IntN(8), rng.IntN(10))))
	}
	slices.SortFunc(s.keys, s.cmp.Compare)
	s.keys = slices.CompactFunc(s.keys, s.cmp.Equal)
	for i := 1; i <= 400; i++ {
		s.seqs = append(s.seqs, base.SeqNum(i))
	}
	rng.Shuffle(len(s.seqs), func(i, j int) { s.seqs[i], s.seqs[j] = s.seqs[j], s.seqs[i] })
	s.build()
	for range rng.IntN(4) {
		s.snapshots = append(s.snapshots, base.SeqNum(rng.IntN(420)))
	}
	return s
}

func (s *doSim) seq() base.SeqNum {
	q := s.seqs[len(s.seqs)-1]
	s.seqs = s.seqs[:len(s.seqs)-1]
	return q
}

// build fills the levels: L1-L6 with runs of non-overlapping files of
// point entries, some ending in a range tombstone that reaches the next
// key (so their largest key is an exclusive sentinel), and L0 with files
// of points and files of range tombstones only.
func (s *doSim) build() {
	for level := 1; level < NumLevels; level++ {
		if s.rng.IntN(3) == 0 {
			continue
		}
		var idx []int
		for i := range s.keys {
			if s.rng.IntN(2) == 0 {
				idx = append(idx, i)
			}
		}
		for len(idx) > 0 {
			n := min(len(idx), 1+s.rng.IntN(4))
			chunk := idx[:n]
			idx = idx[n:]
			var es []doEntry
			for _, i := range chunk {
				for range 1 + s.rng.IntN(2) {
					es = append(es, s.point(s.keys[i]))
				}
			}
			last := chunk[len(chunk)-1]
			if s.rng.IntN(4) == 0 && last+1 < len(s.keys) && (len(idx) == 0 || idx[0] > last) {
				es = append(es, doEntry{key: s.keys[chunk[0]], end: s.keys[last+1], seq: s.seq(), kind: base.KindRangeDelete})
			}
			s.addFile(level, es)
		}
	}
	for range s.rng.IntN(4) {
		var es []doEntry
		for range 1 + s.rng.IntN(4) {
			es = append(es, s.point(s.keys[s.rng.IntN(len(s.keys))]))
		}
		s.addFile(0, es)
	}
	for range 1 + s.rng.IntN(3) {
		var es []doEntry
		for range 1 + s.rng.IntN(2) {
			i := s.rng.IntN(len(s.keys))
			j := i + 1 + s.rng.IntN(len(s.keys)-i)
			end := []byte("lz0") // after every key
			if j < len(s.keys) {
				end = s.keys[j]
			}
			es = append(es, doEntry{key: s.keys[i], end: end, seq: s.seq(), kind: base.KindRangeDelete})
		}
		s.addFile(0, es)
	}
	s.hints = append(s.hints, DeleteHint{Start: s.keys[0], End: []byte("lz0"), Seq: 1000, File: 9999})
	s.rebuild()
}

func (s *doSim) point(key []byte) doEntry {
	kind := base.KindSet
	if s.rng.IntN(4) == 0 {
		kind = base.KindDelete
	}
	return doEntry{key: key, seq: s.seq(), kind: kind}
}

// addFile records a file of es, with bounds and seqnums as a writer sets
// them, and its range tombstones as hints.
func (s *doSim) addFile(level int, es []doEntry) {
	f := &manifest.FileMetadata{FileNum: s.nextFile, Level: level, Size: uint64(100 * len(es))}
	s.nextFile++
	for i, e := range es {
		k := base.MakeInternalKey(e.key, e.seq, e.kind)
		hi := k
		if e.kind == base.KindRangeDelete {
			hi = base.MakeInternalKey(e.end, base.SeqNumMax, base.KindRangeDelete)
			s.hints = append(s.hints, DeleteHint{Start: e.key, End: e.end, Seq: e.seq, File: f.FileNum})
			f.RangeDelCount++
		} else {
			f.EntryCount++
		}
		if i == 0 || s.cmp.CompareInternal(k, f.Smallest) < 0 {
			f.Smallest = k
		}
		if i == 0 || s.cmp.CompareInternal(hi, f.Largest) > 0 {
			f.Largest = hi
		}
		if i == 0 {
			f.SmallestSeq, f.LargestSeq = e.seq, e.seq
		}
		f.SmallestSeq, f.LargestSeq = min(f.SmallestSeq, e.seq), max(f.LargestSeq, e.seq)
	}
	s.files[f.FileNum] = f
	s.entries[f.FileNum] = es
}

func (s *doSim) rebuild() {
	var files []*manifest.FileMetadata
	for _, f := range s.files {
		files = append(files, f)
	}
	v, err := manifest.NewVersion(s.cmp, files)
	if err != nil {
		s.t.Fatalf("seed %d: %v", s.seed, err)
	}
	s.v = v
}

// run picks and applies delete-only compactions until none is left; it
// returns the number of files removed.
func (s *doSim) run() int {
	removed := 0
	var inProgress []*Compaction
	for step := 0; ; step++ {
		if step > 1000 {
			s.fail("no convergence")
		}
		if s.rng.IntN(3) == 0 {
			var c *Compaction
			if s.rng.IntN(2) == 0 {
				c = s.p.Pick(s.v, inProgress)
			} else {
				c = s.p.PickManual(s.v, s.rng.IntN(NumLevels), nil, nil, inProgress)
			}
			if c != nil {
				inProgress = append(inProgress, c)
			}
		}
		c := s.p.PickDeleteOnly(s.v, inProgress, s.hints, s.snapshots)
		busy := newCompacting(inProgress)
		want := s.bruteDeletable(busy)
		if c == nil {
			if len(inProgress) == 0 {
				if len(want) > 0 {
					s.fail(fmt.Sprintf("nothing picked, but files %v qualify", sortedNums(want)))
				}
				return removed
			}
			inProgress = nil
			continue
		}
		s.check(c, inProgress, want)
		before := s.reads()
		for _, f := range c.Inputs {
			delete(s.files, f.FileNum)
		}
		s.rebuild()
		if after := s.reads(); after != before {
			s.fail(fmt.Sprintf("removing %v changed reads:\nbefore %s\nafter  %s", c, before, after))
		}
		removed += len(c.Inputs)
		if s.rng.IntN(2) == 0 {
			inProgress = nil
		}
	}
}

func (s *doSim) check(c *Compaction, inProgress []*Compaction, want []*manifest.FileMetadata) {
	busy := newCompacting(inProgress)
	switch {
	case c.Kind != KindDeleteOnly || c.StartLevel != c.OutputLevel || len(c.OutputLevelInputs) > 0 || len(c.Inputs) == 0:
		s.fail(fmt.Sprintf("malformed: %v", c))
	case conflicts(c, inProgress):
		s.fail(fmt.Sprintf("%v conflicts with a compaction in progress", c))
	}
	for _, f := range c.Inputs {
		if f.Level != c.StartLevel || s.files[f.FileNum] != f || busy.has(f) {
			s.fail(fmt.Sprintf("%v: input %s is not an idle live file of L%d", c, f.FileNum, c.StartLevel))
		}
		if !slices.Contains(want, f) {
			s.fail(fmt.Sprintf("%v: file %s does not qualify", c, f.FileNum))
		}
	}
}

// bruteDeletable returns the idle files the rule deletes: coverage of a
// key by hints is constant between consecutive tombstone bounds, so it is
// enough to probe the file's smallest key and every bound inside the
// file's range.
func (s *doSim) bruteDeletable(busy compacting) []*manifest.FileMetadata {
	snaps := slices.Sorted(slices.Values(s.snapshots))
	var out []*manifest.FileMetadata
	for _, files := range s.v.Levels {
		for _, f := range files {
			if busy.has(f) {
				continue
			}
			// Top of the stripe of f's oldest entry.
			top := base.SeqNumMax
			for _, sn := range snaps {
				if sn >= f.SmallestSeq {
					top = sn
					break
				}
			}
			probes := [][]byte{f.Smallest.UserKey}
			for _, h := range s.hints {
				probes = append(probes, h.Start, h.End)
			}
			ok := true
			for _, p := range probes {
				if s.cmp.Compare(p, f.Smallest.UserKey) < 0 {
					continue
				}
				if c := s.cmp.Compare(p, f.Largest.UserKey); c > 0 || (c == 0 && f.Largest.IsExclusiveSentinel()) {
					continue
				}
				covered := false
				for _, h := range s.hints {
					if s.files[h.File] != nil && h.Seq > f.LargestSeq && h.Seq <= top &&
						s.cmp.Compare(h.Start, p) <= 0 && s.cmp.Compare(p, h.End) < 0 {
						covered = true
					}
				}
				ok = ok && covered
			}
			if ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// reads returns what every key reads at every open snapshot and at the
// current state, from the live files' entries.
func (s *doSim) reads() string {
	var b strings.Builder
	readers := append(slices.Sorted(slices.Values(s.snapshots)), base.SeqNumMax)
	var all []doEntry
	nums := make([]base.FileNum, 0, len(s.files))
	for n := range s.files {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for _, n := range nums {
		all = append(all, s.entries[n]...)
	}
	for _, r := range readers {
		fmt.Fprintf(&b, "@%d:", uint64(r))
		for _, k := range s.keys {
			var newest *doEntry
			for i := range all {
				e := &all[i]
				if e.kind != base.KindRangeDelete && s.cmp.Equal(e.key, k) && e.seq <= r && (newest == nil || e.seq > newest.seq) {
					newest = e
				}
			}
			if newest == nil || newest.kind == base.KindDelete {
				continue
			}
			deleted := false
			for _, e := range all {
				if e.kind == base.KindRangeDelete && e.seq <= r && e.seq > newest.seq &&
					s.cmp.Compare(e.key, k) <= 0 && s.cmp.Compare(k, e.end) < 0 {
					deleted = true
				}
			}
			if !deleted {
				fmt.Fprintf(&b, " %s=%d", k, uint64(newest.seq))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (s *doSim) fail(msg string) {
	s.t.Helper()
	s.t.Fatalf("seed %d: %s\nsnapshots %v\nLSM:\n%s", s.seed, msg, s.snapshots, s.v)
}
