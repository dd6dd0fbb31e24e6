package repair

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/rangedel"
)

// collect is a sink that records what it is given.
type collect []string

func (c *collect) set(k, v []byte) error { *c = append(*c, fmt.Sprintf("%s=%s", k, v)); return nil }
func (c *collect) del(k []byte) error    { *c = append(*c, fmt.Sprintf("%s:DEL", k)); return nil }

func ent(k string, seq base.SeqNum, kind base.Kind, v string) walEntry {
	return walEntry{key: base.MakeInternalKey([]byte(k), seq, kind), value: []byte(v)}
}

// TestResolver merges two sources: the newest version of each key wins,
// one write found in both counts once, a range tombstone deletes only
// older versions, and a deleted key is written only as a tombstone under
// a comparer with version suffixes.
func TestResolver(t *testing.T) {
	for _, tc := range []struct {
		cmp  *base.Comparer
		want []string
	}{
		{base.DefaultComparer, []string{"a1=new", "b1=same", "c2=kept", "f1=x"}},
		{base.FixedSuffixComparer(1), []string{"a1=new", "b1=same", "c2=kept", "e1:DEL", "f1=x"}},
	} {
		one := []walEntry{
			ent("a1", 10, base.KindSet, "new"),
			ent("b1", 7, base.KindSet, "same"),
			ent("c1", 3, base.KindSet, "deleted"),
			ent("e1", 9, base.KindDelete, ""),
			ent("f1", 8, base.KindSet, "x"),
		}
		two := []walEntry{
			ent("a1", 5, base.KindSet, "old"),
			ent("b1", 7, base.KindSet, "same"),
			ent("c2", 6, base.KindSet, "kept"),
			ent("e1", 2, base.KindSet, "hidden"),
			ent("f1", 8, base.KindSet, "y"),
		}
		dels := []rangedel.Tombstone{{Start: []byte("b9"), End: []byte("d0"), Seq: 4}}
		var out collect
		rep := &Report{}
		r := &resolver{cmp: tc.cmp, dels: rangedel.Build(tc.cmp, dels), out: &out, rep: rep}
		sources := []source{newWALIter(sortWALEntries(tc.cmp, one)), newWALIter(sortWALEntries(tc.cmp, two))}
		if err := r.run(newMergeHeap(tc.cmp, sources)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out, tc.want) {
			t.Fatalf("%s: wrote %v, want %v", tc.cmp.Name, out, tc.want)
		}
		if rep.Conflicts != 1 || rep.Keys != 4 {
			t.Fatalf("%s: %d conflicts, %d keys", tc.cmp.Name, rep.Conflicts, rep.Keys)
		}
	}
}

// TestSortWALEntries: a batch that names a key twice keeps its later entry.
func TestSortWALEntries(t *testing.T) {
	es := []walEntry{
		{key: base.MakeInternalKey([]byte("k"), 5, base.KindSet), value: []byte("first"), ord: 0},
		{key: base.MakeInternalKey([]byte("k"), 5, base.KindDelete), ord: 1},
		{key: base.MakeInternalKey([]byte("j"), 6, base.KindSet), value: []byte("x"), ord: 0},
	}
	got := sortWALEntries(base.DefaultComparer, es)
	if len(got) != 2 || string(got[0].key.UserKey) != "j" || got[1].key.Kind() != base.KindDelete {
		t.Fatalf("sorted: %v", got)
	}
}
