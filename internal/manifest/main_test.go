package manifest

import (
	"github.com/tempestdb/tempest/internal/testutil"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testSeed(t testing.TB) uint64 { return testutil.Seed(t) }

func newRand(seed uint64) *rand.Rand { return testutil.NewRand(seed) }

const manifestDir = "/manifest"

func openManifest(t testing.TB, fs vfs.FS) *Manifest {
	t.Helper()
	return openManifestCfg(t, fs, journal.Config{})
}

// openManifestCfg opens the manifest and, like a new database, records the
// comparer if no edit has yet.
func openManifestCfg(t testing.TB, fs vfs.FS, cfg journal.Config) *Manifest {
	t.Helper()
	m, err := Open(fs, manifestDir, base.DefaultComparer, cfg)
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	if m.ComparerName() == "" {
		mustApply(t, m, &Edit{ComparerName: base.DefaultComparer.Name})
	}
	return m
}

func mustApply(t testing.TB, m *Manifest, e *Edit) {
	t.Helper()
	if err := m.Apply(e); err != nil {
		t.Fatalf("apply %s: %v", e, err)
	}
}

// meta returns the metadata of an SST holding keys lo..hi written at
// seqnums seqLo..seqHi (lo at seqHi, hi at seqLo).
func meta(num base.FileNum, level int, lo, hi string, seqLo, seqHi base.SeqNum) FileMetadata {
	return FileMetadata{
		FileNum:     num,
		Level:       level,
		Size:        1000 + uint64(num),
		Checksum:    0xc0ffee ^ uint64(num),
		Smallest:    base.MakeInternalKey([]byte(lo), seqHi, base.KindSet),
		Largest:     base.MakeInternalKey([]byte(hi), seqLo, base.KindDelete),
		SmallestSeq: seqLo,
		LargestSeq:  seqHi,
	}
}

// l0 returns the metadata of an L0 SST numbered num with seqnums
// around 100*num.
func l0(num base.FileNum) FileMetadata {
	s := base.SeqNum(100 * (uint64(num) + 1))
	return meta(num, 0, "a", "z", s, s+10)
}
