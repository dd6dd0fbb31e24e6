package vfs_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// mappableMem returns a MemFS whose files are mappable.
func mappableMem() *vfs.MemFS {
	fs := vfs.NewMem()
	fs.SetMappable(true)
	return fs
}

// mappableFilesystems are the file systems whose files offer the
// mapping capability: Default on linux, MemFS when told to, and errorfs
// over either.
func mappableFilesystems() []fsUnderTest {
	fss := []fsUnderTest{
		{"mem", func(t *testing.T) (vfs.FS, string) { return mappableMem(), "/" }},
		{"errorfs-mem", func(t *testing.T) (vfs.FS, string) {
			return errorfs.Wrap(mappableMem(), errorfs.OnIndex(-1, errorfs.ErrInjected, nil)), "/db"
		}},
	}
	if runtime.GOOS == "linux" {
		fss = append(fss,
			fsUnderTest{"os", func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }},
			fsUnderTest{"errorfs-os", func(t *testing.T) (vfs.FS, string) {
				return errorfs.Wrap(vfs.Default, nil), t.TempDir()
			}})
	}
	return fss
}

var mappingConformance = []struct {
	name string
	fn   func(t *testing.T, fs vfs.FS, dir string)
}{
	{"StoreAndRead", testMapStoreAndRead},
	{"Bounds", testMapBounds},
	{"Unmapped", testMapUnmapped},
	{"Refused", testMapRefused},
	{"Large", testMapLarge},
}

// TestMappingConformance runs the checks of the vfs.Mapping contract on
// every file system that offers it.
func TestMappingConformance(t *testing.T) {
	for _, fut := range mappableFilesystems() {
		t.Run(fut.name, func(t *testing.T) {
			for _, c := range mappingConformance {
				t.Run(c.name, func(t *testing.T) {
					fs, dir := fut.make(t)
					must(t, fs.MkdirAll(dir, 0o755))
					c.fn(t, fs, dir)
				})
			}
		})
	}
}

// TestMappingAbsent checks where the capability is absent: MemFS by
// default refuses to map (errors.ErrUnsupported), and Default off linux
// does not offer it at all.
func TestMappingAbsent(t *testing.T) {
	f, err := vfs.NewMem().Create("/f")
	must(t, err)
	defer f.Close()
	if _, err := f.(vfs.MappableFile).Map(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Map on a MemFS without mappings: %v, want ErrUnsupported", err)
	}
	g, err := vfs.Default.Create(t.TempDir() + "/f")
	must(t, err)
	defer g.Close()
	if _, ok := g.(vfs.MappableFile); ok != (runtime.GOOS == "linux") {
		t.Fatalf("on %s, files of Default mappable=%t", runtime.GOOS, ok)
	}
}

// createMapped creates name with content head and maps it.
func createMapped(t *testing.T, fs vfs.FS, name string, head []byte) (vfs.File, vfs.Mapping) {
	t.Helper()
	f, err := fs.Create(name)
	must(t, err)
	if _, err := f.Write(head); err != nil {
		t.Fatal(err)
	}
	mf, ok := f.(vfs.MappableFile)
	if !ok {
		t.Fatalf("%T is not a vfs.MappableFile", f)
	}
	m, err := mf.Map()
	must(t, err)
	return f, m
}

func wantSize(t *testing.T, f vfs.File, want int64) {
	t.Helper()
	if got, err := f.Size(); err != nil || got != want {
		t.Fatalf("Size: %d, %v; want %d", got, err, want)
	}
}

// testMapStoreAndRead allocates, stores across a page boundary, reads the
// stores back through another handle, truncates the unused space, unmaps,
// writes past the stores with WriteAt (as the WAL writes its end record),
// and reads the whole file.
func testMapStoreAndRead(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	f, m := createMapped(t, fs, name, []byte("head"))
	defer f.Close()
	wantSize(t, f, 4)
	must(t, m.Allocate(10000))
	wantSize(t, f, 10000)
	want := append([]byte("head"), make([]byte, 9996)...)
	if got := readFile(t, fs, name); !bytes.Equal(got, want) {
		t.Fatal("allocated space does not read as zeros")
	}
	stores := []struct {
		off int64
		p   string
	}{{4, "abc"}, {4090, "across a page"}, {9990, "0123456789"}}
	for _, s := range stores {
		must(t, m.Store(s.off, []byte(s.p)))
		copy(want[s.off:], s.p)
	}
	if got := readFile(t, fs, name); !bytes.Equal(got, want) {
		t.Fatal("another handle does not read the stores")
	}
	buf := make([]byte, 13)
	if n, err := f.ReadAt(buf, 4090); n != 13 || err != nil || string(buf) != "across a page" {
		t.Fatalf("ReadAt on the mapped handle: %d %v %q", n, err, buf)
	}
	must(t, m.Sync())
	must(t, m.Truncate(4103))
	wantSize(t, f, 4103)
	must(t, m.Unmap())
	if _, err := f.WriteAt([]byte("END"), 4103); err != nil {
		t.Fatal(err)
	}
	must(t, f.Sync())
	must(t, f.Close())
	want = append(want[:4103], "END"...)
	if got := readFile(t, fs, name); !bytes.Equal(got, want) {
		t.Fatalf("final file of %d bytes, want %d", len(got), len(want))
	}
}

