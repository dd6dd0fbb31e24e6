package journal

import (
	"path"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// fileMagic returns the magic of journal file num in fs.
func fileMagic(t *testing.T, fs *vfs.MemFS, num uint64) string {
	t.Helper()
	return string(readMem(t, fs, path.Join(testDir, makeFilename(testPrefix, num)))[:8])
}

// TestFramingSwitch: a journal created in one framing keeps appending to
// its file in that framing after a reopen that asks for the other; the
// next rotation writes the new framing; every edit reads back.
func TestFramingSwitch(t *testing.T) {
	for _, from := range []bool{true, false} {
		fs := vfs.NewMem()
		j := openCounter(t, fs, Config{Legacy: from})
		mustAppend(t, j, add(1))
		j.Close()
		j = openCounter(t, fs, Config{Legacy: !from})
		mustAppend(t, j, add(2))
		if got, want := fileMagic(t, fs, 0), map[bool]string{true: Magic, false: RecordMagic}[from]; got != want {
			t.Fatalf("from legacy=%v: file 0 has magic %q, want %q", from, got, want)
		}
		if err := j.Rotate(); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, add(4))
		j.Close()
		if got, want := fileMagic(t, fs, 1), map[bool]string{true: RecordMagic, false: Magic}[from]; got != want {
			t.Fatalf("from legacy=%v: file 1 has magic %q, want %q", from, got, want)
		}
		_, edits, err := ReadFile[counterEdit](fs, path.Join(testDir, makeFilename(testPrefix, 1)), counterCodec{})
		if err != nil || !slices.Equal(edits, []counterEdit{set(3), add(4)}) {
			t.Fatalf("from legacy=%v: edits %v, %v", from, edits, err)
		}
		j = openCounter(t, fs, Config{Legacy: from})
		if j.Data().v != 7 {
			t.Fatalf("from legacy=%v: state %d, want 7", from, j.Data().v)
		}
		j.Close()
	}
}

// chooser is a counter that chooses the framing of new files.
type chooser struct {
	counter
	legacy, known bool
}

// LegacyFraming implements FramingChooser.
func (c *chooser) LegacyFraming() (bool, bool) { return c.legacy, c.known }

// TestFramingChooser: the state's choice overrides Config.Legacy, and
// Config.Legacy decides when the state cannot tell.
func TestFramingChooser(t *testing.T) {
	for _, c := range []struct {
		legacy, known, cfg bool
		want               string
	}{
		{legacy: true, known: true, cfg: false, want: Magic},
		{legacy: false, known: true, cfg: true, want: RecordMagic},
		{known: false, cfg: true, want: Magic},
		{known: false, cfg: false, want: RecordMagic},
	} {
		fs := vfs.NewMem()
		newState := func() *chooser { return &chooser{legacy: c.legacy, known: c.known} }
		j, err := Open(fs, testDir, testPrefix, newState, counterCodec{}, Config{Legacy: c.cfg})
		if err != nil {
			t.Fatal(err)
		}
		if got := fileMagic(t, fs, 0); got != c.want {
			t.Fatalf("%+v: file 0 has magic %q", c, got)
		}
		if err := j.Rotate(); err != nil {
			t.Fatal(err)
		}
		j.Close()
		if got := fileMagic(t, fs, 1); got != c.want {
			t.Fatalf("%+v: file 1 has magic %q", c, got)
		}
	}
}
