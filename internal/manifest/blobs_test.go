package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// withRefs returns f naming the blob files refs, with 100 bytes of each.
func withRefs(f FileMetadata, refs ...base.FileNum) FileMetadata {
	for _, n := range refs {
		f.BlobRefs = append(f.BlobRefs, BlobRef{FileNum: n, Bytes: 100})
	}
	return f
}

// TestBlobRecords checks the rules of blob files: only at FormatV5; an
// SST names only live blob files; a blob file is removed only once no
// live SST names it, and UnreferencedBlobs finds the ones an edit must
// remove; live bytes add up; all of it survives a reopen (the snapshot
// edit of a rotated journal included).
func TestBlobRecords(t *testing.T) {
	fs := vfs.NewMem()
	m := openManifest(t, fs)
	mustApply(t, m, &Edit{NextFileNum: 100, FormatVersion: FormatV4})
	refused := func(e *Edit, want string) {
		t.Helper()
		if err := m.Apply(e); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("apply %s: %v, want an error containing %q", e, err, want)
		}
	}
	refused(&Edit{AddedBlobs: []BlobFile{{FileNum: 1, Size: 50, ValueBytes: 300}}}, "need format version 5")
	mustApply(t, m, &Edit{FormatVersion: FormatV5})
	refused(&Edit{Added: []FileMetadata{withRefs(l0(2), 1)}}, "names blob file 000001, which is not live")
	mustApply(t, m, &Edit{
		AddedBlobs: []BlobFile{{FileNum: 1, Size: 50, ValueBytes: 300}},
		Added:      []FileMetadata{withRefs(l0(2), 1), withRefs(l0(3), 1)},
	})
	refused(&Edit{RemovedBlobs: []base.FileNum{1}}, "live SSTs still name")
	rm2 := &Edit{Removed: []RemovedFile{{Level: 0, FileNum: 2}}}
	if got := m.UnreferencedBlobs(rm2); len(got) != 0 {
		t.Fatalf("unreferenced after removing one of two SSTs: %v", got)
	}
	mustApply(t, m, rm2)
	if got := m.BlobLiveBytes()[1]; got != 100 {
		t.Fatalf("live bytes %d, want 100", got)
	}
	rm3 := &Edit{Removed: []RemovedFile{{Level: 0, FileNum: 3}}}
	if got := m.UnreferencedBlobs(rm3); !slices.Equal(got, []base.FileNum{1}) {
		t.Fatalf("unreferenced after removing the last SST: %v, want [1]", got)
	}
	rm3.RemovedBlobs = []base.FileNum{1}
	rm3.Obsolete = []ObsoleteFile{{Kind: KindBlob, FileNum: 1}}
	mustApply(t, m, rm3)
	if _, ok := m.BlobFile(1); ok {
		t.Fatal("blob file 1 still live")
	}
	mustApply(t, m, &Edit{
		AddedBlobs: []BlobFile{{FileNum: 4, Size: 70, ValueBytes: 400}},
		Added:      []FileMetadata{withRefs(l0(5), 4)},
	})
	if err := m.Rotate(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	m2, err := Open(fs, manifestDir, nil, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if b, ok := m2.BlobFile(4); !ok || b.Size != 70 || b.ValueBytes != 400 {
		t.Fatalf("reopened blob file 4: %v %t", b, ok)
	}
	if got := m2.BlobLiveBytes(); len(got) != 1 || got[4] != 100 {
		t.Fatalf("reopened live bytes %v", got)
	}
	obs := m2.Obsolete()
	if !slices.Contains(obs, ObsoleteFile{Kind: KindBlob, FileNum: 1}) {
		t.Fatalf("obsolete %v lacks blob file 1", obs)
	}
}

// TestBlobTagsAfterVersion: an edit holding blob records writes the
// version tag first, so a binary that does not know version 5 refuses it
// on the version (base.ErrFormatVersion) before it meets tags it would
// misread; and every edit adding a blob file is of version 5 or later.
func TestBlobTagsAfterVersion(t *testing.T) {
	e := &Edit{FormatVersion: FormatV5, AddedBlobs: []BlobFile{{FileNum: 1, Size: 9, ValueBytes: 9}},
		Added: []FileMetadata{withRefs(l0(2), 1)}, RemovedBlobs: []base.FileNum{3}}
	enc := e.Append(nil)
	version := strings.Index(string(enc), string([]byte{tagFormatVersion, byte(FormatV5)}))
	for _, tag := range []byte{tagBlobRef, tagAddedBlob, tagRemovedBlob} {
		if i := strings.LastIndexByte(string(enc), tag); version < 0 || i < version {
			t.Fatalf("encoding %x: version tag at %d, blob tag %d at %d", enc, version, tag, i)
		}
	}
	dec, err := DecodeEdit(enc)
	if err != nil || len(dec.AddedBlobs) != 1 || len(dec.Added[0].BlobRefs) != 1 || len(dec.RemovedBlobs) != 1 {
		t.Fatalf("decoded %v: %v", dec, err)
	}
}
