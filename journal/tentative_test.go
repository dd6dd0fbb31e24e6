package journal

import (
	"errors"
	"maps"
	"os"
	"path"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// snapshotDir returns the contents of every file in testDir.
func snapshotDir(t testing.TB, fs *vfs.MemFS) map[string]string {
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

// tornJournal returns a file system whose journal holds file 1 (v = 6)
// with a torn last frame, plus a leftover file 0 and a leftover newer
// file 2 whose header was never written.
func tornJournal(t *testing.T) *vfs.MemFS {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	mustAppend(t, j, set(5))
	file0 := readMem(t, fs, path.Join(testDir, makeFilename(testPrefix, 0)))
	if err := j.Rotate(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, add(1))
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 1))
	data := readMem(t, fs, name)
	data = append(data, appendFrame(nil, counterCodec{}.Encode(nil, add(100)))[:7]...)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{name, data},
		{path.Join(testDir, makeFilename(testPrefix, 0)), file0},
		{path.Join(testDir, makeFilename(testPrefix, 2)), make([]byte, 40)},
	} {
		if err := fs.WriteFile(f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

// TestTentativeChangesNothing: a tentative open writes only to a new file
// past every existing one, whatever it appends, so removing the new files
// restores the directory byte for byte and its state.
func TestTentativeChangesNothing(t *testing.T) {
	fs := tornJournal(t)
	before := snapshotDir(t, fs)
	j, err := OpenTentative(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{GrowthBaseline: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if j.Data().v != 6 || j.FileNum() != 3 || !j.ReplayInfo().TornTail {
		t.Fatalf("state %d file %d info %+v", j.Data().v, j.FileNum(), j.ReplayInfo())
	}
	for range 3 { // each append rotates (GrowthBaseline 1), still removing nothing
		mustAppend(t, j, add(1))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for name := range snapshotDir(t, fs) {
		if _, ok := before[name]; !ok {
			if err := fs.Remove(path.Join(testDir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if after := snapshotDir(t, fs); !maps.Equal(after, before) {
		t.Fatalf("directory changed: %d files before, %d after", len(before), len(after))
	}
	j = openCounter(t, fs, framed(Config{}))
	defer j.Close()
	if j.Data().v != 6 {
		t.Fatalf("state %d after reverting, want 6", j.Data().v)
	}
}

// TestTentativeCommit: Commit removes the files a tentative open kept;
// without Commit (a crash), the next Open takes the new file.
func TestTentativeCommit(t *testing.T) {
	for _, commit := range []bool{true, false} {
		fs := tornJournal(t)
		j, err := OpenTentative(fs, testDir, testPrefix, newCounter, counterCodec{}, framed(Config{}))
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, add(10))
		if commit {
			j.Commit()
			if files := journalFiles(t, fs); len(files) != 1 || files[0] != makeFilename(testPrefix, 3) {
				t.Fatalf("files after Commit: %v", files)
			}
		}
		j.Close()
		j = openCounter(t, fs, framed(Config{}))
		if j.Data().v != 16 || j.FileNum() != 3 {
			t.Fatalf("commit %v: state %d file %d", commit, j.Data().v, j.FileNum())
		}
		j.Close()
	}
}

// TestLoad reads a journal without writing: a torn tail is reported, not
// rotated; appends fail as read-only; a missing journal is ErrNotExist.
func TestLoad(t *testing.T) {
	fs := tornJournal(t)
	before := snapshotDir(t, fs)
	j, err := OpenReadOnly(fs, testDir, testPrefix, newCounter, counterCodec{})
	if err != nil {
		t.Fatal(err)
	}
	info := j.ReplayInfo()
	if j.Data().v != 6 || info.FileNum != 1 || !info.TornTail || len(info.Skipped) != 1 {
		t.Fatalf("state %d info %+v", j.Data().v, info)
	}
	if err := j.Append(add(1)); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("append: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if after := snapshotDir(t, fs); !maps.Equal(after, before) {
		t.Fatal("Load changed the directory")
	}
	empty := vfs.NewMem()
	if err := empty.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(empty, testDir, testPrefix, newCounter, counterCodec{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty directory: %v", err)
	}
}
