package wal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"runtime"
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
// the calls they receive. Its files hide the inner file's mapping
// capability, so a Writer takes the write path, unless keepMap is set;
// then the Mapping's Stores and Syncs are counted and failed too.
type faultFS struct {
	vfs.FS
	keepMap   bool
	failWrite atomic.Bool
	failSync  atomic.Bool
	// failSyncAt, if positive, fails the Sync call that brings syncs to
	// this count.
	failSyncAt atomic.Int64
	// failWriteAt, if positive, fails the Write, WriteAt or Store call
	// that brings writes and stores together to this count.
	failWriteAt atomic.Int64
	// gate, if set, holds every Sync until a value is received from it,
	// after sending on entered (if set).
	gate, entered chan struct{}
	writes        atomic.Int64 // File.Write and WriteAt calls
	stores        atomic.Int64 // Mapping.Store calls
	syncs         atomic.Int64 // File.Sync and Mapping.Sync calls
}

func (fs *faultFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	ff := &faultFile{File: f, fs: fs}
	if mf, ok := f.(vfs.MappableFile); ok && fs.keepMap {
		return &faultMapFile{faultFile: ff, inner: mf}, nil
	}
	return ff, nil
}

type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.write(); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.write(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if err := f.fs.sync(); err != nil {
		return err
	}
	return f.File.Sync()
}

// write counts a write and returns the injected error if one is armed.
func (fs *faultFS) write() error {
	fs.writes.Add(1)
	return fs.maybeFailWrite()
}

// maybeFailWrite returns the injected error if a write failure is armed
// for the call just counted.
func (fs *faultFS) maybeFailWrite() error {
	if fs.failWrite.Load() || fs.writes.Load()+fs.stores.Load() == fs.failWriteAt.Load() {
		return errInjected
	}
	return nil
}

// sync counts a sync and returns the injected error if one is armed.
func (fs *faultFS) sync() error {
	if fs.gate != nil {
		if fs.entered != nil {
			fs.entered <- struct{}{}
		}
		<-fs.gate
	}
	n := fs.syncs.Add(1)
	if fs.failSync.Load() || n == fs.failSyncAt.Load() {
		return errInjected
	}
	return nil
}

// faultMapFile is a faultFile that forwards the inner file's mapping
// capability, so a Writer maps it, through a faultMapping.
type faultMapFile struct {
	*faultFile
	inner vfs.MappableFile
}

func (f *faultMapFile) Map() (vfs.Mapping, error) {
	m, err := f.inner.Map()
	if err != nil {
		return nil, err
	}
	return &faultMapping{Mapping: m, fs: f.fs}, nil
}

// faultMapping counts Stores and Syncs, and fails them when failWrite or
// a sync failure is armed.
type faultMapping struct {
	vfs.Mapping
	fs *faultFS
}

func (m *faultMapping) Store(off int64, p ...[]byte) error {
	m.fs.stores.Add(1)
	if err := m.fs.maybeFailWrite(); err != nil {
		return err
	}
	return m.Mapping.Store(off, p...)
}

func (m *faultMapping) Sync() error {
	if err := m.fs.sync(); err != nil {
		return err
	}
	return m.Mapping.Sync()
}

// mmapSupported is true where files of vfs.Default are mappable.
var mmapSupported = runtime.GOOS == "linux"

// A mode is a file system and write path that the writer tests run on.
type mode struct {
	name string
	// os selects vfs.Default in a temporary directory instead of MemFS.
	os bool
	// mapped lets the Writer see the file's mapping capability: the
	// mapped path, where the file system has it (MemFS made mappable,
	// vfs.Default on linux).
	mapped bool
	// small shrinks the mapped path's preallocation, so that tests extend
	// the file many times.
	small bool
	// legacy writes logs in the legacy framing (Options.Legacy).
	legacy bool
}

var modes = []mode{
	{name: "mem"},
	{name: "mem-mapped", mapped: true, small: true},
	{name: "mem-legacy", legacy: true},
	{name: "mem-mapped-legacy", mapped: true, small: true, legacy: true},
	{name: "write", os: true},
	{name: "mmap", os: true, mapped: true},
	{name: "mmap-small", os: true, mapped: true, small: true},
}

// mappedModes are the modes that take the mapped path on this platform.
func mappedModes() []mode {
	var ms []mode
	for _, m := range modes {
		if m.maps() {
			ms = append(ms, m)
		}
	}
	return ms
}

// maps reports whether Writers in this mode take the mapped path.
func (m mode) maps() bool { return m.mapped && (!m.os || mmapSupported) }

// options returns the Writer options of the mode.
func (m mode) options() Options {
	if m.small {
		return Options{Preallocate: 64 << 10, Legacy: m.legacy}
	}
	return Options{Legacy: m.legacy}
}

// base returns the mode's file system, unwrapped, and the directory to
// create logs in.
func (m mode) base(t testing.TB) (vfs.FS, string) {
	t.Helper()
	if m.os {
		return vfs.Default, t.TempDir()
	}
	mem := newMemFS(t)
	mem.SetMappable(m.mapped)
	return mem, testDir
}

// setup returns the mode's file system, wrapped in a faultFS, and the
// directory to create logs in.
func (m mode) setup(t testing.TB) (*faultFS, string) {
	t.Helper()
	fs, dir := m.base(t)
	return &faultFS{FS: fs, keepMap: m.mapped}, dir
}

// forEachMode runs f as a subtest in every mode.
func forEachMode(t *testing.T, f func(t *testing.T, m mode)) {
	forModes(t, modes, f)
}

// forModes runs f as a subtest in each of ms.
func forModes(t *testing.T, ms []mode, f func(t *testing.T, m mode)) {
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// createIn creates WAL num in dir and checks that it took the mode's path.
func createIn(t testing.TB, m mode, fs vfs.FS, dir string, num base.FileNum) *Writer {
	t.Helper()
	w, err := Create(fs, dir, num, m.options())
	if err != nil {
		t.Fatal(err)
	}
	if w.mapped() != m.maps() {
		t.Fatalf("mode %s: writer mapped=%t, want %t", m.name, w.mapped(), m.maps())
	}
	return w
}
