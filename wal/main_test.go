package wal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

func TestMain(m *testing.M) {
	runCrashChild() // returns unless this process is a crash test's child
	goleak.VerifyTestMain(m)
}

// newRand returns a generator seeded by testutil.Seed (-seed, TEMPEST_SEED
// or the clock; logged for replay).
func newRand(t testing.TB) *rand.Rand { return testutil.NewRand(testutil.Seed(t)) }

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
	return replayDir(fs, testDir, num)
}

func replayDir(fs vfs.FS, dir string, num base.FileNum) replayed {
	var r replayed
	r.res, r.err = Replay(fs, dir, num, func(p []byte, off int64) error {
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
// the calls they receive. Its files hide the inner file's Fd, so a Writer
// takes the write path, unless keepFd is set; then the mapped path's
// fdatasync calls must be routed to sync by hookSyscalls to be counted.
type faultFS struct {
	vfs.FS
	keepFd    bool
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
	ff := &faultFile{File: f, fs: fs}
	if fd, ok := f.(vfs.FdFile); ok && fs.keepFd {
		return &faultFdFile{faultFile: ff, fd: fd}, nil
	}
	return ff, nil
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
	if err := f.fs.sync(); err != nil {
		return err
	}
	return f.File.Sync()
}

// sync counts a sync and returns the injected error if one is armed.
func (fs *faultFS) sync() error {
	n := fs.syncs.Add(1)
	if fs.failSync.Load() || n == fs.failSyncAt.Load() {
		return errInjected
	}
	return nil
}

// faultFdFile is a faultFile that exposes the inner file's descriptor, so
// a Writer maps it.
type faultFdFile struct {
	*faultFile
	fd vfs.FdFile
}

func (f *faultFdFile) Fd() uintptr { return f.fd.Fd() }

// A mode is a file system and write path that the writer tests run on.
type mode struct {
	name string
	// os selects vfs.Default in a temporary directory instead of MemFS.
	os bool
	// fd lets the Writer see the file's descriptor: the mapped path, on
	// platforms that have it.
	fd bool
	// small shrinks the mapped path's windows and preallocation, so that
	// tests extend and remap the file many times.
	small bool
}

var modes = []mode{
	{name: "mem"},
	{name: "write", os: true},
	{name: "mmap", os: true, fd: true},
	{name: "mmap-small", os: true, fd: true, small: true},
}

// mapped reports whether Writers in this mode take the mapped path.
func (m mode) mapped() bool { return m.fd && mmapSupported }

// setup returns the mode's file system, wrapped in a faultFS, and the
// directory to create logs in.
func (m mode) setup(t testing.TB) (*faultFS, string) {
	t.Helper()
	if !m.os {
		return &faultFS{FS: newMemFS(t)}, testDir
	}
	fs := &faultFS{FS: vfs.Default, keepFd: m.fd}
	if m.fd {
		hookSyscalls(t, fs, m.small)
	}
	return fs, t.TempDir()
}

// forEachMode runs f as a subtest in every mode.
func forEachMode(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// createIn creates WAL num in dir and checks that it took the mode's path.
func createIn(t testing.TB, m mode, fs vfs.FS, dir string, num base.FileNum) *Writer {
	t.Helper()
	w, err := Create(fs, dir, num)
	if err != nil {
		t.Fatal(err)
	}
	if w.mapped() != m.mapped() {
		t.Fatalf("mode %s: writer mapped=%t, want %t", m.name, w.mapped(), m.mapped())
	}
	return w
}