// testMapBounds checks that Store refuses what would fault: past the
// allocated size, or at a negative offset, and that Allocate never
// shrinks the file.
func testMapBounds(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	f, m := createMapped(t, fs, name, []byte("head"))
	defer f.Close()
	defer m.Unmap()
	must(t, m.Allocate(100))
	for _, c := range []struct {
		off int64
		n   int
	}{{96, 5}, {100, 1}, {-1, 1}, {0, 101}} {
		if err := m.Store(c.off, make([]byte, c.n)); !errors.Is(err, vfs.ErrMappingFault) {
			t.Errorf("Store of %d bytes at %d with 100 allocated: %v, want ErrMappingFault", c.n, c.off, err)
		}
	}
	must(t, m.Store(96, []byte("tail")))
	must(t, m.Allocate(50))
	wantSize(t, f, 100)
	must(t, m.Truncate(50))
	wantSize(t, f, 50)
	if err := m.Store(60, []byte("x")); !errors.Is(err, vfs.ErrMappingFault) {
		t.Errorf("Store past a truncation: %v, want ErrMappingFault", err)
	}
	if got := readFile(t, fs, name); !bytes.Equal(got, append([]byte("head"), make([]byte, 46)...)) {
		t.Fatalf("file holds %q", got)
	}
}

// testMapUnmapped checks that a Mapping is dead after Unmap.
func testMapUnmapped(t *testing.T, fs vfs.FS, dir string) {
	f, m := createMapped(t, fs, fs.PathJoin(dir, "f"), nil)
	defer f.Close()
	must(t, m.Allocate(10))
	must(t, m.Unmap())
	for name, err := range map[string]error{
		"Allocate": m.Allocate(20),
		"Store":    m.Store(0, []byte("x")),
		"Sync":     m.Sync(),
		"Truncate": m.Truncate(0),
		"Unmap":    m.Unmap(),
	} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Unmap: %v, want os.ErrClosed", name, err)
		}
	}
	wantSize(t, f, 10)
}

// testMapRefused checks that a read-only or closed handle cannot be
// mapped.
func testMapRefused(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	writeFile(t, fs, name, []byte("data"))
	r, err := fs.Open(name)
	must(t, err)
	if mf, ok := r.(vfs.MappableFile); ok {
		if m, err := mf.Map(); err == nil {
			_ = m.Unmap()
			t.Error("Map of a read-only handle succeeded")
		}
	}
	must(t, r.Close())
	w, err := fs.OpenForAppend(name)
	must(t, err)
	must(t, w.Close())
	if _, err := w.(vfs.MappableFile).Map(); err == nil {
		t.Error("Map of a closed handle succeeded")
	}
}

// testMapLarge stores 3 MiB in random pieces, each a Store of one to
// three slices (some past the size from which the OS mapping writes with
// a system call), allocating ahead in random steps as a log does, and
// reads it back.
func testMapLarge(t *testing.T, fs vfs.FS, dir string) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	name := fs.PathJoin(dir, "f")
	f, m := createMapped(t, fs, name, nil)
	defer f.Close()
	want := make([]byte, 3<<20)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	_, _ = rand.NewChaCha8(key).Read(want)
	allocated := int64(0)
	for off := 0; off < len(want); {
		n := min(1+rng.IntN(200<<10), len(want)-off)
		if end := int64(off + n); end > allocated {
			allocated = end + int64(rng.IntN(512<<10))
			must(t, m.Allocate(allocated))
		}
		piece := want[off : off+n]
		i := rng.IntN(n + 1)
		j := i + rng.IntN(n-i+1)
		must(t, m.Store(int64(off), piece[:i], piece[i:j], piece[j:]))
		off += n
	}
	must(t, m.Sync())
	must(t, m.Truncate(int64(len(want))))
	must(t, m.Unmap())
	if got := readFile(t, fs, name); !bytes.Equal(got, want) {
		t.Fatal("content differs")
	}
}
