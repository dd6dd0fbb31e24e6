package vfs

import (
	"errors"
	"os"
	"testing"
)

// noLinkFS hides the Linker of the FS it wraps.
type noLinkFS struct{ FS }

// TestLinkOrCopy links on MemFS and the OS FS, copies on an FS without
// Link, and refuses an existing destination. A MemFS link is durable
// only after its directory is synced.
func TestLinkOrCopy(t *testing.T) {
	mem := NewMem()
	for _, c := range []struct {
		name   string
		fs     FS
		root   string
		linked bool
	}{
		{"mem", mem, "/d", true},
		{"os", Default, t.TempDir(), true},
		{"nolink", noLinkFS{NewMem()}, "/d", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := c.fs
			if err := fs.MkdirAll(c.root, 0o755); err != nil {
				t.Fatal(err)
			}
			src, dst := fs.PathJoin(c.root, "src"), fs.PathJoin(c.root, "dst")
			want := []byte("the bytes of the file")
			f, err := fs.Create(src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(want); err != nil {
				t.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			linked, err := LinkOrCopy(fs, src, dst)
			if err != nil || linked != c.linked {
				t.Fatalf("LinkOrCopy = %v, %v; want %v, nil", linked, err, c.linked)
			}
			if got := readAll(t, fs, dst); string(got) != string(want) {
				t.Fatalf("dst holds %q, want %q", got, want)
			}
			if _, err := LinkOrCopy(fs, src, dst); c.linked && !errors.Is(err, os.ErrExist) {
				t.Fatalf("link over an existing file: %v, want os.ErrExist", err)
			}
		})
	}
	if _, err := mem.Stat("/d/dst"); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.CrashClone(CrashOptions{}).Stat("/d/dst"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an unsynced link survived a crash: %v", err)
	}
	if err := SyncDir(mem, "/d"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, mem.CrashClone(CrashOptions{}), "/d/dst"); string(got) != "the bytes of the file" {
		t.Fatalf("after a synced link and a crash, dst holds %q", got)
	}
}

func readAll(t *testing.T, fs FS, name string) []byte {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}
