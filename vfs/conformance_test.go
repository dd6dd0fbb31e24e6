package vfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// fsUnderTest makes a fresh FS and an existing, empty directory in it.
type fsUnderTest struct {
	name string
	make func(t *testing.T) (vfs.FS, string)
}

var filesystems = []fsUnderTest{
	{"os", func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }},
	{"mem", func(t *testing.T) (vfs.FS, string) {
		fs := vfs.NewMem()
		if err := fs.MkdirAll("/db", 0o755); err != nil {
			t.Fatal(err)
		}
		return fs, "/db"
	}},
	{"mem-root", func(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "/" }},
	{"errorfs", func(t *testing.T) (vfs.FS, string) {
		return errorfs.Wrap(vfs.NewMem(), errorfs.OnIndex(-1, errorfs.ErrInjected, nil)), "db"
	}},
}

var conformance = []struct {
	name string
	fn   func(t *testing.T, fs vfs.FS, dir string)
}{
	{"CreateWriteRead", testCreateWriteRead},
	{"CreateTruncates", testCreateTruncates},
	{"OpenForAppend", testOpenForAppend},
	{"WriteAt", testWriteAt},
	{"Remove", testRemove},
	{"Rename", testRename},
	{"List", testList},
	{"Stat", testStat},
	{"MkdirAll", testMkdirAll},
	{"Lock", testLock},
	{"LockShared", testLockShared},
	{"DirSync", testDirSync},
	{"Closed", testClosed},
	{"ConcurrentReadWrite", testConcurrentReadWrite},
}

func TestConformance(t *testing.T) {
	for _, fut := range filesystems {
		t.Run(fut.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					fs, dir := fut.make(t)
					if err := fs.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					c.fn(t, fs, dir)
				})
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, fs vfs.FS, name string, data []byte) {
	t.Helper()
	f, err := fs.Create(name)
	must(t, err)
	if n, err := f.Write(data); err != nil || n != len(data) {
		t.Fatalf("Write: %d, %v", n, err)
	}
	must(t, f.Sync())
	must(t, f.Close())
}

func readFile(t *testing.T, fs vfs.FS, name string) []byte {
	t.Helper()
	f, err := fs.Open(name)
	must(t, err)
	defer f.Close()
	size, err := f.Size()
	must(t, err)
	buf := make([]byte, size)
	if n, err := f.ReadAt(buf, 0); n != len(buf) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}
	return buf
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want one matching %v", err, target)
	}
}

func testCreateWriteRead(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	f, err := fs.Create(name)
	must(t, err)
	for _, s := range []string{"hello", " ", "world"} {
		if n, err := f.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	if size, err := f.Size(); err != nil || size != 11 {
		t.Fatalf("Size: %d, %v", size, err)
	}
	// The writing handle reads too.
	buf := make([]byte, 5)
	if n, err := f.ReadAt(buf, 6); n != 5 || err != nil || string(buf) != "world" {
		t.Fatalf("ReadAt on writer: %d %v %q", n, err, buf)
	}
	must(t, f.Sync())
	must(t, f.Close())

	r, err := fs.Open(name)
	must(t, err)
	defer r.Close()
	buf = make([]byte, 11)
	if n, err := r.ReadAt(buf, 0); n != 11 || (err != nil && err != io.EOF) || string(buf) != "hello world" {
		t.Fatalf("ReadAt: %d %v %q", n, err, buf)
	}
	// A read past the end returns what there is and io.EOF.
	buf = make([]byte, 10)
	if n, err := r.ReadAt(buf, 6); n != 5 || err != io.EOF || string(buf[:n]) != "world" {
		t.Fatalf("short ReadAt: %d %v %q", n, err, buf[:n])
	}
	if n, err := r.ReadAt(buf, 100); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt past end: %d %v", n, err)
	}
	// A read-only handle cannot write.
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("Write on a handle from Open succeeded")
	}
	// Missing files.
	_, err = fs.Open(fs.PathJoin(dir, "missing"))
	wantErrIs(t, err, os.ErrNotExist)
	_, err = fs.Create(fs.PathJoin(dir, "nodir", "f"))
	wantErrIs(t, err, os.ErrNotExist)
}

