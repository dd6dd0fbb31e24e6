package journal

import (
	"errors"
	"maps"
	"os"
	"path"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// noWrites wraps fs so that every write-class operation, and every open
// for appending or of a directory, fails the test.
func noWrites(t *testing.T, fs vfs.FS) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.IsWrite() || op.Kind == errorfs.OpOpenDir {
			t.Errorf("read-only open made a write-class operation: %s", op)
			return errorfs.ErrInjected
		}
		return nil
	}))
}

// memFiles returns every file of testDir with its bytes.
func memFiles(t *testing.T, fs *vfs.MemFS) map[string]string {
	t.Helper()
	names, err := fs.List(testDir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, n := range names {
		out[n] = string(readMem(t, fs, path.Join(testDir, n)))
	}
	return out
}

// TestOpenReadOnly replays a journal whose newest complete file ends in a
// torn tail and is followed by an incomplete rotation, through a file
// system that refuses writes: the state is Open's, the tail is reported
// but not rotated away, appends fail with ErrReadOnly, and no file
// changes.
func TestOpenReadOnly(t *testing.T) {
	mem := vfs.NewMem()
	j := openCounter(t, mem, framed(Config{}))
	mustAppend(t, j, set(5))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, add(2))
	mustAppend(t, j, add(3))
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 1))
	data := readMem(t, mem, name)
	if err := mem.WriteFile(name, data[:len(data)-3]); err != nil { // tear add(3)
		t.Fatal(err)
	}
	leftover := append(make([]byte, HeaderSize), appendFrame(nil, counterCodec{}.Encode(nil, set(99)))...)
	if err := mem.WriteFile(path.Join(testDir, makeFilename(testPrefix, 2)), leftover); err != nil {
		t.Fatal(err)
	}
	before := memFiles(t, mem)

	ro, err := OpenReadOnly(noWrites(t, mem), testDir, testPrefix, newCounter, counterCodec{})
	if err != nil {
		t.Fatal(err)
	}
	info := ro.ReplayInfo()
	if ro.Data().v != 7 || ro.FileNum() != 1 || !info.TornTail || info.Rotated ||
		!slices.Equal(info.Skipped, []string{makeFilename(testPrefix, 2)}) {
		t.Fatalf("state %d file %d info %+v", ro.Data().v, ro.FileNum(), info)
	}
	if err := ro.Append(add(1)); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("Append: %v, want ErrReadOnly", err)
	}
	if err := ro.Rotate(); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("Rotate: %v, want ErrReadOnly", err)
	}
	if ro.Data().v != 7 {
		t.Fatalf("state %d after refused appends", ro.Data().v)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ro.Close(); !errors.Is(err, base.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if after := memFiles(t, mem); !maps.Equal(before, after) {
		t.Fatalf("files changed: %d before, %d after", len(before), len(after))
	}

	// Open, by contrast, rotates the torn file away and removes the rest.
	j = openCounter(t, mem, framed(Config{}))
	defer j.Close()
	if j.Data().v != 7 || !j.ReplayInfo().Rotated {
		t.Fatalf("Open: state %d info %+v", j.Data().v, j.ReplayInfo())
	}
}

// TestOpenReadOnlyNothingToRead: a missing or empty directory is an error
// matching os.ErrNotExist and nothing is created; a directory whose files
// all lack a valid header is corruption, as for Open.
func TestOpenReadOnlyNothingToRead(t *testing.T) {
	mem := vfs.NewMem()
	_, err := OpenReadOnly(noWrites(t, mem), testDir, testPrefix, newCounter, counterCodec{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing directory: %v", err)
	}
	if _, err := mem.Stat(testDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory created: %v", err)
	}
	if err := mem.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = OpenReadOnly(noWrites(t, mem), testDir, testPrefix, newCounter, counterCodec{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty directory: %v", err)
	}
	if files := journalFiles(t, mem); len(files) != 0 {
		t.Fatalf("files created: %v", files)
	}
	if err := mem.WriteFile(path.Join(testDir, makeFilename(testPrefix, 0)), []byte("not a header")); err != nil {
		t.Fatal(err)
	}
	_, err = OpenReadOnly(noWrites(t, mem), testDir, testPrefix, newCounter, counterCodec{})
	if !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("no valid header: %v", err)
	}
	_, err = OpenReadOnly[*counter, counterEdit](mem, testDir, "bad/prefix", newCounter, counterCodec{})
	if !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("bad prefix: %v", err)
	}
}
