package manifest

import (
	"errors"
	"slices"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// TestRecordsInvariantsRejected: closed logs, obsolete and deleted files
// and the orphan floor that the state could not have produced are refused
// before anything is written.
func TestRecordsInvariantsRejected(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 20, MinUnflushedLog: 5})
	mustApply(t, m, AddFile(l0(6)))
	mustApply(t, m, &Edit{ClosedLogs: []ClosedLog{{FileNum: 5, Size: 100}}, Obsolete: []ObsoleteFile{{KindLog, 4}, {KindTable, 3}}})
	size := fileSize(t, fs)
	for _, tc := range []struct {
		name string
		e    *Edit
	}{
		{"closed log at lease", &Edit{ClosedLogs: []ClosedLog{{FileNum: 20}}}},
		{"closed log below min unflushed", &Edit{ClosedLogs: []ClosedLog{{FileNum: 4}}}},
		{"closed log twice", &Edit{ClosedLogs: []ClosedLog{{FileNum: 5}}}},
		{"closed log twice in one edit", &Edit{ClosedLogs: []ClosedLog{{FileNum: 7}, {FileNum: 7}}}},
		{"obsolete live SST", &Edit{Obsolete: []ObsoleteFile{{KindTable, 6}}}},
		{"obsolete added SST", &Edit{Added: []FileMetadata{l0(8)}, Obsolete: []ObsoleteFile{{KindTable, 8}}}},
		{"obsolete WAL at min unflushed", &Edit{Obsolete: []ObsoleteFile{{KindLog, 5}}}},
		{"obsolete at lease", &Edit{Obsolete: []ObsoleteFile{{KindTable, 20}}}},
		{"obsolete twice", &Edit{Obsolete: []ObsoleteFile{{KindTable, 3}}}},
		{"obsolete bad kind", &Edit{Obsolete: []ObsoleteFile{{FileKind(7), 2}}}},
		{"deleted not obsolete", &Edit{Deleted: []base.FileNum{2}}},
		{"deleted twice", &Edit{Deleted: []base.FileNum{3, 3}}},
		{"add obsolete", AddFile(l0(3))},
		{"floor beyond lease", &Edit{OrphanFloor: 21}},
	} {
		if err := m.Apply(tc.e); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if got := fileSize(t, fs); got != size {
		t.Fatalf("rejected edits were written: %d -> %d bytes", size, got)
	}
}

// TestRecordsReplayAndRotate applies closed logs, obsolete and deleted
// files and floors, then checks the state after a reopen and after a
// rotation (whose snapshot must carry all of them).
func TestRecordsReplayAndRotate(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 30, MinUnflushedLog: 2, OrphanFloor: 1})
	mustApply(t, m, AddFile(l0(10)))
	mustApply(t, m, &Edit{ClosedLogs: []ClosedLog{{FileNum: 2, Size: 10, Checksum: 11}, {FileNum: 3, Size: 12, Checksum: 13}}})
	// A flush past WAL 2 drops its record and makes it obsolete.
	mustApply(t, m, &Edit{MinUnflushedLog: 3, Obsolete: []ObsoleteFile{{KindLog, 2}}, OrphanFloor: 11})
	// A compaction removes 10 and adds 12; an orphan 14 is recorded.
	mustApply(t, m, &Edit{Added: []FileMetadata{l0(12)}, Removed: []RemovedFile{{0, 10}},
		Obsolete: []ObsoleteFile{{KindTable, 10}, {KindTable, 14}}, OrphanFloor: 9})
	mustApply(t, m, &Edit{Deleted: []base.FileNum{2}})
	check := func(what string, m *Manifest) {
		t.Helper()
		if _, ok := m.ClosedLog(2); ok {
			t.Fatalf("%s: WAL 2's record survived MinUnflushedLog 3", what)
		}
		if c, ok := m.ClosedLog(3); !ok || c != (ClosedLog{FileNum: 3, Size: 12, Checksum: 13}) {
			t.Fatalf("%s: closed log 3 = %+v, %v", what, c, ok)
		}
		want := []ObsoleteFile{{KindTable, 10}, {KindTable, 14}}
		if got := m.Obsolete(); !slices.Equal(got, want) {
			t.Fatalf("%s: obsolete %v, want %v", what, got, want)
		}
		if m.OrphanFloor() != 11 || !m.Tracked() {
			t.Fatalf("%s: orphan floor %s (a lower value must not lower it)", what, m.OrphanFloor())
		}
	}
	check("live", m)
	m.Close()
	m = openManifest(t, fs)
	check("reopened", m)
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m = openManifest(t, fs)
	defer m.Close()
	check("rotated", m)
}

// TestUntrackedManifest: a manifest without an orphan floor (written by
// an older version) is not tracked.
func TestUntrackedManifest(t *testing.T) {
	m := openManifest(t, vfs.NewMem())
	defer m.Close()
	mustApply(t, m, &Edit{NextFileNum: 3})
	if m.Tracked() {
		t.Fatal("a manifest without a floor is tracked")
	}
}

// TestLoadReadOnly: Load serves the state of a manifest and refuses
// edits; OpenTentative's edits survive Commit and a reopen.
func TestLoadReadOnly(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 9, OrphanFloor: 4})
	m.Close()
	m, err := OpenTentative(fs, manifestDir, nil, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, m, &Edit{OrphanFloor: 5})
	m.Commit()
	m.Close()
	l, err := OpenReadOnly(fs, manifestDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.NextFileNum() != 9 || l.OrphanFloor() != 5 {
		t.Fatalf("loaded next %s floor %s", l.NextFileNum(), l.OrphanFloor())
	}
	if err := l.Apply(&Edit{OrphanFloor: 6}); !errors.Is(err, base.ErrReadOnly) {
		t.Fatalf("apply on a loaded manifest: %v", err)
	}
}
