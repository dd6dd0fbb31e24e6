package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// TestMergerName checks the merger name's rules: only at FormatV4 and
// later, never changed, kept across a reopen and in the snapshot edit
// that starts a rotated journal file.
func TestMergerName(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{ComparerName: base.DefaultComparer.Name, NextFileNum: 5, FormatVersion: FormatV2})
	if err := m.Apply(&Edit{MergerName: "m1"}); err == nil || !strings.Contains(err.Error(), "needs format version 4") {
		t.Fatalf("merger name at version 2: %v, want refused", err)
	}
	// With the ratchet to version 4 in the same edit it is accepted.
	mustApply(t, m, &Edit{FormatVersion: FormatV4, MergerName: "m1"})
	if got := m.MergerName(); got != "m1" {
		t.Fatalf("merger %q, want m1", got)
	}
	if err := m.Apply(&Edit{MergerName: "m2"}); err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Fatalf("merger change: %v, want refused", err)
	}
	mustApply(t, m, &Edit{MergerName: "m1"}) // the same name again is no change
	if snap := m.mu.j.Data().Snapshot(); snap.MergerName != "m1" || snap.FormatVersion != FormatV4 {
		t.Fatalf("snapshot edit %s lacks the merger or the version", snap)
	}
	m.Close()
	m2, err := Open(fs, manifestDir, nil, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if got := m2.MergerName(); got != "m1" {
		t.Fatalf("reopened merger %q, want m1", got)
	}
	// The merger name follows the version tag in an edit, so a binary that
	// does not know version 4 refuses the edit on its version.
	enc := (&Edit{FormatVersion: FormatV4, MergerName: "m1"}).Append(nil)
	if i, j := strings.Index(string(enc), string([]byte{tagFormatVersion, byte(FormatV4)})), strings.Index(string(enc), string([]byte{tagMergerName, 2, 'm', '1'})); i < 0 || j < i {
		t.Fatalf("encoding %x: version tag at %d, merger tag at %d", enc, i, j)
	}
	if !errors.Is(checkFormatVersion(FormatNewest+1), base.ErrFormatVersion) {
		t.Fatal("a version above the newest is not refused")
	}
}
