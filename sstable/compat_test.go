package sstable

import (
	"fmt"
	"os"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// The fixtures in testdata are tables written by earlier format versions,
// each numbered(2000) with 1 KiB blocks: format-v2.sst (seeded bloom
// filter) and format-v3.sst (blocked bloom filter, no file number).

// TestReadFormatV2 opens the version 2 fixture.
func TestReadFormatV2(t *testing.T) { readFixture(t, "testdata/format-v2.sst", 2, false) }

// TestReadFormatV3 opens the version 3 fixture.
func TestReadFormatV3(t *testing.T) { readFixture(t, "testdata/format-v3.sst", 3, true) }

// readFixture opens the fixture at path, checks its format version and
// filter kind, every entry, point lookups through its filter, and that keys
// it does not hold are mostly rejected by the filter.
func readFixture(t *testing.T, path string, version uint32, blocked bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &memFile{data: data}
	r := openTable(t, f, nil)
	if v := r.Properties().FormatVersion; v != version {
		t.Fatalf("fixture has format version %d, want %d", v, version)
	}
	if r.filter.blocked != blocked || r.filter.m == 0 {
		t.Fatalf("version %d filter read as blocked=%v m=%d", version, r.filter.blocked, r.filter.m)
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
		t.Fatalf("version %d filter passed %d of 2000 absent keys", version, fp)
	}
	if err := r.VerifyChecksums(); err != nil {
		t.Fatalf("VerifyChecksums: %v", err)
	}
}
