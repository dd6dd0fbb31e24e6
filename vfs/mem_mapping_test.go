package vfs_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// mappedLog makes a mappable MemFS holding a durable file /log of head
// bytes 'H', and maps it.
func mappedLog(t *testing.T, head int) (*vfs.MemFS, vfs.File, vfs.Mapping) {
	t.Helper()
	fs := mappableMem()
	durableFile(t, fs, "/", "log", fill('H', head))
	f, err := fs.OpenForAppend("/log")
	must(t, err)
	t.Cleanup(func() { _ = f.Close() })
	m, err := f.(vfs.MappableFile).Map()
	must(t, err)
	return fs, f, m
}

// TestCrashMappedStores checks what a crash keeps of stores through a
// mapping: synced stores survive every crash, the allocated space reads
// as zeros, and each unsynced block survives or not on its own, like an
// unsynced write; a process crash keeps everything.
func TestCrashMappedStores(t *testing.T) {
	fs, _, m := mappedLog(t, 100)
	must(t, m.Allocate(64<<10))
	must(t, m.Store(100, fill('A', 8192)))
	must(t, m.Sync())
	must(t, m.Store(8292, fill('B', 3*4096)))
	current := content(t, fs, "/log")
	synced := append(append(fill('H', 100), fill('A', 8192)...), make([]byte, 64<<10-8292)...)

	if got := content(t, crash(fs, 100, 1), "/log"); !bytes.Equal(got, current) {
		t.Fatal("process crash lost stored bytes")
	}
	if got := content(t, crash(fs, 0, 1), "/log"); !bytes.Equal(got, synced) {
		t.Fatal("power loss at 0% kept unsynced stores, or lost synced ones")
	}
	seed := testSeed(t)
	seen := map[string]bool{}
	for i := range uint64(100) {
		got := content(t, crash(fs, 50, seed+i), "/log")
		if len(got) != 64<<10 || !bytes.Equal(got[:8292], synced[:8292]) {
			t.Fatalf("seed %d: %d bytes, synced prefix intact=%t", seed+i, len(got), bytes.Equal(got[:8292], synced[:8292]))
		}
		// The unsynced stores cover part of block 2, blocks 3 and 4, and
		// part of block 5: each block is all stored bytes or all as
		// synced.
		for b := 2; b <= 5; b++ {
			lo, hi := max(b*4096, 8292), min((b+1)*4096, 8292+3*4096)
			switch blk := got[lo:hi]; {
			case bytes.Equal(blk, fill('B', hi-lo)):
				seen["B"] = true
			case bytes.Equal(blk, make([]byte, hi-lo)):
				seen["zero"] = true
			default:
				t.Fatalf("seed %d: block %d is a mix", seed+i, b)
			}
		}
		if !bytes.Equal(got[8292+3*4096:], synced[8292+3*4096:]) {
			t.Fatalf("seed %d: bytes past the stores are not zeros", seed+i)
		}
	}
	if !seen["B"] || !seen["zero"] {
		t.Fatalf("outcomes not varied: %v", seen)
	}

	// The last store, unsynced, is torn like the last write.
	torn := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100, TornLastWrite: true,
		Rand: rand.New(rand.NewPCG(seed, 7))})
	got := content(t, torn, "/log")
	k := 0
	for k < 3*4096 && got[8292+k] == 'B' {
		k++
	}
	k -= k % 512 // a random tail could start with 'B' by chance
	if tail := got[8292+k : 8292+3*4096]; bytes.Equal(tail, fill('B', len(tail))) {
		t.Fatal("the last store is not torn")
	}
}

// TestCrashMappedAllocate checks that an unsynced Allocate is kept or
// undone as a whole, and that a surviving store past the synced size
// extends the file as an unsynced write does.
func TestCrashMappedAllocate(t *testing.T) {
	fs, _, m := mappedLog(t, 100)
	must(t, m.Allocate(64<<10))
	if got := len(content(t, crash(fs, 0, 1), "/log")); got != 100 {
		t.Fatalf("power loss at 0%% keeps %d bytes, want the synced 100", got)
	}
	if got := content(t, crash(fs, 100, 1), "/log"); !bytes.Equal(got, append(fill('H', 100), make([]byte, 64<<10-100)...)) {
		t.Fatalf("process crash: %d bytes", len(got))
	}
	must(t, m.Store(40000, fill('S', 100))) // block 9: [36864, 40960)
	seed := testSeed(t)
	lengths := map[int]int{}
	for i := range uint64(200) {
		got := content(t, crash(fs, 50, seed+i), "/log")
		lengths[len(got)]++
		if !bytes.Equal(got[:100], fill('H', 100)) {
			t.Fatalf("seed %d: synced head lost", seed+i)
		}
		for j := 100; j < len(got); j++ {
			if got[j] != 0 && !(j >= 40000 && j < 40100 && got[j] == 'S') {
				t.Fatalf("seed %d: byte %d is %#x", seed+i, j, got[j])
			}
		}
	}
	// Allocation and store both lost; only the store kept (up to its
	// block's end); the allocation kept.
	if len(lengths) != 3 || lengths[100] == 0 || lengths[40960] == 0 || lengths[64<<10] == 0 {
		t.Fatalf("lengths %v, want 100, 40960 and 65536", lengths)
	}
	must(t, m.Sync())
	if got := len(content(t, crash(fs, 0, 1), "/log")); got != 64<<10 {
		t.Fatalf("after Sync, power loss keeps %d bytes, want the allocated 65536", got)
	}
}

