package repair

import (
	"maps"
	"slices"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// TestRepairCrashed repairs the images a crash leaves of a database that
// was never closed, with none, half or all of its unsynced writes kept.
// The output must be the state of some prefix of the batches that holds
// every synced one, less the batches of reported WAL losses: the unsynced
// tail of the newest WAL is a torn tail, not a loss. SSTs are durable
// before they are recorded, so no SST loss may be reported.
func TestRepairCrashed(t *testing.T) {
	seed := testutil.Seed(t)
	rng := testutil.NewRand(seed)
	mem := vfs.NewMem()
	m, db := openBuiltDB(t, mem, "/db", 1000, seed)
	m.applyWith(t, db, tempest.Sync, op{kind: "set", key: key(5), other: "synced"})
	synced := m.batches[len(m.batches)-1].seq
	for i := range 40 {
		m.apply(t, db, op{kind: "set", key: key(i * 7), other: value(rng, i, 9)})
	}
	for _, p := range []int{0, 50, 100} {
		image := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: p, Rand: rng, TornLastWrite: true})
		rep, err := Run("/db", "/out", &Options{FS: image, Output: testOutput})
		must(t, err)
		got := readDBOn(t, image, "/out")
		for _, l := range rep.Losses {
			if l.HasSmallest || l.HasLargest || !l.HasMinSeq || !l.HasMaxSeq {
				t.Fatalf("%d%% kept: loss %+v is not a WAL range", p, l)
			}
		}
		lost := func(seq uint64) bool {
			for _, l := range rep.Losses {
				if seq >= uint64(l.MinSeq) && seq <= uint64(l.MaxSeq) {
					return true
				}
			}
			return false
		}
		var cuts []uint64
		for _, b := range m.batches {
			if b.seq >= synced {
				cuts = append(cuts, b.seq)
			}
		}
		match := slices.IndexFunc(cuts, func(cut uint64) bool {
			return maps.Equal(got, m.state(func(seq uint64) bool { return seq > cut || lost(seq) }))
		})
		if match < 0 {
			t.Fatalf("%d%% kept: the output is no prefix of the batches holding the synced ones\n%s", p, reportText(rep))
		}
		t.Logf("%d%% of unsynced data kept: output is the state at seqnum %d (synced up to %d), %d losses", p, cuts[match], synced, len(rep.Losses))
	}
	must(t, db.Close())
}