func testCreateTruncates(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	writeFile(t, fs, name, []byte("a long first content"))
	writeFile(t, fs, name, []byte("short"))
	if got := readFile(t, fs, name); string(got) != "short" {
		t.Fatalf("got %q", got)
	}
}

func testOpenForAppend(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	writeFile(t, fs, name, []byte("0123"))
	f, err := fs.OpenForAppend(name)
	must(t, err)
	_, err = f.Write([]byte("45"))
	must(t, err)
	_, err = f.Write([]byte("67"))
	must(t, err)
	_, err = f.WriteAt([]byte("X"), 0)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
	if got := readFile(t, fs, name); string(got) != "X1234567" {
		t.Fatalf("got %q", got)
	}
	_, err = fs.OpenForAppend(fs.PathJoin(dir, "missing"))
	wantErrIs(t, err, os.ErrNotExist)
}

func testWriteAt(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	f, err := fs.Create(name)
	must(t, err)
	// Reserve a header, write the body, then fill in the header.
	_, err = f.Write(make([]byte, 4))
	must(t, err)
	_, err = f.Write([]byte("body"))
	must(t, err)
	_, err = f.WriteAt([]byte("HEAD"), 0)
	must(t, err)
	// WriteAt does not move the append position.
	_, err = f.Write([]byte("!"))
	must(t, err)
	// WriteAt past the end leaves a hole of zeros.
	_, err = f.WriteAt([]byte("Z"), 12)
	must(t, err)
	must(t, f.Close())
	want := []byte("HEADbody!\x00\x00\x00Z")
	if got := readFile(t, fs, name); !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func testRemove(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	writeFile(t, fs, name, []byte("x"))
	must(t, fs.Remove(name))
	_, err := fs.Stat(name)
	wantErrIs(t, err, os.ErrNotExist)
	wantErrIs(t, fs.Remove(name), os.ErrNotExist)

	sub := fs.PathJoin(dir, "sub")
	must(t, fs.MkdirAll(sub, 0o755))
	writeFile(t, fs, fs.PathJoin(sub, "g"), []byte("y"))
	if err := fs.Remove(sub); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
	must(t, fs.Remove(fs.PathJoin(sub, "g")))
	must(t, fs.Remove(sub))
	_, err = fs.Stat(sub)
	wantErrIs(t, err, os.ErrNotExist)
}

func testRename(t *testing.T, fs vfs.FS, dir string) {
	a, b := fs.PathJoin(dir, "a"), fs.PathJoin(dir, "b")
	writeFile(t, fs, a, []byte("A"))
	must(t, fs.Rename(a, b))
	_, err := fs.Stat(a)
	wantErrIs(t, err, os.ErrNotExist)
	if got := readFile(t, fs, b); string(got) != "A" {
		t.Fatalf("got %q", got)
	}
	// Over an existing file.
	writeFile(t, fs, a, []byte("new"))
	must(t, fs.Rename(a, b))
	if got := readFile(t, fs, b); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
	// Onto itself.
	must(t, fs.Rename(b, b))
	if got := readFile(t, fs, b); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
	wantErrIs(t, fs.Rename(a, b), os.ErrNotExist)
	// Into another directory.
	sub := fs.PathJoin(dir, "sub")
	must(t, fs.MkdirAll(sub, 0o755))
	must(t, fs.Rename(b, fs.PathJoin(sub, "c")))
	if got := readFile(t, fs, fs.PathJoin(sub, "c")); string(got) != "new" {
		t.Fatalf("got %q", got)
	}
}

func testList(t *testing.T, fs vfs.FS, dir string) {
	names, err := fs.List(dir)
	must(t, err)
	if len(names) != 0 {
		t.Fatalf("empty dir lists %q", names)
	}
	for _, n := range []string{"c", "a", "b.sst", "000010.log"} {
		writeFile(t, fs, fs.PathJoin(dir, n), nil)
	}
	must(t, fs.MkdirAll(fs.PathJoin(dir, "d"), 0o755))
	names, err = fs.List(dir)
	must(t, err)
	want := []string{"000010.log", "a", "b.sst", "c", "d"}
	if !slices.Equal(names, want) {
		t.Fatalf("List = %q, want %q", names, want)
	}
	_, err = fs.List(fs.PathJoin(dir, "missing"))
	wantErrIs(t, err, os.ErrNotExist)
}

func testStat(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	writeFile(t, fs, name, []byte("12345"))
	fi, err := fs.Stat(name)
	must(t, err)
	if fi.Name() != "f" || fi.Size() != 5 || fi.IsDir() || !fi.Mode().IsRegular() {
		t.Fatalf("Stat = %s %d dir=%t mode=%v", fi.Name(), fi.Size(), fi.IsDir(), fi.Mode())
	}
	fi, err = fs.Stat(dir)
	must(t, err)
	if !fi.IsDir() {
		t.Fatal("directory not reported as one")
	}
	_, err = fs.Stat(fs.PathJoin(dir, "missing"))
	wantErrIs(t, err, os.ErrNotExist)
}

func testMkdirAll(t *testing.T, fs vfs.FS, dir string) {
	deep := fs.PathJoin(dir, "a", "b", "c")
	must(t, fs.MkdirAll(deep, 0o755))
	must(t, fs.MkdirAll(deep, 0o755)) // idempotent
	writeFile(t, fs, fs.PathJoin(deep, "f"), []byte("x"))
	names, err := fs.List(fs.PathJoin(dir, "a"))
	must(t, err)
	if !slices.Equal(names, []string{"b"}) {
		t.Fatalf("List = %q", names)
	}
	// A file in the way.
	writeFile(t, fs, fs.PathJoin(dir, "file"), nil)
	if err := fs.MkdirAll(fs.PathJoin(dir, "file", "x"), 0o755); err == nil {
		t.Fatal("MkdirAll through a file succeeded")
	}
}

func testLock(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "LOCK")
	l, err := fs.Lock(name)
	must(t, err)
	if _, err := fs.Stat(name); err != nil {
		t.Fatalf("lock file not created: %v", err)
	}
	_, err = fs.Lock(name)
	wantErrIs(t, err, vfs.ErrLocked)
	// Another path is independent.
	l2, err := fs.Lock(fs.PathJoin(dir, "LOCK2"))
	must(t, err)
	must(t, l2.Close())
	must(t, l.Close())
	l, err = fs.Lock(name)
	must(t, err)
	must(t, l.Close())
}

