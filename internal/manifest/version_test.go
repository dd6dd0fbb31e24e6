package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

func ptrs(files ...FileMetadata) []*FileMetadata {
	out := make([]*FileMetadata, len(files))
	for i := range files {
		out[i] = &files[i]
	}
	return out
}

func TestVersionOrdering(t *testing.T) {
	cmp := base.DefaultComparer
	v := newVersion(cmp, ptrs(
		meta(1, 0, "a", "z", 10, 20),
		meta(2, 0, "a", "z", 30, 40),
		meta(3, 0, "a", "z", 5, 40), // same LargestSeq as 2: higher FileNum first
		meta(4, 1, "m", "p", 1, 2),
		meta(5, 1, "a", "c", 1, 2),
		meta(6, 1, "x", "y", 1, 2),
		meta(7, 3, "b", "b", 1, 2),
	))
	if got := fileNums(v.Levels[0]); !slices.Equal(got, []base.FileNum{3, 2, 1}) {
		t.Fatalf("L0 %v", got)
	}
	if got := fileNums(v.Levels[1]); !slices.Equal(got, []base.FileNum{5, 4, 6}) {
		t.Fatalf("L1 %v", got)
	}
	if v.NumFiles() != 7 {
		t.Fatalf("NumFiles %d", v.NumFiles())
	}
	if err := v.CheckInvariants(cmp); err != nil {
		t.Fatal(err)
	}
	s := v.String()
	for _, want := range []string{"L0:\n  000003:L0", "L1:\n  000005:L1", "L3:\n  000007:L3"} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "L2:") {
		t.Errorf("String lists an empty level:\n%s", s)
	}
	if (&Version{}).String() != "(empty)\n" {
		t.Error("empty version string")
	}
}

// TestVersionSortsWithComparer: L1+ order follows the comparer, not bytes.
func TestVersionSortsWithComparer(t *testing.T) {
	cmp := base.FixedSuffixComparer(1)
	// Same prefix "k", suffixes sort descending: "k2" < "k1".
	v := newVersion(cmp, ptrs(meta(1, 1, "k1", "k1", 1, 2), meta(2, 1, "k2", "k2", 1, 2)))
	if got := fileNums(v.Levels[1]); !slices.Equal(got, []base.FileNum{2, 1}) {
		t.Fatalf("L1 %v", got)
	}
	if err := v.CheckInvariants(cmp); err != nil {
		t.Fatal(err)
	}
	if err := v.CheckInvariants(base.DefaultComparer); err == nil {
		t.Fatal("bytewise order accepted a suffix-descending level")
	}
}

func TestCheckInvariants(t *testing.T) {
	cmp := base.DefaultComparer
	good := func() *Version {
		return newVersion(cmp, ptrs(meta(1, 0, "a", "z", 10, 20), meta(2, 0, "a", "z", 30, 40),
			meta(3, 1, "a", "c", 1, 2), meta(4, 1, "d", "f", 1, 2)))
	}
	if err := good().CheckInvariants(cmp); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(v *Version)
		want   string
	}{
		{"L0 order", func(v *Version) { v.Levels[0][0], v.Levels[0][1] = v.Levels[0][1], v.Levels[0][0] }, "not ordered"},
		{"L1 order", func(v *Version) { v.Levels[1][0], v.Levels[1][1] = v.Levels[1][1], v.Levels[1][0] }, "overlaps or is out of order"},
		{"L1 overlap", func(v *Version) {
			f := meta(4, 1, "c", "f", 1, 2)
			v.Levels[1][1] = &f
		}, "overlaps"},
		{"wrong level", func(v *Version) { v.Levels[2] = []*FileMetadata{v.Levels[1][0]} }, "claims level 1"},
		{"duplicate", func(v *Version) {
			f := *v.Levels[1][0]
			f.Level = 2
			v.Levels[2] = []*FileMetadata{&f}
		}, "also in"},
		{"nil file", func(v *Version) { v.Levels[4] = []*FileMetadata{nil} }, "nil"},
		{"smallest after largest", func(v *Version) {
			f := meta(9, 2, "q", "p", 1, 2)
			v.Levels[2] = []*FileMetadata{&f}
		}, "sorts after largest"},
		{"seq range", func(v *Version) {
			f := meta(9, 2, "p", "q", 1, 2)
			f.SmallestSeq = 3
			v.Levels[2] = []*FileMetadata{&f}
		}, "bad seqnum range"},
		{"key seq outside range", func(v *Version) {
			f := meta(9, 2, "p", "q", 1, 2)
			f.Smallest.Trailer = base.MakeTrailer(7, base.KindSet)
			v.Levels[2] = []*FileMetadata{&f}
		}, "outside"},
	} {
		v := good()
		tc.mutate(v)
		err := v.CheckInvariants(cmp)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestWithEdit: applying an edit to a version equals rebuilding it, and
// leaves the original untouched.
func TestWithEdit(t *testing.T) {
	cmp := base.DefaultComparer
	files := ptrs(meta(1, 0, "a", "z", 10, 20), meta(2, 1, "a", "c", 1, 2), meta(3, 1, "d", "f", 1, 2))
	v := newVersion(cmp, files)
	before := v.String()
	e := Compaction([]FileMetadata{meta(4, 1, "g", "h", 1, 2), meta(5, 2, "a", "b", 1, 2)},
		[]RemovedFile{{0, 1}, {1, 2}})
	nv := v.withEdit(cmp, e)
	want := newVersion(cmp, []*FileMetadata{files[2], &e.Added[0], &e.Added[1]})
	if nv.String() != want.String() {
		t.Fatalf("withEdit:\n%s\nwant:\n%s", nv, want)
	}
	if v.String() != before {
		t.Fatal("withEdit changed the original version")
	}
}

func TestNewVersion(t *testing.T) {
	cmp := base.DefaultComparer
	v, err := NewVersion(cmp, ptrs(meta(1, 0, "a", "z", 10, 20), meta(2, 0, "a", "z", 30, 40), meta(3, 1, "a", "c", 1, 2)))
	if err != nil || !slices.Equal(fileNums(v.Levels[0]), []base.FileNum{2, 1}) {
		t.Fatalf("%v %v", v, err)
	}
	for _, files := range [][]*FileMetadata{
		{nil},
		ptrs(meta(1, NumLevels, "a", "b", 1, 2)),
		ptrs(meta(1, 1, "a", "c", 1, 2), meta(2, 1, "b", "d", 1, 2)),
	} {
		if _, err := NewVersion(cmp, files); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("%v: %v", files, err)
		}
	}
}
