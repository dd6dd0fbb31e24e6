package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

func fileNums(files []*FileMetadata) []base.FileNum {
	var out []base.FileNum
	for _, f := range files {
		out = append(out, f.FileNum)
	}
	return out
}

// Ported from the seed: test_manifest_initializes.
func TestInitializesEmpty(t *testing.T) {
	fs := vfs.NewMem()
	m, err := Open(fs, manifestDir, nil, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Files()) != 0 || m.Version().NumFiles() != 0 {
		t.Fatalf("files %v", m.Files())
	}
	if m.NextFileNum() != 0 || m.LastSeqNum() != 0 || m.MinUnflushedLog() != 0 {
		t.Fatalf("counters %d %d %d", m.NextFileNum(), m.LastSeqNum(), m.MinUnflushedLog())
	}
	if m.ComparerName() != "" || m.WasCleanClose() {
		t.Fatalf("comparer %q clean %v", m.ComparerName(), m.WasCleanClose())
	}
	if names, _ := fs.List(manifestDir); !slices.Equal(names, []string{"manifest-000000"}) {
		t.Fatalf("files in %s: %v", manifestDir, names)
	}
}

// Ported from the seed's test_manifest_alloc_filenum. File numbers are
// handed out by the engine from the NextFileNum lease: an allocation that
// was never persisted is handed out again after a reopen, one persisted
// through an edit is not.
func TestAllocFileNum(t *testing.T) {
	fs := vfs.NewMem()
	alloc := func(m *Manifest, next *base.FileNum) base.FileNum {
		n := *next
		*next++
		return n
	}
	for round := 0; round < 3; round++ {
		m := openManifest(t, fs)
		next := m.NextFileNum()
		for want := base.FileNum(0); want < 3; want++ {
			if got := alloc(m, &next); got != want {
				t.Fatalf("round %d: allocated %d, want %d", round, got, want)
			}
		}
		m.Close()
	}
	m := openManifest(t, fs)
	next := m.NextFileNum()
	for i := 0; i < 3; i++ {
		alloc(m, &next)
	}
	mustApply(t, m, &Edit{NextFileNum: next})
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	next = m.NextFileNum()
	if got := alloc(m, &next); got != 3 {
		t.Fatalf("after persisting: allocated %d, want 3", got)
	}
}

// Ported from the seed: test_manifest_record_flush.
func TestRecordFlush(t *testing.T) {
	m := openManifest(t, vfs.NewMem())
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 1})
	f := l0(0)
	mustApply(t, m, AddFile(f))
	if len(m.Files()) != 1 || len(m.Version().Levels[0]) != 1 || m.Version().NumFiles() != 1 {
		t.Fatalf("version\n%s", m.Version())
	}
	got := m.Files()[0]
	if got.FileNum != f.FileNum || got.Size != f.Size || got.Checksum != f.Checksum ||
		!slices.Equal(got.Smallest.UserKey, f.Smallest.UserKey) || got.Largest.Trailer != f.Largest.Trailer {
		t.Fatalf("file %s, want %s", got, &f)
	}
}

// Ported from the seed: test_manifest_recovers.
func TestRecovers(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 2})
	mustApply(t, m, AddFile(l0(0)))
	mustApply(t, m, AddFile(l0(1)))
	m.Close()

	m = openManifest(t, fs)
	defer m.Close()
	if got := fileNums(m.Files()); !slices.Equal(got, []base.FileNum{0, 1}) {
		t.Fatalf("files %v", got)
	}
	// The file number counter picks up where it left off.
	if m.NextFileNum() != 2 {
		t.Fatalf("next file %d, want 2", m.NextFileNum())
	}
	// L0 is newest first.
	if got := fileNums(m.Version().Levels[0]); !slices.Equal(got, []base.FileNum{1, 0}) {
		t.Fatalf("L0 %v", got)
	}
}

