package tempest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestMergerNameRecorded checks when the merger name is recorded and that
// a database that records one opens only with it.
func TestMergerNameRecorded(t *testing.T) {
	other := &Merger{Name: "other", Merge: uint64Add}
	t.Run("new database", func(t *testing.T) {
		fs := vfs.NewMem()
		d := mustOpen(t, "db", mergeOptions(fs))
		mustMerge(t, d, "k", 1)
		mustClose(t, d)
		for _, m := range []*Merger{nil, other} {
			o := smallOptions(fs)
			o.Merger = m
			_, err := Open("db", o)
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), `merger "tempest.uint64add"`) {
				t.Fatalf("open with merger %v: %v, want ErrInvalidArgument naming the recorded merger", m, err)
			}
			o.ReadOnly = true
			if _, err := Open("db", o); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("read-only open with merger %v: %v, want ErrInvalidArgument", m, err)
			}
		}
		d = mustOpen(t, "db", mergeOptions(fs))
		defer mustClose(t, d)
		if got := getU64(t, d.Get, "k"); got != 1 {
			t.Fatalf("k = %d, want 1", got)
		}
	})
	t.Run("recorded at open", func(t *testing.T) {
		// A database that never used a merger records one at the first
		// read-write open with Options.Merger, even if no Merge follows.
		fs := vfs.NewMem()
		d := mustOpen(t, "db", smallOptions(fs))
		mustSet(t, d, "a", "1", nil)
		mustClose(t, d)
		d = mustOpen(t, "db", smallOptions(fs)) // no merger: nothing recorded
		mustClose(t, d)
		o := smallOptions(fs)
		o.Merger, o.ReadOnly = other, true
		d = mustOpen(t, "db", o) // read-only: records nothing
		mustClose(t, d)
		d = mustOpen(t, "db", mergeOptions(fs))
		mustClose(t, d)
		if _, err := Open("db", smallOptions(fs)); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("open without the merger recorded at open: %v, want ErrInvalidArgument", err)
		}
		d = mustOpen(t, "db", mergeOptions(fs))
		defer mustClose(t, d)
		mustGet(t, d, "a", "1")
	})
	t.Run("not below version 4", func(t *testing.T) {
		// Below FormatVersion4 nothing is recorded: no operand can exist.
		fs := vfs.NewMem()
		o := mergeOptions(fs)
		o.FormatVersion = FormatVersion2
		d := mustOpen(t, "db", o)
		mustClose(t, d)
		o = smallOptions(fs)
		o.Merger = other
		d = mustOpen(t, "db", o)
		if v := d.FormatVersion(); v != FormatVersion2 {
			t.Fatalf("format version %d, want %d", v, FormatVersion2)
		}
		mustClose(t, d)
	})
}

func TestMergerOptionsChecked(t *testing.T) {
	for _, o := range []*Options{
		{FS: vfs.NewMem(), Merger: &Merger{Merge: uint64Add}},
		{FS: vfs.NewMem(), Merger: &Merger{Name: "x"}},
		{FS: vfs.NewMem(), Merger: Uint64AddMerger, VisibilityFilter: &KeepVersionsFilter{N: 1}},
	} {
		if _, err := Open("db", o); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("open with %+v: %v, want ErrInvalidArgument", o.Merger, err)
		}
	}
}

// TestFailingMergeSurfaces checks that a merge that fails (a 3-byte
// operand under Uint64AddMerger) fails Get, stops iterators in both
// directions with the error, and fails a compaction that would combine it
// rather than drop an operand; reads of other keys go on. A flush, which
// only combines operands early, writes them as they are.
func TestFailingMergeSurfaces(t *testing.T) {
	var bgErr error
	o := mergeOptions(vfs.NewMem())
	o.EventListener = &EventListener{BackgroundError: func(err error) { bgErr = err }}
	d := mustOpen(t, "db", o)
	defer d.Close()
	mustSet(t, d, "a", "x", nil)
	mustMerge(t, d, "k", 1)
	if err := d.Merge([]byte("k"), []byte("bad"), nil); err != nil {
		t.Fatalf("Merge accepts any operand; the read judges it: %v", err)
	}
	mustSet(t, d, "z", "y", nil)
	check := func(when string) {
		t.Helper()
		if v, err := d.Get([]byte("k")); err == nil || !strings.Contains(err.Error(), "uint64add") {
			t.Fatalf("%s: Get = %x, %v; want the merge's error", when, v, err)
		}
		mustGet(t, d, "a", "x")
		for _, reverse := range []bool{false, true} {
			it, err := d.NewIter(nil)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			step, ok := it.Next, it.First()
			if reverse {
				step, ok = it.Prev, it.Last()
			}
			for ; ok; ok = step() {
				keys = append(keys, string(it.Key()))
			}
			if it.Error() == nil || !strings.Contains(it.Error().Error(), "uint64add") {
				t.Fatalf("%s: reverse %t: iterator ended with %v after %q, want the merge's error", when, reverse, it.Error(), keys)
			}
			want := "a"
			if reverse {
				want = "z"
			}
			if len(keys) != 1 || keys[0] != want {
				t.Fatalf("%s: reverse %t: iterator yielded %q before the error, want [%s]", when, reverse, keys, want)
			}
			it.Close()
		}
	}
	check("in the memtable")
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	check("flushed")
	err := d.Compact(context.Background(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "uint64add") {
		t.Fatalf("compaction: %v, want the merge's error", err)
	}
	if bgErr == nil || !strings.Contains(bgErr.Error(), "uint64add") {
		t.Fatalf("background error %v, want the merge's error", bgErr)
	}
	// The operands are still there, and still fail the read.
	check("after the failed compaction")
}