// TestCrashMappedTruncate checks that an unsynced Truncate is kept or
// undone as a whole, that an undone one brings back the synced bytes it
// cut, and that once synced it holds; then the pattern of a closing log:
// truncate, sync, write past the cut.
func TestCrashMappedTruncate(t *testing.T) {
	fs, f, m := mappedLog(t, 10000)
	must(t, m.Allocate(64<<10))
	must(t, m.Sync())
	must(t, m.Truncate(5000))
	long := append(fill('H', 10000), make([]byte, 64<<10-10000)...)
	if got := content(t, crash(fs, 0, 1), "/log"); !bytes.Equal(got, long) {
		t.Fatalf("power loss at 0%%: %d bytes, want the synced 65536 with the cut bytes back", len(got))
	}
	if got := content(t, crash(fs, 100, 1), "/log"); !bytes.Equal(got, fill('H', 5000)) {
		t.Fatalf("process crash: %d bytes, want 5000", len(got))
	}
	seed := testSeed(t)
	seen := map[int]bool{}
	for i := range uint64(100) {
		got := content(t, crash(fs, 50, seed+i), "/log")
		if !bytes.Equal(got, fill('H', 5000)) && !bytes.Equal(got, long) {
			t.Fatalf("seed %d: %d bytes, neither truncated nor as synced", seed+i, len(got))
		}
		seen[len(got)] = true
	}
	if len(seen) != 2 {
		t.Fatalf("outcomes %v, want both", seen)
	}
	must(t, m.Sync())
	must(t, m.Unmap())
	_, err := f.WriteAt([]byte("END"), 5000)
	must(t, err)
	for _, pct := range []int{0, 50, 100} {
		got := content(t, crash(fs, pct, seed), "/log")
		if !bytes.Equal(got[:5000], fill('H', 5000)) || (len(got) != 5000 && string(got[5000:]) != "END") {
			t.Fatalf("%d%%: %d bytes ending %q", pct, len(got), got[max(0, len(got)-3):])
		}
	}
}

// TestCrashMappedInvariants runs random log-like workloads through a
// mapping (stores that append, allocations ahead in random steps, syncs,
// truncations of the unused space) and checks each crash image against a
// model: the synced stores are there, every other byte is a stored byte
// or zero, the length lies between the synced and the current size, and
// a process crash keeps exactly the current content.
func TestCrashMappedInvariants(t *testing.T) {
	seed := testSeed(t)
	for iter := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, iter))
		fs, _, m := mappedLog(t, 0)
		var stored []byte
		durable, size, syncedSize := 0, int64(0), int64(0)
		for step := range 60 {
			switch op := rng.IntN(10); {
			case op < 6:
				p := fill(byte(1+rng.IntN(255)), rng.IntN(6000))
				if end := int64(len(stored) + len(p)); end > size {
					size = end + int64(rng.IntN(20000))
					must(t, m.Allocate(size))
				}
				must(t, m.Store(int64(len(stored)), p))
				stored = append(stored, p...)
			case op < 8:
				must(t, m.Sync())
				durable, syncedSize = len(stored), size
			default:
				size = int64(len(stored))
				must(t, m.Truncate(size))
			}
			pct := rng.IntN(101)
			c := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: pct, Rand: rng})
			what := fmt.Sprintf("iter %d step %d (%d%%)", iter, step, pct)
			checkMappedCrash(t, what, content(t, c, "/log"), stored, durable, min(size, syncedSize), max(size, syncedSize))
			if got := content(t, crash(fs, 100, 0), "/log"); int64(len(got)) != size || !bytes.Equal(got[:len(stored)], stored) {
				t.Fatalf("%s: process crash kept %d bytes, want %d", what, len(got), size)
			}
		}
	}
}

func checkMappedCrash(t *testing.T, what string, got, stored []byte, durable int, lo, hi int64) {
	t.Helper()
	if int64(len(got)) < lo || int64(len(got)) > hi {
		t.Fatalf("%s: length %d outside [%d, %d]", what, len(got), lo, hi)
	}
	if !bytes.Equal(got[:durable], stored[:durable]) {
		t.Fatalf("%s: synced stores changed", what)
	}
	for i := durable; i < len(got); i++ {
		if got[i] != 0 && (i >= len(stored) || got[i] != stored[i]) {
			t.Fatalf("%s: byte %d is %#x, neither stored nor zero", what, i, got[i])
		}
	}
}