// Ported from the seed: test_manifest_record_compaction.
func TestRecordCompaction(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 3})
	mustApply(t, m, AddFile(l0(0)))
	mustApply(t, m, AddFile(l0(1)))
	old := m.Version()
	mustApply(t, m, Compaction(
		[]FileMetadata{meta(2, 1, "a", "z", 100, 210)},
		[]RemovedFile{{Level: 0, FileNum: 0}, {Level: 0, FileNum: 1}},
	))
	check := func(m *Manifest) {
		t.Helper()
		v := m.Version()
		if len(m.Files()) != 1 || len(v.Levels[0]) != 0 || len(v.Levels[1]) != 1 || v.Levels[1][0].FileNum != 2 {
			t.Fatalf("version\n%s", v)
		}
	}
	check(m)
	// Earlier versions are unchanged.
	if got := fileNums(old.Levels[0]); !slices.Equal(got, []base.FileNum{1, 0}) || len(old.Levels[1]) != 0 {
		t.Fatalf("old version changed:\n%s", old)
	}
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	check(m)
}

// TestNextFileNumNeverGoesBack covers the seed's WARN: with the newest file
// removed and the journal rotated, the next file number must not fall back
// to one derived from the live files.
func TestNextFileNumNeverGoesBack(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 10})
	for n := base.FileNum(0); n < 3; n++ {
		mustApply(t, m, AddFile(l0(n)))
	}
	mustApply(t, m, Compaction(nil, []RemovedFile{{0, 2}, {0, 1}}))
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	if m.JournalFileNum() != 1 || m.NextFileNum() != 10 || !slices.Equal(fileNums(m.Files()), []base.FileNum{0}) {
		t.Fatalf("journal file %d next %d files %v", m.JournalFileNum(), m.NextFileNum(), fileNums(m.Files()))
	}
	// A number at or above the lease is refused.
	if err := m.Apply(AddFile(l0(10))); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("add at the lease: %v", err)
	}
}

func TestCountersOnlyRise(t *testing.T) {
	m := openManifest(t, vfs.NewMem())
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 10, LastSeqNum: 100, MinUnflushedLog: 5})
	for _, e := range []*Edit{
		{NextFileNum: 9},
		{LastSeqNum: 99},
		{MinUnflushedLog: 4},
		{MinUnflushedLog: 11},
		{LastSeqNum: base.SeqNumMax + 1},
	} {
		if err := m.Apply(e); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("%s: %v", e, err)
		}
	}
	// Equal values and zeros (unchanged) are fine.
	mustApply(t, m, &Edit{NextFileNum: 10, LastSeqNum: 100, MinUnflushedLog: 5})
	mustApply(t, m, &Edit{})
	mustApply(t, m, &Edit{NextFileNum: 20, MinUnflushedLog: 15})
	if m.NextFileNum() != 20 || m.LastSeqNum() != 100 || m.MinUnflushedLog() != 15 {
		t.Fatalf("counters %d %d %d", m.NextFileNum(), m.LastSeqNum(), m.MinUnflushedLog())
	}
}

