package journal

import (
	"bytes"
	"errors"
	"path"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// fileLegacy reports whether journal file num in fs is in the legacy
// framing.
func fileLegacy(t *testing.T, fs *vfs.MemFS, num uint64) bool {
	t.Helper()
	h, _, err := ReadFile[counterEdit](fs, path.Join(testDir, makeFilename(testPrefix, num)), counterCodec{})
	if err != nil {
		t.Fatal(err)
	}
	return h.Legacy
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
		if got := fileLegacy(t, fs, 0); got != from {
			t.Fatalf("from legacy=%v: file 0 legacy=%v", from, got)
		}
		if err := j.Rotate(); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, add(4))
		j.Close()
		if got := fileLegacy(t, fs, 1); got != !from {
			t.Fatalf("from legacy=%v: file 1 legacy=%v", from, got)
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
	for _, c := range []struct{ legacy, known, cfg, want bool }{
		{legacy: true, known: true, cfg: false, want: true},
		{legacy: false, known: true, cfg: true, want: false},
		{known: false, cfg: true, want: true},
		{known: false, cfg: false, want: false},
	} {
		fs := vfs.NewMem()
		newState := func() *chooser { return &chooser{legacy: c.legacy, known: c.known} }
		j, err := Open(fs, testDir, testPrefix, newState, counterCodec{}, Config{Legacy: c.cfg})
		if err != nil {
			t.Fatal(err)
		}
		if got := fileLegacy(t, fs, 0); got != c.want {
			t.Fatalf("%+v: file 0 legacy=%v", c, got)
		}
		if err := j.Rotate(); err != nil {
			t.Fatal(err)
		}
		j.Close()
		if got := fileLegacy(t, fs, 1); got != c.want {
			t.Fatalf("%+v: file 1 legacy=%v", c, got)
		}
	}
}

// guardedCodec is counterCodec with a guard of its own.
type guardedCodec struct {
	counterCodec
	guard []byte
}

func (c guardedCodec) Guard() []byte { return c.guard }

// TestGuard: a file of the record framing opens with the codec's guard
// (GuardMarker alone if the codec has none, or one that does not end with
// the marker); the legacy reader (what a binary that knows only the legacy
// framing runs) meets the guard first and refuses it, before any record;
// the journal reads the file whatever the codec's guard.
func TestGuard(t *testing.T) {
	own := append([]byte("own guard "), GuardMarker...)
	for _, c := range []struct {
		codec Codec[counterEdit]
		want  []byte
	}{
		{counterCodec{}, []byte(GuardMarker)},
		{guardedCodec{guard: own}, own},
		{guardedCodec{guard: []byte("no marker")}, []byte(GuardMarker)},
	} {
		fs := vfs.NewMem()
		j, err := Open(fs, testDir, testPrefix, newCounter, c.codec, Config{})
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, j, add(1))
		j.Close()
		name := path.Join(testDir, makeFilename(testPrefix, 0))
		data := readMem(t, fs, name)
		if body, _, p := decodeFrame(data[HeaderSize:]); p != frameOK || !bytes.Equal(body, c.want) {
			t.Fatalf("guard %q (%s), want %q", body, p, c.want)
		}
		var applied int
		res, err := replayEdits(name, data, counterCodec{}, func(counterEdit) error {
			applied++
			return nil
		})
		var ce *base.CorruptionError
		if !errors.As(err, &ce) || ce.Offset != HeaderSize || res.edits != 0 || applied != 0 {
			t.Fatalf("legacy reader: %d edits, %v; want the guard refused at %d", applied, err, HeaderSize)
		}
		j, err = Open(fs, testDir, testPrefix, newCounter, counterCodec{}, Config{})
		if err != nil || j.Data().v != 1 {
			t.Fatalf("reopen: %v", err)
		}
		j.Close()
	}
}

// TestDamagedGuard: a record-framed file whose guard no longer reads is
// corruption at the guard, not a torn tail that drops every edit; salvage
// still reads its edits.
func TestDamagedGuard(t *testing.T) {
	fs := vfs.NewMem()
	j := openCounter(t, fs, Config{})
	mustAppend(t, j, add(1))
	mustAppend(t, j, add(2))
	j.Close()
	name := path.Join(testDir, makeFilename(testPrefix, 0))
	data := readMem(t, fs, name)
	for i := HeaderSize; i < testStartOf(false); i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x20
		_, err := Open(memWith(t, name, bad), testDir, testPrefix, newCounter, counterCodec{}, Config{})
		var ce *base.CorruptionError
		if !errors.As(err, &ce) || ce.Offset != HeaderSize {
			t.Fatalf("guard byte %d damaged: %v, want corruption at %d", i, err, HeaderSize)
		}
		_, edits, damage, err := SalvageFile[counterEdit](memWith(t, name, bad), name, counterCodec{})
		if err != nil || !slices.Equal(edits, []counterEdit{add(1), add(2)}) || len(damage) != 1 {
			t.Fatalf("salvage, guard byte %d damaged: %v %+v %v", i, edits, damage, err)
		}
	}
}
