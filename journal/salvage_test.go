package journal

import (
	"errors"
	"path"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestSalvageFile damages each frame of a journal file in turn: SalvageFile
// returns every other edit, in order, and one damage range covering
// exactly the damaged frame.
func TestSalvageFile(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, framed(Config{}))
	var want []counterEdit
	for i := range 8 {
		e := add(int64(i + 1))
		mustAppend(t, j, e)
		want = append(want, e)
	}
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	starts, end := frameStarts(t, data)
	if _, edits, damage, err := SalvageFile[counterEdit](fs, name, counterCodec{}); err != nil || len(damage) != 0 || !slices.Equal(edits, want) {
		t.Fatalf("intact: %v %v %v", edits, damage, err)
	}
	for i, start := range starts {
		frameEnd := end
		if i+1 < len(starts) {
			frameEnd = starts[i+1]
		}
		bad := slices.Clone(data)
		bad[start+testPrefixSize()+1] ^= 0xff // in the body: the checksum fails
		_, edits, damage, err := SalvageFile[counterEdit](memWith(t, name, bad), name, counterCodec{})
		wantEdits := slices.Delete(slices.Clone(want), i, i+1)
		last := i == len(starts)-1
		if err != nil || !slices.Equal(edits, wantEdits) || len(damage) != 1 ||
			damage[0].Offset != int64(start) || damage[0].End != int64(frameEnd) || damage[0].Tail != last {
			t.Fatalf("frame %d damaged: edits %v, damage %+v, err %v", i, edits, damage, err)
		}
	}
	bad := slices.Clone(data)
	bad[0] ^= 1
	if _, _, _, err := SalvageFile[counterEdit](memWith(t, name, bad), name, counterCodec{}); !errors.Is(err, base.ErrCorruption) {
		t.Fatalf("bad header: %v", err)
	}
}
