package tempest

import (
	"errors"
	"fmt"
	"math"
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

// A MemTableSize derived from a small MemoryBudget is clamped up to
// MinMemTableSize: Open succeeds down to a budget of one byte, and the DB
// writes through several memtables and reads everything back. Under
// 1.25 MiB the derived size (a twentieth of the budget with the default
// four immutable memtables) would be below the minimum.
func TestMemoryBudgetSmall(t *testing.T) {
	for _, budget := range []int64{1, 64 << 10, 320<<10 - 1, 1<<20 + 1<<18 - 1} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			d := mustOpen(t, "/db", &Options{FS: vfs.NewMem(), MemoryBudget: budget})
			defer mustClose(t, d)
			if got := d.opts.MemTableSize; got != MinMemTableSize {
				t.Fatalf("MemTableSize %d, want MinMemTableSize %d", got, MinMemTableSize)
			}
			value := make([]byte, 100)
			const n = 3000 // about five memtables
			for i := range n {
				if err := d.Set(fmt.Appendf(nil, "key%05d", i), value, NoSync); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if _, err := d.Get(fmt.Appendf(nil, "key%05d", i)); err != nil {
					t.Fatalf("key%05d: %v", i, err)
				}
			}
			if f := d.Metrics().Flushes; f < 3 {
				t.Fatalf("%d flushes: the memtables never filled", f)
			}
		})
	}
}

// Around the clamps: a budget just at 1.25 MiB derives its own size, a
// huge one is clamped down to the largest memtable (checked on the
// options alone: such an arena would be allocated), and a MemTableSize
// the user set outside the legal range is refused, with a budget or not.
func TestMemoryBudgetMemTableSizeRange(t *testing.T) {
	derived := func(budget int64) int {
		o, err := (&Options{FS: vfs.NewMem(), MemoryBudget: budget}).ensureDefaults()
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		return o.MemTableSize
	}
	if got := derived(5 * 4 * MinMemTableSize); got != MinMemTableSize {
		t.Fatalf("budget of 1.25 MiB: MemTableSize %d, want %d", got, MinMemTableSize)
	}
	if got := derived(8 << 20); got != 8<<20/20 {
		t.Fatalf("budget of 8 MiB: MemTableSize %d, want %d", got, 8<<20/20)
	}
	if got, want := derived(1<<62), int(min(MaxMemTableSize, math.MaxInt)); got != want {
		t.Fatalf("budget of 2^62: MemTableSize %d, want %d", got, want)
	}
	for _, o := range []*Options{
		{MemTableSize: MinMemTableSize - 1},
		{MemTableSize: MinMemTableSize - 1, MemoryBudget: 1 << 20},
		{MemTableSize: 1000, MemoryBudget: 64 << 20},
	} {
		o.FS = vfs.NewMem()
		if _, err := Open("/db", o); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("MemTableSize %d, MemoryBudget %d: Open returned %v, want ErrInvalidArgument", o.MemTableSize, o.MemoryBudget, err)
		}
	}
	if math.MaxInt > MaxMemTableSize {
		o := &Options{FS: vfs.NewMem(), MemTableSize: int(min(MaxMemTableSize+1, math.MaxInt)), MemoryBudget: 1 << 20}
		if _, err := o.ensureDefaults(); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("MemTableSize %d: %v, want ErrInvalidArgument", o.MemTableSize, err)
		}
	}
}
