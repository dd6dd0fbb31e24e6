package tempest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// concatMerger appends operands to the value below them.
var concatMerger = &Merger{Name: "test.concat", Merge: func(_, older, newer []byte) ([]byte, error) {
	return append(append([]byte(nil), older...), newer...), nil
}}

// blobModelOp is one random operation of TestBlobModel on the DB and on
// the model (the map of the current state).
func blobModelOp(t *testing.T, d *DB, model map[string]string, r interface{ IntN(int) int }) {
	t.Helper()
	k := fmt.Sprintf("k%03d", r.IntN(60))
	switch op := r.IntN(20); {
	case op < 10:
		n := 10
		if r.IntN(2) == 0 {
			n = 100 + r.IntN(600) // separated
		}
		v := bigValue(k, r.IntN(1000), n)
		mustSet(t, d, k, v, nil)
		model[k] = v
	case op < 12:
		if err := d.Delete([]byte(k), nil); err != nil {
			t.Fatal(err)
		}
		delete(model, k)
	case op < 15:
		operand := fmt.Sprintf("+%d", r.IntN(100))
		if err := d.Merge([]byte(k), []byte(operand), nil); err != nil {
			t.Fatal(err)
		}
		model[k] += operand
	case op < 16:
		end := fmt.Sprintf("k%03d", r.IntN(60))
		if end < k {
			k, end = end, k
		}
		if end == k {
			end += "\x00"
		}
		if err := d.DeleteRange([]byte(k), []byte(end), nil); err != nil {
			t.Fatal(err)
		}
		for mk := range model {
			if mk >= k && mk < end {
				delete(model, mk)
			}
		}
	case op < 18:
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	default:
		if err := d.Compact(context.Background(), nil, []byte("l")); err != nil {
			t.Fatal(err)
		}
	}
}

// checkBlobModel compares every read of d (or of snapshot s, if not nil)
// with want: Get of each key, a forward and a reverse scan, and a
// keys-only scan's value lengths.
func checkBlobModel(t *testing.T, d *DB, s *Snapshot, want map[string]string, what string) {
	t.Helper()
	get, newIter := d.Get, d.NewIter
	if s != nil {
		get, newIter = s.Get, s.NewIter
	}
	for i := range 60 {
		k := fmt.Sprintf("k%03d", i)
		v, err := get([]byte(k))
		if w, ok := want[k]; ok != (err == nil) || string(v) != w {
			t.Fatalf("%s: get %s = %.40q, %v; want %.40q (present %t)", what, k, v, err, w, ok)
		}
	}
	for _, o := range []*IterOptions{nil, {KeysOnly: true}} {
		it, err := newIter(o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var rev []string
		for ok := it.First(); ok; ok = it.Next() {
			if o != nil {
				got[string(it.Key())] = strings.Repeat("?", it.ValueLen())
				continue
			}
			got[string(it.Key())] = string(it.Value())
		}
		for ok := it.Last(); ok; ok = it.Prev() {
			rev = append(rev, string(it.Key()))
			if v := string(it.Value()); v != want[string(it.Key())] {
				t.Fatalf("%s: reverse scan %s = %.40q, want %.40q", what, it.Key(), v, want[string(it.Key())])
			}
		}
		if err := it.Close(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) || len(rev) != len(want) {
			t.Fatalf("%s: scans of %d and %d keys, want %d", what, len(got), len(rev), len(want))
		}
		for k, w := range want {
			if o != nil {
				w = strings.Repeat("?", len(w))
			}
			if got[k] != w {
				t.Fatalf("%s (keys only %t): scan %s = %.40q, want %.40q", what, o != nil, k, got[k], w)
			}
		}
	}
}

// TestBlobModel mixes large (separated) and small values, merges onto
// both, deletes, range deletes, flushes, compactions, snapshots and
// reopens, and checks every read against a model.
func TestBlobModel(t *testing.T) {
	seed := testutil.Seed(t)
	r := testutil.NewRand(seed)
	fs := vfs.NewMem()
	opts := func() *Options {
		o := blobOptions(fs)
		o.Merger = concatMerger
		o.BlobGCThreshold = 0.7
		return o
	}
	d := mustOpen(t, "db", opts())
	model := map[string]string{}
	type snap struct {
		s    *Snapshot
		want map[string]string
	}
	var snaps []snap
	for i := range envInt(t, "TEMPEST_BLOB_OPS", 1500) {
		blobModelOp(t, d, model, r)
		switch r.IntN(100) {
		case 0:
			snaps = append(snaps, snap{d.NewSnapshot(), maps.Clone(model)})
		case 1:
			if len(snaps) > 0 {
				j := r.IntN(len(snaps))
				checkBlobModel(t, d, snaps[j].s, snaps[j].want, fmt.Sprintf("op %d snapshot", i))
				snaps[j].s.Close()
				snaps = append(snaps[:j], snaps[j+1:]...)
			}
		case 2:
			for _, s := range snaps {
				s.s.Close()
			}
			snaps = nil
			mustClose(t, d)
			d = mustOpen(t, "db", opts())
		}
		if i%100 == 99 {
			checkBlobModel(t, d, nil, model, fmt.Sprintf("op %d", i))
		}
	}
	for _, s := range snaps {
		checkBlobModel(t, d, s.s, s.want, "final snapshot")
		s.s.Close()
	}
	checkBlobModel(t, d, nil, model, "final")
	if err := d.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
	if len(blobFileNums(t, fs, "db")) == 0 {
		t.Fatal("no blob file: nothing was separated")
	}
	mustClose(t, d)
}
