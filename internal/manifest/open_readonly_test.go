package manifest

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestOpenReadOnly: a read-only manifest holds what Open finds, refuses
// edits with ErrReadOnly without changing, and writes no byte.
func TestOpenReadOnly(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 3})
	mustApply(t, m, AddFile(l0(0)))
	mustApply(t, m, AddFile(l0(1)))
	mustApply(t, m, &Edit{CleanClose: true})
	m.Close()
	path := fs.PathJoin(manifestDir, "manifest-000000")
	before, err := fs.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := OpenReadOnly(fs, manifestDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fileNums(ro.Files()); !slices.Equal(got, []base.FileNum{0, 1}) || ro.NextFileNum() != 3 || !ro.WasCleanClose() {
		t.Fatalf("files %v next %d clean %v", got, ro.NextFileNum(), ro.WasCleanClose())
	}
	if err := ro.Apply(&Edit{NextFileNum: 9}); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("Apply: %v, want ErrReadOnly", err)
	}
	if err := ro.Rotate(); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("Rotate: %v, want ErrReadOnly", err)
	}
	if ro.NextFileNum() != 3 {
		t.Fatalf("refused edit changed the state: next %d", ro.NextFileNum())
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := fs.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.List(manifestDir)
	if string(after) != string(before) || !slices.Equal(names, []string{"manifest-000000"}) {
		t.Fatalf("manifest changed: %d -> %d bytes, files %v", len(before), len(after), names)
	}

	if _, err := OpenReadOnly(fs, manifestDir, base.FixedSuffixComparer(8)); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("another comparer: %v", err)
	}
	if _, err := OpenReadOnly(vfs.NewMem(), manifestDir, nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no manifest: %v", err)
	}
}