// TestInvariantsRejected: edits breaking an invariant fail with
// ErrInvalidArgument and write nothing.
func TestInvariantsRejected(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 10})
	mustApply(t, m, AddFile(l0(0)))
	mustApply(t, m, AddFile(meta(1, 1, "a", "c", 5, 6)))
	mustApply(t, m, AddFile(meta(2, 1, "d", "f", 5, 6)))
	size := fileSize(t, fs)
	for _, tc := range []struct {
		name string
		e    *Edit
	}{
		{"nil", nil},
		{"re-add live file", AddFile(l0(0))},
		{"add twice", Compaction([]FileMetadata{l0(3), l0(3)}, nil)},
		{"add at lease", AddFile(l0(10))},
		{"bad level", AddFile(meta(3, NumLevels, "a", "b", 1, 2))},
		{"negative level", AddFile(meta(3, -1, "a", "b", 1, 2))},
		{"seq range", AddFile(FileMetadata{FileNum: 3, SmallestSeq: 5, LargestSeq: 4})},
		{"smallest after largest", AddFile(meta(3, 2, "z", "a", 1, 2))},
		{"key seq outside range", AddFile(FileMetadata{FileNum: 3, Level: 2,
			Smallest: base.MakeInternalKey([]byte("a"), 9, base.KindSet), Largest: base.MakeInternalKey([]byte("b"), 1, base.KindSet),
			SmallestSeq: 1, LargestSeq: 2})},
		{"deletions above entries", AddFile(FileMetadata{FileNum: 3, EntryCount: 1, DeletionCount: 2})},
		{"L1 overlap", AddFile(meta(3, 1, "b", "b", 1, 2))},
		{"L1 overlap at edge", AddFile(meta(3, 1, "f", "g", 1, 6))},
		{"remove unknown", Compaction(nil, []RemovedFile{{0, 7}})},
		{"remove at wrong level", Compaction(nil, []RemovedFile{{1, 0}})},
		{"remove twice", Compaction(nil, []RemovedFile{{0, 0}, {0, 0}})},
		{"remove bad level", Compaction(nil, []RemovedFile{{9, 0}})},
		{"comparer change", &Edit{ComparerName: "other"}},
	} {
		err := m.Apply(tc.e)
		if !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if got := fileSize(t, fs); got != size {
		t.Fatalf("rejected edits were written: %d -> %d bytes", size, got)
	}
	if got := fileNums(m.Files()); !slices.Equal(got, []base.FileNum{0, 1, 2}) {
		t.Fatalf("files %v", got)
	}
	if err := m.Version().CheckInvariants(base.DefaultComparer); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t testing.TB, fs *vfs.MemFS) int {
	t.Helper()
	names, _ := fs.List(manifestDir)
	total := 0
	for _, n := range names {
		b, err := fs.ReadFile(manifestDir + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
	}
	return total
}

// TestMoveBetweenLevels: removals apply before additions, so one edit can
// move a file to another level under the same number.
func TestMoveBetweenLevels(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 5})
	f := meta(4, 1, "k", "m", 3, 9)
	mustApply(t, m, AddFile(f))
	f.Level = 2
	mustApply(t, m, Compaction([]FileMetadata{f}, []RemovedFile{{1, 4}}))
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	v := m.Version()
	if len(v.Levels[1]) != 0 || len(v.Levels[2]) != 1 || v.Levels[2][0].FileNum != 4 {
		t.Fatalf("version\n%s", v)
	}
}

func TestComparer(t *testing.T) {
	fs := vfs.NewMem()
	cmp := base.FixedSuffixComparer(8)
	m, err := Open(fs, manifestDir, cmp, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// A new manifest records no comparer until an edit does.
	if m.ComparerName() != "" {
		t.Fatalf("comparer %q", m.ComparerName())
	}
	mustApply(t, m, &Edit{ComparerName: cmp.Name, NextFileNum: 1})
	mustApply(t, m, &Edit{ComparerName: cmp.Name}) // restating it is fine
	if m.ComparerName() != cmp.Name {
		t.Fatalf("comparer %q", m.ComparerName())
	}
	m.Close()
	_, err = Open(fs, manifestDir, base.DefaultComparer, journal.Config{})
	if !errors.Is(err, base.ErrInvalidArgument) || !strings.Contains(err.Error(), cmp.Name) {
		t.Fatalf("open with another comparer: %v", err)
	}
	_, err = Open(fs, manifestDir, nil, journal.Config{})
	if !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("open with the default comparer: %v", err)
	}
	if _, err := Open(fs, manifestDir, &base.Comparer{}, journal.Config{}); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("unnamed comparer: %v", err)
	}
	m, err = Open(fs, manifestDir, base.FixedSuffixComparer(8), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

func TestCleanClose(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{CleanClose: true})
	m.Close()

	m = openManifest(t, fs)
	if !m.WasCleanClose() {
		t.Fatal("clean close not seen")
	}
	mustApply(t, m, &Edit{NextFileNum: 3})
	if !m.WasCleanClose() {
		t.Fatal("WasCleanClose must report the state at open")
	}
	m.Close()

	m = openManifest(t, fs)
	if m.WasCleanClose() {
		t.Fatal("an edit after the clean close must reset it")
	}
	// A clean close survives a rotation: the snapshot carries it.
	mustApply(t, m, &Edit{CleanClose: true})
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	if !m.WasCleanClose() || m.JournalFileNum() != 1 || m.NextFileNum() != 3 {
		t.Fatalf("after rotation: clean %v file %d next %d", m.WasCleanClose(), m.JournalFileNum(), m.NextFileNum())
	}
}

// TestApplyCopiesEdit: the caller may reuse the edit and its keys.
func TestApplyCopiesEdit(t *testing.T) {
	m := openManifest(t, vfs.NewMem())
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 5})
	f := meta(1, 1, "abc", "abd", 1, 2)
	e := AddFile(f)
	mustApply(t, m, e)
	e.Added[0].Smallest.UserKey[0] = 'z'
	e.Added[0].Level = 3
	got := m.Version().Levels[1][0]
	if string(got.Smallest.UserKey) != "abc" || got.Level != 1 {
		t.Fatalf("manifest shares memory with the caller's edit: %s", got)
	}
}

