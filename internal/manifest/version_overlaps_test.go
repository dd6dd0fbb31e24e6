package manifest

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

func TestOverlaps(t *testing.T) {
	cmp := base.DefaultComparer
	v := newVersion(cmp, ptrs(
		meta(1, 0, "a", "c", 10, 20),
		meta(2, 0, "e", "g", 30, 40),
		meta(3, 0, "b", "f", 50, 60),
		meta(4, 0, "x", "z", 70, 80),
		meta(10, 1, "a", "b", 2, 3),
		meta(11, 1, "b", "d", 1, 1), // shares "b" with 10 (lower seqnums)
		meta(12, 1, "f", "h", 1, 2),
		meta(13, 1, "j", "k", 2, 3),
		meta(14, 1, "k", "m", 1, 1), // shares "k" with 13
	))
	if err := v.CheckInvariants(cmp); err != nil {
		t.Fatal(err)
	}
	b := func(s string) []byte { return []byte(s) }
	for _, tc := range []struct {
		level      int
		start, end []byte
		plain      []base.FileNum
		atomic     []base.FileNum
	}{
		{0, b("a"), b("a"), []base.FileNum{1}, []base.FileNum{3, 2, 1}},
		{0, b("d"), b("d"), []base.FileNum{3}, []base.FileNum{3, 2, 1}},
		{0, b("h"), b("w"), nil, nil},
		{0, b("y"), nil, []base.FileNum{4}, []base.FileNum{4}},
		{0, nil, nil, []base.FileNum{4, 3, 2, 1}, []base.FileNum{4, 3, 2, 1}},
		{1, b("a"), b("a"), []base.FileNum{10}, []base.FileNum{10, 11}},
		{1, b("c"), b("c"), []base.FileNum{11}, []base.FileNum{10, 11}},
		{1, b("e"), b("e"), nil, nil},
		{1, b("e"), b("f"), []base.FileNum{12}, []base.FileNum{12}},
		{1, b("k"), b("k"), []base.FileNum{13, 14}, []base.FileNum{13, 14}},
		{1, b("l"), nil, []base.FileNum{14}, []base.FileNum{13, 14}},
		{1, nil, b("a"), []base.FileNum{10}, []base.FileNum{10, 11}},
		{1, b("n"), nil, nil, nil},
		{2, nil, nil, nil, nil},
		{NumLevels, nil, nil, nil, nil},
		{-1, nil, nil, nil, nil},
	} {
		if got := fileNums(v.Overlaps(cmp, tc.level, tc.start, tc.end)); !slices.Equal(got, tc.plain) {
			t.Errorf("L%d [%q, %q]: Overlaps %v, want %v", tc.level, tc.start, tc.end, got, tc.plain)
		}
		if got := fileNums(v.OverlapsAtomic(cmp, tc.level, tc.start, tc.end)); !slices.Equal(got, tc.atomic) {
			t.Errorf("L%d [%q, %q]: OverlapsAtomic %v, want %v", tc.level, tc.start, tc.end, got, tc.atomic)
		}
	}
}

// TestOverlapsEmptyKey: the empty key is a bound, not "unbounded", even
// when it is a nil slice.
func TestOverlapsEmptyKey(t *testing.T) {
	cmp := base.DefaultComparer
	f1 := meta(1, 0, "", "", 1, 2)
	f1.Smallest.UserKey, f1.Largest.UserKey = nil, nil
	v := newVersion(cmp, ptrs(f1, meta(2, 0, "a", "b", 3, 4), meta(3, 1, "a", "b", 1, 2)))
	if got := fileNums(v.OverlapsAtomic(cmp, 0, []byte{}, []byte{})); !slices.Equal(got, []base.FileNum{1}) {
		t.Fatalf("OverlapsAtomic %v", got)
	}
	if got := fileNums(v.Overlaps(cmp, 1, []byte{}, []byte{})); got != nil {
		t.Fatalf("Overlaps %v", got)
	}
}

