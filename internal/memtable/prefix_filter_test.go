package memtable

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// TestPrefixFilter checks that every added key's prefix passes the filter
// (under a comparer with suffixes, every version shares its prefix's
// bits) and that most absent prefixes do not.
func TestPrefixFilter(t *testing.T) {
	cmp := base.FixedSuffixComparer(8)
	m := New(cmp, 1<<20, 1)
	key := func(row int, ts uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte(fmt.Sprintf("row%06d", row)), ts)
	}
	const rows = 3000
	for row := range rows {
		if err := m.Add(base.MakeInternalKey(key(row, 7), base.SeqNum(row+1), base.KindSet), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for row := range rows {
		if !m.MayContainPrefix(cmp.Prefix(key(row, 3))) {
			t.Fatalf("row %d: added prefix rejected", row)
		}
	}
	fp := 0
	for row := rows; row < 2*rows; row++ {
		if m.MayContainPrefix(cmp.Prefix(key(row, 7))) {
			fp++
		}
	}
	// 3000 entries in a 1 MiB arena: about 54 filter bits each, so few false
	// positives; 2% leaves room.
	if fp > rows/50 {
		t.Fatalf("%d of %d absent prefixes passed", fp, rows)
	}
	if New(cmp, MinArenaSize, 1).MayContainPrefix([]byte("x")) {
		t.Fatal("empty memtable's filter passed a prefix")
	}
}
