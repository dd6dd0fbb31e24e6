package repair

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestRepairSuffixComparer repairs a database kept under a comparer with
// version suffixes, whose point tombstones hide older versions of their
// row: the output must read exactly as the source does, by scans and by
// reads at each version.
func TestRepairSuffixComparer(t *testing.T) {
	cmp := base.FixedSuffixComparer(8)
	fs := vfs.NewMem()
	opts := &tempest.Options{FS: fs, Comparer: cmp, MemTableSize: tempest.MinMemTableSize}
	db, err := tempest.Open("/db", opts)
	must(t, err)
	ver := func(row, v int) []byte {
		return binary.BigEndian.AppendUint64(fmt.Appendf(nil, "row%03d", row), uint64(v))
	}
	for v := 1; v <= 6; v++ {
		for row := range 200 {
			switch {
			case row%5 == 0 && v == 4:
				must(t, db.Delete(ver(row, v), tempest.NoSync)) // hides versions 1-3 from reads at 4 and up
			case (row+v)%3 != 0:
				must(t, db.Set(ver(row, v), fmt.Appendf(nil, "%d@%d", row, v), tempest.NoSync))
			}
		}
		if v%2 == 0 {
			must(t, db.Flush())
		}
	}
	must(t, db.DeleteRange(ver(50, 9), ver(60, 0), tempest.NoSync))
	must(t, db.Close())

	rep, err := Run("/db", "/out", &Options{FS: fs, Output: testOutput,
		Comparers: func(name string) (*base.Comparer, error) { return cmp, nil }})
	must(t, err)
	if rep.Lost() || rep.Tombstones == 0 {
		t.Fatalf("%s", reportText(rep))
	}
	read := func(dir string) (scan []string, gets []string) {
		db, err := tempest.Open(dir, &tempest.Options{FS: fs, Comparer: cmp, MemTableSize: tempest.MinMemTableSize})
		must(t, err)
		defer func() { must(t, db.Close()) }()
		for kv, err := range db.All(nil, nil) {
			must(t, err)
			scan = append(scan, fmt.Sprintf("%x=%s", kv.Key, kv.Value))
		}
		for row := range 200 {
			for v := 1; v <= 7; v++ {
				got, err := db.Get(ver(row, v))
				gets = append(gets, fmt.Sprintf("%d@%d: %s %v", row, v, got, err))
			}
		}
		return scan, gets
	}
	srcScan, srcGets := read("/db")
	dstScan, dstGets := read("/out")
	if !slices.Equal(srcScan, dstScan) || !slices.Equal(srcGets, dstGets) {
		t.Fatalf("the output reads differently: %d rows scanned, %d in the source", len(dstScan), len(srcScan))
	}
	t.Logf("%d rows, %d reads by version agree; %d tombstones written", len(srcScan), len(srcGets), rep.Tombstones)
}
