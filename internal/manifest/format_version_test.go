package manifest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// TestFormatVersionInferred: a manifest with neither a format version nor
// an orphan floor is version 1 (untracked); a floor without a version is
// version 2; a recorded version survives reopen and rotation, and only
// rises.
func TestFormatVersionInferred(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	if v := m.FormatVersion(); v != FormatV1 || m.Tracked() {
		t.Fatalf("new manifest: version %d, tracked %v; want 1, false", v, m.Tracked())
	}
	mustApply(t, m, &Edit{NextFileNum: 5, OrphanFloor: 1})
	if v := m.FormatVersion(); v != FormatV2 || !m.Tracked() {
		t.Fatalf("with a floor: version %d, tracked %v; want 2, true", v, m.Tracked())
	}
	m.Close()

	fs = vfs.NewMem()
	m = openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 5, FormatVersion: FormatV2})
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	if v := m.FormatVersion(); v != FormatV2 {
		t.Fatalf("after rotation and reopen: version %d, want 2", v)
	}
	// A version recorded below the current one is an invariant violation.
	m.mu.Lock()
	m.mu.j.Data().format = 3 // as if a later binary had recorded 3
	err := m.mu.j.Data().Check(&Edit{FormatVersion: FormatV2})
	m.mu.Unlock()
	if !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("lowering the version: %v, want ErrInvalidArgument", err)
	}
}

// rawEdits is a journal state that accepts every encoded edit as is.
type rawEdits struct{}

func (rawEdits) Check([]byte) error { return nil }
func (rawEdits) Apply([]byte) error { return nil }
func (rawEdits) Snapshot() []byte   { return []byte{editFormatVersion} }

type rawCodec struct{}

func (rawCodec) Encode(dst, e []byte) []byte     { return append(dst, e...) }
func (rawCodec) Decode(b []byte) ([]byte, error) { return append([]byte(nil), b...), nil }
func appendRaw(t *testing.T, fs vfs.FS, edits ...[]byte) {
	t.Helper()
	j, err := journal.Open(fs, manifestDir, FilePrefix, func() rawEdits { return rawEdits{} }, rawCodec{}, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, e := range edits {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFormatVersionTooNew: a manifest recording a version newer than
// FormatNewest is refused with ErrFormatVersion naming both versions,
// whether the newer version's own records follow in the same edit, in
// a later edit, or not at all; never as a misread or as corruption.
func TestFormatVersionTooNew(t *testing.T) {
	const newer = FormatNewest + 5
	version := (&Edit{FormatVersion: newer}).Append(nil)
	// tag unknownTag (not safe to ignore) with some bytes, as a later
	// version may write.
	withTag := binary.AppendUvarint(append([]byte(nil), version...), unknownTag)
	withTag = append(withTag, 1, 2, 3)
	laterTag := binary.AppendUvarint([]byte{editFormatVersion}, unknownTag)
	for _, tc := range []struct {
		name  string
		edits [][]byte
	}{
		{"version alone", [][]byte{version}},
		{"new tag in the same edit", [][]byte{withTag}},
		{"new tag in a later edit", [][]byte{version, laterTag}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			m := openManifest(t, fs)
			mustApply(t, m, &Edit{NextFileNum: 5, FormatVersion: FormatV2})
			m.Close()
			appendRaw(t, fs, tc.edits...)
			_, err := Open(fs, manifestDir, nil, journal.Config{})
			var fv *base.FormatVersionError
			if !errors.Is(err, base.ErrFormatVersion) || !errors.As(err, &fv) || errors.Is(err, base.ErrCorruption) {
				t.Fatalf("open: %v; want ErrFormatVersion and not ErrCorruption", err)
			}
			msg := err.Error()
			if fv.Version != uint64(newer) || fv.Newest != uint64(FormatNewest) ||
				!strings.Contains(msg, fmt.Sprintf("version %d is newer than this binary's newest, %d", newer, FormatNewest)) {
				t.Fatalf("open: %q does not name both versions", msg)
			}
			if _, err := OpenReadOnly(fs, manifestDir, nil); !errors.Is(err, base.ErrFormatVersion) {
				t.Fatalf("read-only open: %v, want ErrFormatVersion", err)
			}
		})
	}
	// Apply refuses to record such a version.
	m := openManifest(t, vfs.NewMem())
	defer m.Close()
	if err := m.Apply(&Edit{FormatVersion: newer}); !errors.Is(err, base.ErrFormatVersion) {
		t.Fatalf("apply: %v, want ErrFormatVersion", err)
	}
}

// TestFormatVersionUnknownTagWithoutVersion: an unknown tag in a manifest
// that names no newer version stays corruption.
func TestFormatVersionUnknownTagWithoutVersion(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	m.Close()
	appendRaw(t, fs, binary.AppendUvarint([]byte{editFormatVersion}, unknownTag))
	if _, err := Open(fs, manifestDir, nil, journal.Config{}); !errors.Is(err, base.ErrCorruption) || errors.Is(err, base.ErrFormatVersion) {
		t.Fatalf("open: %v, want ErrCorruption", err)
	}
}

// unknownTag is a tag no version defines yet, not safe to ignore.
const unknownTag = 60

// TestIngestedFileNeedsV3: a file with a global seqnum is refused below
// FormatV3, and under it keeps its global seqnum across reopen (replay of
// the edit) and rotation (a snapshot edit).
func TestIngestedFileNeedsV3(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 10, FormatVersion: FormatV2})
	f := meta(3, 6, "a", "b", 7, 7)
	f.GlobalSeq = 7
	if err := m.Apply(AddFile(f)); !errors.Is(err, base.ErrInvalidArgument) || !strings.Contains(err.Error(), "format version 2") {
		t.Fatalf("ingested file under version 2: %v, want ErrInvalidArgument naming the version", err)
	}
	mustApply(t, m, &Edit{FormatVersion: FormatV3})
	mustApply(t, m, AddFile(f))
	bad := meta(4, 6, "c", "d", 6, 7)
	bad.GlobalSeq = 7
	if err := m.Apply(AddFile(bad)); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("ingested file with seqnums [6, 7] at global seqnum 7: %v, want ErrInvalidArgument", err)
	}
	for _, rotate := range []bool{false, true} {
		m.Close()
		cfg := journal.Config{}
		if rotate {
			cfg.GrowthBaseline = 1 // every edit rotates: a snapshot records the file
		}
		m = openManifestCfg(t, fs, cfg)
		got := m.Version().Levels[6]
		if len(got) != 1 || got[0].GlobalSeq != 7 {
			t.Fatalf("after reopen (rotate=%v): L6 %v, want file 3 at global seqnum 7", rotate, got)
		}
		mustApply(t, m, &Edit{NextFileNum: 11 + base.FileNum(len(got))})
	}
	m.Close()
}

// TestGuard: the guard of a manifest file of the record framing decodes
// as an edit that names FormatV6 and nothing else (its marker is in a tag
// a decoder may skip), and ends with journal.GuardMarker, which tells the
// journal the framing.
func TestGuard(t *testing.T) {
	g := Codec{}.Guard()
	if !bytes.HasSuffix(g, []byte(journal.GuardMarker)) {
		t.Fatalf("guard %q does not end with the marker", g)
	}
	e, err := DecodeEdit(g)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e, &Edit{FormatVersion: FormatV6}) {
		t.Fatalf("guard decodes as %v, want an edit naming version %d alone", e, FormatV6)
	}
}
