package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
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
	// tag 13 (unknown, not safe to ignore) with some bytes, as a later
	// version may write.
	withTag := binary.AppendUvarint(append([]byte(nil), version...), 13)
	withTag = append(withTag, 1, 2, 3)
	laterTag := binary.AppendUvarint([]byte{editFormatVersion}, 13)
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
	appendRaw(t, fs, binary.AppendUvarint([]byte{editFormatVersion}, 13))
	if _, err := Open(fs, manifestDir, nil, journal.Config{}); !errors.Is(err, base.ErrCorruption) || errors.Is(err, base.ErrFormatVersion) {
		t.Fatalf("open: %v, want ErrCorruption", err)
	}
}
