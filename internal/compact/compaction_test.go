package compact

import (
	"math"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
)

// ddFile builds a file from the datadriven syntax, e.g. "3:[a-c]".
func ddFile(t *testing.T, level int, spec string) *manifest.FileMetadata {
	t.Helper()
	f, err := parseFile(spec, level)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ddCompaction builds a compaction by hand, its bounds from its files.
func ddCompaction(t *testing.T, start, output int, inputs, outputs []string) *Compaction {
	t.Helper()
	p := NewPicker(nil, Options{})
	c := &Compaction{StartLevel: start, OutputLevel: output, cmp: p.cmp}
	for _, s := range inputs {
		c.Inputs = append(c.Inputs, ddFile(t, start, s))
	}
	for _, s := range outputs {
		c.OutputLevelInputs = append(c.OutputLevelInputs, ddFile(t, output, s))
	}
	c.Smallest, c.Largest = p.bounds(c.Inputs, c.OutputLevelInputs)
	return c
}

func TestOverlapsFunc(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b *Compaction
		want bool
	}{
		{"shared input", ddCompaction(t, 0, 6, []string{"1:[a-b]"}, nil), ddCompaction(t, 0, 0, []string{"1:[a-b]", "2:[x-y]"}, nil), true},
		{"input of one, output of other", ddCompaction(t, 4, 5, []string{"1:[a-b]"}, []string{"7:[a-c]"}), ddCompaction(t, 5, 6, []string{"7:[a-c]"}, nil), true},
		{"L0 ranges do not conflict", ddCompaction(t, 0, 0, []string{"1:[a-m]"}, nil), ddCompaction(t, 0, 6, []string{"2:[c-d]"}, nil), false},
		{"same output level, ranges intersect", ddCompaction(t, 4, 5, []string{"1:[a-c]"}, nil), ddCompaction(t, 4, 5, []string{"2:[c-e]"}, nil), true},
		{"same output level, ranges apart", ddCompaction(t, 4, 5, []string{"1:[a-c]"}, nil), ddCompaction(t, 4, 5, []string{"2:[d-e]"}, nil), false},
		{"written level vs read level, intersecting", ddCompaction(t, 4, 5, []string{"1:[a-c]"}, nil), ddCompaction(t, 5, 6, []string{"2:[b-b]"}, nil), true},
		// In its start level, a compaction uses only its inputs' range,
		// not the range its output-level files add.
		{"start-level range is the inputs'", ddCompaction(t, 4, 5, []string{"1:[a-c]"}, nil), ddCompaction(t, 5, 6, []string{"2:[x-y]"}, []string{"9:[a-z]"}), false},
		{"output-level range is everything", ddCompaction(t, 4, 5, []string{"1:[x-y]"}, []string{"2:[a-z]"}), ddCompaction(t, 3, 4, []string{"3:[b-b]"}, nil), false},
		{"output-level range is everything (2)", ddCompaction(t, 4, 5, []string{"1:[x-y]"}, []string{"2:[a-z]"}), ddCompaction(t, 5, 5, []string{"3:[b-b]"}, nil), true},
		{"different levels", ddCompaction(t, 1, 2, []string{"1:[a-z]"}, nil), ddCompaction(t, 3, 4, []string{"2:[a-z]"}, nil), false},
	} {
		if got := Overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Overlaps(a, b) = %t, want %t", tc.name, got, tc.want)
		}
		if got := Overlaps(tc.b, tc.a); got != tc.want {
			t.Errorf("%s: Overlaps(b, a) = %t, want %t", tc.name, got, tc.want)
		}
	}
}

// TestOverlapsLogical: with a suffix comparer, versions of one prefix
// conflict.
func TestOverlapsLogical(t *testing.T) {
	cmp := base.FixedSuffixComparer(1)
	a := ddCompaction(t, 4, 5, []string{"1:[a1-k1]"}, nil)
	b := ddCompaction(t, 4, 5, []string{"2:[k3-z1]"}, nil)
	a.cmp, b.cmp = cmp, cmp
	if !Overlaps(a, b) {
		t.Fatal("k1 and k3 are versions of k: the compactions conflict")
	}
	a.cmp, b.cmp = nil, nil // bytewise: "k1" < "k3", no conflict
	if Overlaps(a, b) {
		t.Fatal("bytewise, [a1, k1] and [k3, z1] do not intersect")
	}
}

func TestEnsureDefaults(t *testing.T) {
	var o Options
	o.EnsureDefaults()
	want := Options{
		L0CompactionThreshold:   4,
		L0StopWritesThreshold:   20,
		LBaseMaxBytes:           64 << 20,
		LevelMultiplier:         10,
		TargetFileSize:          2 << 20,
		MaxCompactionBytes:      50 << 20,
		TombstoneDensity:        0.5,
		MinTombstoneFileEntries: 1000,
	}
	if o != want {
		t.Fatalf("defaults %+v, want %+v", o, want)
	}
	o = Options{LevelMultiplier: 1, TombstoneDensity: math.NaN(), TargetFileSize: math.MaxUint64}
	o.EnsureDefaults()
	if o.LevelMultiplier != 10 || o.TombstoneDensity != 0.5 || o.MaxCompactionBytes != math.MaxUint64 {
		t.Fatalf("%+v", o)
	}
}

func TestTargetFileSize(t *testing.T) {
	p := NewPicker(nil, Options{TargetFileSize: 1 << 20})
	for _, tc := range []struct {
		level, baseLevel int
		want             uint64
	}{
		{0, 4, 1 << 20}, {4, 4, 1 << 20}, {5, 4, 2 << 20}, {6, 4, 4 << 20}, {6, 0, 64 << 20},
	} {
		if got := p.TargetFileSize(tc.level, tc.baseLevel); got != tc.want {
			t.Errorf("TargetFileSize(%d, %d) = %d, want %d", tc.level, tc.baseLevel, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[uint64]string{0: "0B", 700: "700B", 1024: "1KiB", 1536: "1.5KiB", 2 << 20: "2MiB", math.MaxUint64: "16.0EiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if KindMove.String() != "move" || Kind(99).String() != "kind(99)" {
		t.Error("Kind.String")
	}
}
