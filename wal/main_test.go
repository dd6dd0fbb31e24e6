package wal

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized tests (0 picks one from the clock)")

// newRand returns a generator seeded from -seed or the clock, and logs the
// seed so a failure can be replayed with -seed.
func newRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

const testDir = "/wal"

func newMemFS(t testing.TB) *vfs.MemFS {
	t.Helper()
	fs := vfs.NewMem()
	if err := fs.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return fs
}

func randPayload(rng *rand.Rand, maxLen int) []byte {
	p := make([]byte, rng.IntN(maxLen+1))
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// replayed is what Replay delivered.
type replayed struct {
	payloads [][]byte
	offsets  []int64
	res      ReplayResult
	err      error
}

func replay(fs vfs.FS, num base.FileNum) replayed {
	var r replayed
	r.res, r.err = Replay(fs, testDir, num, func(p []byte, off int64) error {
		r.payloads = append(r.payloads, bytes.Clone(p))
		r.offsets = append(r.offsets, off)
		return nil
	})
	return r
}

// checkPrefix fails unless got is a prefix of want.
func checkPrefix(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) > len(want) {
		t.Fatalf("replayed %d records, only %d were written", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: payload differs (%d bytes, want %d)", i, len(got[i]), len(want[i]))
		}
	}
}

func fileBytes(t testing.TB, fs vfs.FS, path string) []byte {
	t.Helper()
	data, err := readFile(fs, path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeFile replaces path with data, durably.
func writeFile(t testing.TB, fs vfs.FS, path string, data []byte) {
	t.Helper()
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func walPath(num base.FileNum) string { return testDir + "/" + FileName(num) }

// errInjected is the error faultFS injects.
var errInjected = errors.New("injected I/O error")

// faultFS wraps an FS; its files fail Write or Sync once armed, and count
// the calls they receive.
type faultFS struct {
	vfs.FS
	failWrite atomic.Bool
	failSync  atomic.Bool
	// failSyncAt, if positive, fails the Sync call that brings syncs to
	// this count.
	failSyncAt atomic.Int64
	writes     atomic.Int64
	syncs      atomic.Int64
}

func (fs *faultFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.fs.writes.Add(1)
	if f.fs.failWrite.Load() {
		return 0, errInjected
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	n := f.fs.syncs.Add(1)
	if f.fs.failSync.Load() || n == f.fs.failSyncAt.Load() {
		return errInjected
	}
	return f.File.Sync()
}
