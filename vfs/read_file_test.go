package vfs_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestReadFile: the whole contents on MemFS and the OS, and a missing
// file's error matches os.ErrNotExist.
func TestReadFile(t *testing.T) {
	for name, fs := range map[string]vfs.FS{"mem": vfs.NewMem(), "os": vfs.Default} {
		t.Run(name, func(t *testing.T) {
			dir := "/"
			if name == "os" {
				dir = t.TempDir()
			}
			path := filepath.Join(dir, "f")
			want := bytes.Repeat([]byte("tempest"), 10000)
			f, err := fs.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(want); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if got, err := vfs.ReadFile(fs, path); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("ReadFile: %d bytes, %v; want %d", len(got), err, len(want))
			}
			if _, err := vfs.ReadFile(fs, filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("ReadFile of a missing file: %v, want os.ErrNotExist", err)
			}
		})
	}
}
