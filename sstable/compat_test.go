package sstable

import (
	"fmt"
	"os"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// TestReadFormatV2 opens a table written by format version 2 (seeded bloom
// filter; testdata/format-v2.sst, numbered(2000) with 1 KiB blocks) and
// checks every entry, point lookups through its filter, and that keys it
// does not hold are mostly rejected by the filter.
func TestReadFormatV2(t *testing.T) {
	data, err := os.ReadFile("testdata/format-v2.sst")
	if err != nil {
		t.Fatal(err)
	}
	f := &memFile{data: data}
	r := openTable(t, f, nil)
	if v := r.Properties().FormatVersion; v != 2 {
		t.Fatalf("fixture has format version %d, want 2", v)
	}
	if r.filter.blocked || r.filter.m == 0 {
		t.Fatalf("version 2 filter read as blocked=%v m=%d", r.filter.blocked, r.filter.m)
	}
	want := numbered(2000)
	it := r.NewIter()
	i := 0
	for ok := it.First(); ok; ok = it.Next() {
		if i >= len(want) || base.DefaultComparer.CompareInternal(it.Key(), want[i].key) != 0 || it.Key().Trailer != want[i].key.Trailer ||
			string(it.Value()) != string(want[i].value) {
			t.Fatalf("entry %d: %s=%q", i, it.Key(), it.Value())
		}
		i++
	}
	if err := it.Close(); err != nil || i != len(want) {
		t.Fatalf("read %d entries, err %v", i, err)
	}
	for _, e := range want {
		if v, _, found := get(t, r, e.key.UserKey, base.SeqNumMax); !found || string(v) != string(e.value) {
			t.Fatalf("get %s: %q, %v", e.key.UserKey, v, found)
		}
	}
	fp := 0
	for i := range 2000 {
		if r.MayContainPrefix([]byte(fmt.Sprintf("missing%06d", i))) {
			fp++
		}
	}
	if fp > 60 {
		t.Fatalf("version 2 filter passed %d of 2000 absent keys", fp)
	}
}
