package tempest

import (
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// Under MemoryBudget, memtables and blocks share the cache: the cache's
// capacity is the budget, each memtable in use reserves its arena, a
// flush gives the frozen memtables' share back to the blocks, and Close
// gives everything back (checked on a cache shared by two DBs).
func TestMemoryBudget(t *testing.T) {
	const budget = 8 << 20
	shared := NewCache(budget)
	fs := vfs.NewMem()
	open := func(dir string) *DB {
		return mustOpen(t, dir, &Options{FS: fs, Cache: shared, MemoryBudget: budget, Scheduler: InlineScheduler{}})
	}
	a, b := open("/a"), open("/b")
	if got, want := a.opts.MemTableSize, budget/4/(a.opts.MaxImmutableMemTables+1); got != want {
		t.Fatalf("MemTableSize %d, want a quarter of the budget over %d memtables: %d", got, a.opts.MaxImmutableMemTables+1, want)
	}
	memSize := int64(a.mu.mem.Capacity()) // the arena, rounded

	if r := shared.Metrics().Reserved; r < 2*memSize {
		t.Fatalf("two open DBs reserve %d bytes, want at least their two active memtables (%d)", r, 2*memSize)
	}

	// Fill a through several memtables and read everything back, so that
	// blocks compete with the memtables for the budget.
	value := make([]byte, 200)
	const n = 40000
	for i := range n {
		if err := a.Set(fmt.Appendf(nil, "key%08d", i), value, NoSync); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := a.Get(fmt.Appendf(nil, "key%08d", i)); err != nil {
			t.Fatal(err)
		}
	}
	m := a.Metrics()
	cm := shared.Metrics()
	if cm.Size > cm.Capacity {
		t.Fatalf("cache charges %d bytes over its %d-byte budget", cm.Size, cm.Capacity)
	}
	if m.MemoryBytes > budget+memSize { // b's memtable is in the shared cache too
		t.Fatalf("engine memory %d exceeds the budget %d", m.MemoryBytes, budget)
	}
	if m.MemoryBytes < memSize {
		t.Fatalf("engine memory %d does not count the active memtable (%d)", m.MemoryBytes, memSize)
	}
	if cm.Count == 0 {
		t.Fatal("no block cached: the memtables took the whole budget")
	}

	before := shared.Metrics().Reserved
	mustClose(t, a)
	after := shared.Metrics().Reserved
	if before-after < memSize {
		t.Fatalf("closing a gave back %d reserved bytes, want at least its memtable's %d", before-after, memSize)
	}
	mustClose(t, b)
	if r := shared.Metrics().Reserved; r != 0 {
		t.Fatalf("%d bytes still reserved after both DBs closed", r)
	}
}

// Without MemoryBudget, memtables are not charged to the cache.
func TestNoMemoryBudgetNoCharge(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	defer mustClose(t, d)
	if r := d.cache.Metrics().Reserved; r != 0 {
		t.Fatalf("%d bytes reserved in an empty DB's cache without a MemoryBudget", r)
	}
}
