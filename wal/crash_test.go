package wal

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestPowerLoss writes groups with a mix of Sync and no Sync and takes a
// crash clone of the file system after every group, on MemFS, through
// File.Write and through a mapping. Recovery of the clone must not fail,
// must return a prefix of the records written, and that prefix must hold
// every record written before the last successful Sync.
func TestPowerLoss(t *testing.T) {
	forModes(t, modes[:4], testPowerLoss)
}

func testPowerLoss(t *testing.T, m mode) {
	rng := newRand(t)
	iters := 150
	if m.maps() {
		// A mapped log's image carries its preallocated tail, at least
		// 64 KiB of zeros that every recovery scans as a torn tail.
		iters = 50
	}
	if testing.Short() {
		iters /= 7
	}
	for iter := 0; iter < iters; iter++ {
		fs, _ := m.setup(t)
		mem := fs.FS.(*vfs.MemFS)
		w := createIn(t, m, fs, testDir, 1)
		var written [][]byte
		durable := 0 // records covered by the last successful Sync
		closed := false
		groups := 1 + rng.IntN(10)
		for g := 0; g < groups && !closed; g++ {
			group := make([][]byte, 1+rng.IntN(4))
			for i := range group {
				group[i] = randPayload(rng, 6000) // records straddle 4 KiB blocks
			}
			if err := w.WriteRecords(group...); err != nil {
				t.Fatal(err)
			}
			written = append(written, group...)
			switch rng.IntN(4) {
			case 0, 1:
				if err := w.Sync(); err != nil {
					t.Fatal(err)
				}
				durable = len(written)
			case 2:
				if g < groups-1 {
					break
				}
				if rng.IntN(2) == 0 {
					if err := w.Close(2); err != nil {
						t.Fatal(err)
					}
					closed = true
					durable = len(written)
					break
				}
				// Power fails during Close: the fsync after the end
				// record does not complete. Close first made the
				// records before it durable, and a mapped writer its
				// truncation.
				fs.failSyncAt.Store(fs.syncs.Load() + 1)
				if w.SyncedSize() < w.Size() || (w.mapped() && w.allocated != w.Size()) {
					fs.failSyncAt.Add(1)
				}
				if err := w.Close(2); !errors.Is(err, errInjected) {
					t.Fatalf("Close: %v, want the injected error", err)
				}
				durable = len(written)
			}
			for _, pct := range []int{0, 50, 100} {
				for _, torn := range []bool{false, true} {
					opts := vfs.CrashOptions{
						UnsyncedDataPercent: pct,
						Rand:                rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())),
						TornLastWrite:       torn,
					}
					checkCrash(t, mem.CrashClone(opts), fmt.Sprintf("iter %d group %d %v", iter, g, opts),
						written, durable, closed)
				}
			}
		}
		w.Abandon()
	}
}

func checkCrash(t *testing.T, crashed vfs.FS, what string, written [][]byte, durable int, closed bool) {
	t.Helper()
	r := replay(crashed, 1)
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	checkPrefix(t, r.payloads, written)
	if len(r.payloads) < durable {
		t.Fatalf("%s: replayed %d records, but %d were synced", what, len(r.payloads), durable)
	}
	if closed && (!r.res.CleanClose || r.res.Next != 2 || len(r.payloads) != len(written)) {
		t.Fatalf("%s: closed log replayed %d of %d records, result %+v", what, len(r.payloads), len(written), r.res)
	}
}