func testDirSync(t *testing.T, fs vfs.FS, dir string) {
	writeFile(t, fs, fs.PathJoin(dir, "f"), []byte("x"))
	d, err := fs.OpenDir(dir)
	must(t, err)
	must(t, d.Sync())
	must(t, d.Close())
	_, err = fs.OpenDir(fs.PathJoin(dir, "missing"))
	wantErrIs(t, err, os.ErrNotExist)
}

func testClosed(t *testing.T, fs vfs.FS, dir string) {
	f, err := fs.Create(fs.PathJoin(dir, "f"))
	must(t, err)
	must(t, f.Close())
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err == nil {
		t.Error("ReadAt after Close succeeded")
	}
	if err := f.Sync(); err == nil {
		t.Error("Sync after Close succeeded")
	}
	if err := f.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

// testConcurrentReadWrite appends while readers check every prefix they
// can see.
func testConcurrentReadWrite(t *testing.T, fs vfs.FS, dir string) {
	name := fs.PathJoin(dir, "f")
	w, err := fs.Create(name)
	must(t, err)
	defer w.Close()
	const chunks, chunkSize = 200, 100
	chunk := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, chunkSize) }
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, chunkSize)
			for iter := 0; iter < 300; iter++ {
				size, err := w.Size()
				if err != nil {
					errs <- err
					return
				}
				i := int(size/chunkSize) - 1
				if i < 0 {
					continue
				}
				if _, err := w.ReadAt(buf, int64(i)*chunkSize); err != nil && err != io.EOF {
					errs <- err
					return
				}
				if !bytes.Equal(buf, chunk(i)) {
					errs <- fmt.Errorf("chunk %d reads %v", i, buf[:4])
					return
				}
			}
		}()
	}
	for i := 0; i < chunks; i++ {
		if _, err := w.Write(chunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