// randomLevelFiles returns files for level that form a valid level: for
// L1+ a sorted run of distinct internal keys cut into files, so adjacent
// files often share a prefix or even a user key.
func randomLevelFiles(rng *rand.Rand, cmp *base.Comparer, level int, next *base.FileNum) []*FileMetadata {
	if level == 0 {
		var out []*FileMetadata
		for i := rng.IntN(6); i > 0; i-- {
			lo, hi := randomUserKey(rng), randomUserKey(rng)
			if cmp.Compare(lo, hi) > 0 {
				lo, hi = hi, lo
			}
			seq := base.SeqNum(100 + rng.IntN(1000))
			f := &FileMetadata{FileNum: *next, Level: 0, Size: 1,
				Smallest: base.MakeInternalKey(lo, seq, base.KindSet), Largest: base.MakeInternalKey(hi, seq, base.KindSet),
				SmallestSeq: seq, LargestSeq: seq}
			*next++
			out = append(out, f)
		}
		return out
	}
	var keys []base.InternalKey
	for i := rng.IntN(30); i > 0; i-- {
		keys = append(keys, base.MakeInternalKey(randomUserKey(rng), base.SeqNum(1+rng.IntN(5)), base.KindSet))
	}
	sort.Slice(keys, func(i, j int) bool { return cmp.CompareInternal(keys[i], keys[j]) < 0 })
	keys = slices.CompactFunc(keys, func(a, b base.InternalKey) bool { return cmp.CompareInternal(a, b) == 0 })
	var out []*FileMetadata
	for len(keys) > 0 {
		n := 1 + rng.IntN(min(len(keys), 4))
		f := &FileMetadata{FileNum: *next, Level: level, Size: 1, Smallest: keys[0], Largest: keys[n-1],
			SmallestSeq: 1, LargestSeq: 5}
		*next++
		out = append(out, f)
		keys = keys[n:]
	}
	return out
}

// randomUserKey returns a key of prefix a-h and a one-byte suffix 1-3 (or
// none).
func randomUserKey(rng *rand.Rand) []byte {
	k := []byte{byte('a' + rng.IntN(8))}
	if rng.IntN(4) > 0 {
		k = append(k, byte('1'+rng.IntN(3)))
	}
	return k
}

// TestOverlapsRandom checks Overlaps and OverlapsAtomic against brute
// force on random levels, under a comparer with suffixes.
func TestOverlapsRandom(t *testing.T) {
	rng := newRand(testSeed(t))
	for _, cmp := range []*base.Comparer{base.DefaultComparer, base.FixedSuffixComparer(1)} {
		for iter := 0; iter < 500; iter++ {
			next := base.FileNum(1)
			var files []*FileMetadata
			for level := 0; level < 3; level++ {
				files = append(files, randomLevelFiles(rng, cmp, level, &next)...)
			}
			v := newVersion(cmp, files)
			if err := v.CheckInvariants(cmp); err != nil {
				t.Fatal(err)
			}
			for q := 0; q < 10; q++ {
				level := rng.IntN(3)
				var start, end []byte
				if rng.IntN(5) > 0 {
					start = randomUserKey(rng)
				}
				if rng.IntN(5) > 0 {
					end = randomUserKey(rng)
				}
				checkOverlaps(t, cmp, v, level, start, end)
			}
		}
	}
}

func checkOverlaps(t *testing.T, cmp *base.Comparer, v *Version, level int, start, end []byte) {
	t.Helper()
	files := v.Levels[level]
	var want []*FileMetadata
	for _, f := range files {
		if fileOverlaps(cmp, f, start, end) {
			want = append(want, f)
		}
	}
	got := v.Overlaps(cmp, level, start, end)
	if !slices.Equal(got, want) {
		t.Fatalf("L%d [%q, %q]: Overlaps %v, want %v\n%s", level, start, end, fileNums(got), fileNums(want), v)
	}
	// OverlapsAtomic is the fixpoint of "add every file that overlaps the
	// range the set spans", starting from Overlaps.
	set := slices.Clone(want)
	for changed := len(set) > 0; changed; {
		changed = false
		lo, hi := set[0].Smallest.UserKey, set[0].Largest.UserKey
		for _, f := range set {
			if cmp.CompareLogical(f.Smallest.UserKey, lo) < 0 {
				lo = f.Smallest.UserKey
			}
			if cmp.CompareLogical(f.Largest.UserKey, hi) > 0 {
				hi = f.Largest.UserKey
			}
		}
		for _, g := range files {
			if !slices.Contains(set, g) && fileOverlaps(cmp, g, lo, hi) {
				set = append(set, g)
				changed = true
			}
		}
	}
	var wantAtomic []*FileMetadata
	for _, f := range files {
		if slices.Contains(set, f) {
			wantAtomic = append(wantAtomic, f)
		}
	}
	if got := v.OverlapsAtomic(cmp, level, start, end); !slices.Equal(got, wantAtomic) {
		t.Fatalf("L%d [%q, %q]: OverlapsAtomic %v, want %v\n%s", level, start, end, fileNums(got), fileNums(wantAtomic), v)
	}
}
