package manifest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// model is the expected manifest state.
type model struct {
	files      map[base.FileNum]FileMetadata
	next       base.FileNum
	lastSeq    base.SeqNum
	minLog     base.FileNum
	cleanClose bool
	slot       int // next unused key slot for L1+ files
}

func (m *model) apply(e *Edit) {
	if e.NextFileNum != 0 {
		m.next = e.NextFileNum
	}
	if e.LastSeqNum != 0 {
		m.lastSeq = e.LastSeqNum
	}
	if e.MinUnflushedLog != 0 {
		m.minLog = e.MinUnflushedLog
	}
	for _, r := range e.Removed {
		delete(m.files, r.FileNum)
	}
	for _, f := range e.Added {
		m.files[f.FileNum] = f
	}
	m.cleanClose = e.CleanClose
}

// randomValidEdit returns an edit that the manifest must accept.
func (m *model) randomValidEdit(rng *rand.Rand) *Edit {
	e := &Edit{}
	alloc := func() base.FileNum {
		n := m.next
		if e.NextFileNum != 0 {
			n = e.NextFileNum
		}
		e.NextFileNum = n + 1
		return n
	}
	switch rng.IntN(6) {
	case 0: // lease
		e.NextFileNum = m.next + base.FileNum(rng.IntN(5))
		e.LastSeqNum = m.lastSeq + base.SeqNum(rng.IntN(100))
	case 1, 2: // flush
		num := alloc()
		lo := m.lastSeq + 1
		hi := lo + base.SeqNum(rng.IntN(50))
		e.LastSeqNum = hi
		e.Added = []FileMetadata{meta(num, 0, "a", "z", lo, hi)}
		if rng.IntN(2) == 0 { // statistics survive replay and rotation
			e.Added[0].EntryCount = 1 + uint64(rng.IntN(1000))
			e.Added[0].DeletionCount = uint64(rng.IntN(int(e.Added[0].EntryCount) + 1))
		}
		if rng.IntN(2) == 0 {
			e.MinUnflushedLog = num
		}
	case 3: // compaction of every L0 file into one new L1 file
		for num, f := range m.files {
			if f.Level == 0 {
				e.Removed = append(e.Removed, RemovedFile{0, num})
			}
		}
		num := alloc()
		k := fmt.Sprintf("k%06d", m.slot)
		m.slot++
		e.Added = []FileMetadata{meta(num, 1, k, k, 1, m.lastSeq+1)}
		e.LastSeqNum = m.lastSeq + 1
	case 4: // move or delete a random file
		// Pick by sorted file number, not map order, so that a seed
		// replays the same operations.
		if len(m.files) > 0 {
			nums := slices.Sorted(maps.Keys(m.files))
			num := nums[rng.IntN(len(nums))]
			f := m.files[num]
			e.Removed = []RemovedFile{{f.Level, num}}
			if f.Level > 0 && f.Level < NumLevels-1 && rng.IntN(2) == 0 {
				f.Level++
				e.Added = []FileMetadata{f}
			}
		}
	case 5:
		e.CleanClose = true
	}
	return e
}

// check compares the manifest with the model.
func (m *model) check(t *testing.T, what string, man *Manifest) {
	t.Helper()
	want := make([]*FileMetadata, 0, len(m.files))
	for _, f := range m.files {
		f := f
		want = append(want, &f)
	}
	wantV := newVersion(base.DefaultComparer, want)
	if got := man.Version().String(); got != wantV.String() {
		t.Fatalf("%s: version\n%s\nwant\n%s", what, got, wantV)
	}
	if man.NextFileNum() != m.next || man.LastSeqNum() != m.lastSeq || man.MinUnflushedLog() != m.minLog {
		t.Fatalf("%s: counters %d %d %d, want %d %d %d", what,
			man.NextFileNum(), man.LastSeqNum(), man.MinUnflushedLog(), m.next, m.lastSeq, m.minLog)
	}
	if err := man.Version().CheckInvariants(base.DefaultComparer); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestRandomEditsWithCrashes applies random valid edits with frequent
// rotations, and after some of them opens a crash image of the file
// system: every acknowledged edit must be there, with the same Version.
func TestRandomEditsWithCrashes(t *testing.T) {
	rng := newRand(testSeed(t))
	cfg := journal.Config{GrowthFactor: 2, GrowthBaseline: uint64(200 + rng.IntN(2000))}
	mem := vfs.NewMem()
	man := openManifestCfg(t, mem, cfg)
	mod := &model{files: map[base.FileNum]FileMetadata{}}
	for i := 0; i < 400; i++ {
		e := mod.randomValidEdit(rng)
		if err := man.Apply(e); err != nil {
			t.Fatalf("edit %d %s: %v", i, e, err)
		}
		mod.apply(e)
		mod.check(t, fmt.Sprintf("edit %d", i), man)
		if rng.IntN(20) != 0 {
			continue
		}
		opts := vfs.CrashOptions{UnsyncedDataPercent: rng.IntN(101), TornLastWrite: rng.IntN(2) == 0, Rand: newRand(rng.Uint64())}
		crashed := openManifestCfg(t, mem.CrashClone(opts), cfg)
		mod.check(t, fmt.Sprintf("crash after edit %d (%s)", i, opts), crashed)
		if crashed.WasCleanClose() != mod.cleanClose {
			t.Fatalf("crash after edit %d: clean close %v", i, crashed.WasCleanClose())
		}
		crashed.Close()
		if rng.IntN(3) == 0 {
			man.Close()
			man = openManifestCfg(t, mem, cfg)
			mod.check(t, fmt.Sprintf("reopen after edit %d", i), man)
			if man.WasCleanClose() != mod.cleanClose {
				t.Fatalf("reopen after edit %d: clean close %v", i, man.WasCleanClose())
			}
		}
	}
	if man.JournalFileNum() < 2 {
		t.Fatalf("only %d rotations", man.JournalFileNum())
	}
	man.Close()
}
