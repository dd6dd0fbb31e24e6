package tempest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/batchrepr"
	"github.com/tempestdb/tempest/vfs"
)

// batchEntries renders b's encoding as "KIND key=value" strings, values
// as counters when 8 bytes long.
func batchEntries(t *testing.T, b *Batch) []string {
	t.Helper()
	var out []string
	err := batchrepr.Unstamped(b.data[batchHeaderLen:], b.count).ForEach(func(e batchrepr.Entry) error {
		s := fmt.Sprintf("%s %s", e.Kind, e.Key)
		switch {
		case e.Kind == base.KindDelete:
		case len(e.Value) == 8:
			s += fmt.Sprintf("=%d", getLE(e.Value))
		default:
			s += fmt.Sprintf("=%q", e.Value)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatalf("batch encoding: %v", err)
	}
	return out
}

func getLE(v []byte) uint64 {
	var n uint64
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(v[i])
	}
	return n
}

// TestBatchMergeFolding checks the folding rule of Batch.Merge: the
// batch's encoding after each sequence, and what the DB reads after Apply
// and after a crash and replay of the WAL that carried the batch.
func TestBatchMergeFolding(t *testing.T) {
	type op struct {
		kind  string // set, del, merge, delrange
		key   string
		n     uint64
		endTo string
	}
	cases := []struct {
		name    string
		ops     []op
		entries string // the batch's encoding
		want    string // Get("k") after Apply over k=100, "" for not found
	}{
		{"merge merge", []op{{"merge", "k", 1, ""}, {"merge", "k", 2, ""}}, "MERGE k=3", "103"},
		{"set merge", []op{{"set", "k", 5, ""}, {"merge", "k", 1, ""}}, "SET k=6", "6"},
		{"delete merge", []op{{"del", "k", 0, ""}, {"merge", "k", 1, ""}}, "SET k=1", "1"},
		{"merge set", []op{{"merge", "k", 1, ""}, {"set", "k", 7, ""}}, "MERGE k=1,SET k=7", "7"},
		{"merge delete", []op{{"merge", "k", 1, ""}, {"del", "k", 0, ""}}, "MERGE k=1,DEL k", ""},
		{"merge set merge", []op{{"merge", "k", 1, ""}, {"set", "k", 7, ""}, {"merge", "k", 2, ""}}, "MERGE k=1,SET k=9", "9"},
		{"merge delrange merge", []op{{"merge", "k", 1, ""}, {"delrange", "a", 0, "z"}, {"merge", "k", 2, ""}}, `RANGEDEL a="z",MERGE k=2`, "2"},
		{"other keys", []op{{"merge", "k", 1, ""}, {"set", "j", 4, ""}, {"merge", "l", 2, ""}, {"merge", "k", 5, ""}, {"del", "m", 0, ""}, {"merge", "m", 3, ""}},
			"MERGE k=6,SET j=4,MERGE l=2,SET m=3", "106"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			d := mustOpen(t, "db", mergeOptions(mem))
			if err := d.Set([]byte("k"), u64(100), nil); err != nil {
				t.Fatal(err)
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			for _, indexed := range []bool{true, false} { // the indexed one is read, not applied
				b := d.NewBatch()
				if indexed {
					b = d.NewIndexedBatch()
				}
				for _, o := range tc.ops {
					var err error
					switch o.kind {
					case "set":
						err = b.Set([]byte(o.key), u64(o.n))
					case "del":
						err = b.Delete([]byte(o.key))
					case "merge":
						err = b.Merge([]byte(o.key), u64(o.n))
					case "delrange":
						err = b.DeleteRange([]byte(o.key), []byte(o.endTo))
					}
					if err != nil {
						t.Fatalf("%s %s: %v", o.kind, o.key, err)
					}
				}
				got, want := batchEntries(t, b), strings.Split(tc.entries, ",")
				if indexed {
					// A fold that changes an entry's size moves it to the
					// end in an indexed batch (reads may hold the old
					// buffer); the entries are the same.
					slices.Sort(got)
					slices.Sort(want)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("indexed %t: batch holds %s, want %s", indexed, got, want)
				}
				if indexed {
					checkCounter(t, "through the batch", b.Get, tc.want)
					continue
				}
				if _, err := d.Apply(b, nil); err != nil {
					t.Fatal(err)
				}
			}
			checkCounter(t, "after Apply", d.Get, tc.want)
			// The WAL carries the batch as encoded: a crash now and replay
			// give the same value.
			crashed := mem.CrashClone(vfs.CrashOptions{})
			d2 := mustOpen(t, "db", mergeOptions(crashed))
			checkCounter(t, "after replay", d2.Get, tc.want)
			mustClose(t, d2)
			mustClose(t, d)
		})
	}
}

func checkCounter(t *testing.T, what string, get func([]byte) ([]byte, error), want string) {
	t.Helper()
	v, err := get([]byte("k"))
	switch {
	case want == "" && !errors.Is(err, ErrNotFound):
		t.Fatalf("%s: k = %x, %v; want not found", what, v, err)
	case want != "" && (err != nil || len(v) != 8 || fmt.Sprint(getLE(v)) != want):
		t.Fatalf("%s: k = %x, %v; want %s", what, v, err, want)
	}
}

// TestBatchMergeFoldFailureLeavesBatch checks that a failing fold, or one
// past a limit, returns ErrInvalidArgument and leaves the batch as it was.
func TestBatchMergeFoldFailureLeavesBatch(t *testing.T) {
	d := mustOpen(t, "db", mergeOptions(vfs.NewMem()))
	defer mustClose(t, d)
	b := d.NewBatch()
	if err := b.Set([]byte("k"), u64(5)); err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), b.data...)
	if err := b.Merge([]byte("k"), []byte("bad")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("fold of a 3-byte operand: %v, want ErrInvalidArgument", err)
	}
	if string(b.data) != string(before) || b.Count() != 1 {
		t.Fatalf("failed fold changed the batch: %x, want %x", b.data, before)
	}
	if err := b.Merge([]byte("k"), make([]byte, d.opts.MaxValueSize+1)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("oversized operand: %v, want ErrInvalidArgument", err)
	}
	if string(b.data) != string(before) {
		t.Fatal("oversized operand changed the batch")
	}
}

// TestIndexedBatchMergeReads checks reads through an indexed batch that
// folds operands, and that an iterator keeps the batch as it was when it
// was opened.
func TestIndexedBatchMergeReads(t *testing.T) {
	d := mustOpen(t, "db", mergeOptions(vfs.NewMem()))
	defer mustClose(t, d)
	mustMerge(t, d, "k", 10)
	b := d.NewIndexedBatch()
	if err := b.Merge([]byte("k"), u64(1)); err != nil {
		t.Fatal(err)
	}
	checkCounter(t, "first operand", b.Get, "11")
	it, err := b.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if err := b.Merge([]byte("k"), u64(2)); err != nil {
		t.Fatal(err)
	}
	checkCounter(t, "second operand", b.Get, "13")
	if !it.First() || string(it.Key()) != "k" || getLE(it.Value()) != 11 {
		t.Fatalf("iterator opened before the second operand: %v %q %x (err %v), want k=11", it.Valid(), it.Key(), it.Value(), it.Error())
	}
	if _, err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	checkCounter(t, "applied", d.Get, "13")
}