// TestReplayInvariantViolation: a durable edit that breaks an invariant is
// corruption at open.
func TestReplayInvariantViolation(t *testing.T) {
	for _, bad := range []*Edit{
		Compaction(nil, []RemovedFile{{0, 42}}),
		{NextFileNum: 1},
		AddFile(l0(99)),
		{ComparerName: "other"},
	} {
		fs := vfs.NewMem()
		m := openManifest(t, fs)
		mustApply(t, m, &Edit{NextFileNum: 5})
		mustApply(t, m, AddFile(l0(1)))
		m.Close()
		// Append the bad edit with a journal that accepts anything.
		j, err := journal.Open(fs, manifestDir, FilePrefix, func() anything { return anything{} }, Codec{}, journal.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(bad); err != nil {
			t.Fatal(err)
		}
		j.Close()
		if _, err := Open(fs, manifestDir, nil, journal.Config{}); !errors.Is(err, base.ErrCorruption) {
			t.Fatalf("%s: open: %v", bad, err)
		}
	}
}

// TestReplayVersionViolation: replayed files that break the Version
// invariants (overlapping L1 files, which the state alone does not check)
// are corruption at open.
func TestReplayVersionViolation(t *testing.T) {
	fs := vfs.NewMem()
	j, err := journal.Open(fs, manifestDir, FilePrefix, func() anything { return anything{} }, Codec{}, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Edit{
		{ComparerName: base.DefaultComparer.Name, NextFileNum: 5},
		AddFile(meta(1, 1, "a", "m", 1, 2)),
		AddFile(meta(2, 1, "c", "z", 1, 2)),
	} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	if _, err := Open(fs, manifestDir, nil, journal.Config{}); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("open: %v", err)
	}
}

// anything is a journal state that accepts every edit.
type anything struct{}

func (anything) Check(*Edit) error { return nil }
func (anything) Apply(*Edit) error { return nil }
func (anything) Snapshot() *Edit   { return &Edit{} }

func TestIOFailureIsSticky(t *testing.T) {
	mem := vfs.NewMem()
	toggle := errorfs.Toggle(errorfs.Always(errorfs.ErrInjected, func(op errorfs.Op) bool { return op.Kind == errorfs.OpSync }))
	m := openManifest(t, errorfs.Wrap(mem, toggle))
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 5})
	toggle.Enable()
	err := m.Apply(AddFile(l0(1)))
	toggle.Disable()
	if !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("apply: %v", err)
	}
	if m.Version().NumFiles() != 0 || len(m.Files()) != 0 {
		t.Fatal("failed edit was applied")
	}
	if err2 := m.Apply(&Edit{NextFileNum: 6}); err2 != err {
		t.Fatalf("later apply: %v", err2)
	}
	if m.NextFileNum() != 5 {
		t.Fatalf("next file %d", m.NextFileNum())
	}
}

// TestRotationBySize: a small growth baseline rotates the manifest, and
// every reopen sees the same state.
func TestRotationBySize(t *testing.T) {
	fs := vfs.NewMem()
	cfg := journal.Config{GrowthFactor: 2, GrowthBaseline: 512}
	m := openManifestCfg(t, fs, cfg)
	mustApply(t, m, &Edit{NextFileNum: 1000})
	for n := base.FileNum(0); n < 60; n++ {
		mustApply(t, m, AddFile(l0(n)))
		if n >= 5 && n%3 == 0 {
			mustApply(t, m, Compaction(nil, []RemovedFile{{0, n - 5}}))
		}
	}
	if m.JournalFileNum() < 3 {
		t.Fatalf("only %d rotations", m.JournalFileNum())
	}
	want := m.Version().String()
	m.Close()
	m = openManifestCfg(t, fs, cfg)
	defer m.Close()
	if got := m.Version().String(); got != want {
		t.Fatalf("after reopen:\n%s\nwant:\n%s", got, want)
	}
	if names, _ := fs.List(manifestDir); len(names) != 1 {
		t.Fatalf("files %v", names)
	}
}
