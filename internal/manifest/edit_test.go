package manifest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

// randomEdit returns an edit with random fields, each present or not.
func randomEdit(rng *rand.Rand) *Edit {
	e := &Edit{}
	if rng.IntN(3) == 0 {
		e.ComparerName = randomString(rng, 1+rng.IntN(20))
	}
	if rng.IntN(3) == 0 {
		e.MergerName = randomString(rng, 1+rng.IntN(20))
	}
	if rng.IntN(2) == 0 {
		e.NextFileNum = base.FileNum(rng.Uint64())
	}
	if rng.IntN(2) == 0 {
		e.LastSeqNum = base.SeqNum(rng.Uint64())
	}
	if rng.IntN(2) == 0 {
		e.MinUnflushedLog = base.FileNum(rng.Uint64())
	}
	for i := rng.IntN(4); i > 0; i-- {
		e.Added = append(e.Added, FileMetadata{
			FileNum:     base.FileNum(rng.Uint64()),
			Level:       rng.IntN(NumLevels),
			Size:        rng.Uint64(),
			Checksum:    rng.Uint64(),
			Smallest:    base.InternalKey{UserKey: []byte(randomString(rng, rng.IntN(10))), Trailer: base.Trailer(rng.Uint64())},
			Largest:     base.InternalKey{UserKey: []byte(randomString(rng, rng.IntN(300))), Trailer: base.Trailer(rng.Uint64())},
			SmallestSeq: base.SeqNum(rng.Uint64()),
			LargestSeq:  base.SeqNum(rng.Uint64()),
		})
		if f := &e.Added[len(e.Added)-1]; rng.IntN(2) == 0 {
			f.EntryCount = rng.Uint64()
			f.DeletionCount = rng.Uint64N(f.EntryCount + 1)
		}
		if f := &e.Added[len(e.Added)-1]; rng.IntN(3) == 0 {
			f.GlobalSeq = 1 + base.SeqNum(rng.Uint64N(uint64(base.SeqNumMax)))
		}
		for f, j := &e.Added[len(e.Added)-1], rng.IntN(3); j > 0; j-- {
			f.BlobRefs = append(f.BlobRefs, BlobRef{FileNum: base.FileNum(rng.Uint64()), Bytes: rng.Uint64()})
		}
	}
	for i := rng.IntN(3); i > 0; i-- {
		e.AddedBlobs = append(e.AddedBlobs, BlobFile{FileNum: base.FileNum(rng.Uint64()), Size: rng.Uint64(), ValueBytes: rng.Uint64()})
	}
	for i := rng.IntN(3); i > 0; i-- {
		e.RemovedBlobs = append(e.RemovedBlobs, base.FileNum(rng.Uint64()))
	}
	for i := rng.IntN(4); i > 0; i-- {
		e.Removed = append(e.Removed, RemovedFile{Level: rng.IntN(NumLevels), FileNum: base.FileNum(rng.Uint64())})
	}
	for i := rng.IntN(3); i > 0; i-- {
		e.ClosedLogs = append(e.ClosedLogs, ClosedLog{FileNum: base.FileNum(rng.Uint64()), Size: rng.Uint64(), Checksum: rng.Uint64()})
	}
	for i := rng.IntN(3); i > 0; i-- {
		e.Obsolete = append(e.Obsolete, ObsoleteFile{Kind: FileKind(1 + rng.IntN(3)), FileNum: base.FileNum(rng.Uint64())})
	}
	for i := rng.IntN(3); i > 0; i-- {
		e.Deleted = append(e.Deleted, base.FileNum(rng.Uint64()))
	}
	if rng.IntN(2) == 0 {
		e.OrphanFloor = base.FileNum(rng.Uint64())
	}
	e.CleanClose = rng.IntN(4) == 0
	if rng.IntN(2) == 0 {
		e.Time = 1 + rng.Int64N(math.MaxInt64)
	}
	if rng.IntN(8) == 0 {
		e.History = randomHistory(rng, 1+rng.IntN(2))
	}
	return e
}

func randomString(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// normalize makes empty key slices nil, as decoding yields empty keys as
// empty (not nil) slices.
func normalize(e *Edit) *Edit {
	c := e.clone()
	for i := range c.Added {
		for _, k := range []*base.InternalKey{&c.Added[i].Smallest, &c.Added[i].Largest} {
			if len(k.UserKey) == 0 {
				k.UserKey = nil
			}
		}
	}
	if len(c.Removed) == 0 {
		c.Removed = nil
	}
	if len(c.ClosedLogs) == 0 {
		c.ClosedLogs = nil
	}
	if len(c.Obsolete) == 0 {
		c.Obsolete = nil
	}
	if len(c.Deleted) == 0 {
		c.Deleted = nil
	}
	return c
}

func TestEditRoundTrip(t *testing.T) {
	rng := newRand(testSeed(t))
	for i := 0; i < 2000; i++ {
		e := randomEdit(rng)
		enc := e.Append(nil)
		got, err := DecodeEdit(enc)
		if err != nil {
			t.Fatalf("edit %d %s: decode: %v", i, e, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(e)) {
			t.Fatalf("edit %d: round trip\n got %s\nwant %s", i, got, e)
		}
		if !bytes.Equal(got.Append(nil), enc) {
			t.Fatalf("edit %d: re-encoding differs", i)
		}
		// The result does not alias the input.
		for k := range enc {
			enc[k] = 0xee
		}
		if !reflect.DeepEqual(normalize(got), normalize(e)) {
			t.Fatalf("edit %d: decoded edit aliases its input", i)
		}
		// Every strict prefix either fails or decodes to a shorter edit
		// (truncated at a field boundary); never panics.
		enc = e.Append(nil)
		for cut := 0; cut < len(enc); cut++ {
			if d, err := DecodeEdit(enc[:cut]); err == nil && bytes.Equal(d.Append(nil), enc) {
				t.Fatalf("edit %d: prefix of %d bytes decodes to the whole edit", i, cut)
			} else if err != nil && !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("edit %d: error %v is not corruption", i, err)
			}
		}
	}
}

func TestEditEncoding(t *testing.T) {
	// The empty edit is the version byte alone.
	if got := (&Edit{}).Append(nil); !bytes.Equal(got, []byte{1}) {
		t.Fatalf("empty edit %x", got)
	}
	e := &Edit{NextFileNum: 0x0102, CleanClose: true, Removed: []RemovedFile{{Level: 3, FileNum: 9}}}
	want := []byte{1,
		tagNextFileNum, 0x02, 0x01, 0, 0, 0, 0, 0, 0,
		tagRemovedFile, 3, 9, 0, 0, 0, 0, 0, 0, 0,
		tagCleanClose}
	if got := e.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("encoding %x, want %x", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := (&Edit{NextFileNum: 7}).Append(nil)
	added1 := AddFile(meta(1, 0, "a", "b", 1, 2)).Append(nil)
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated format version"},
		{"version 0", []byte{0}, "unknown edit format version 0"},
		{"version 2", []byte{2, tagCleanClose}, "unknown edit format version 2"},
		{"unknown tag", []byte{1, unknownTag}, "unknown tag 60"},
		{"format version 1", []byte{1, tagFormatVersion, 1}, "format version 1 out of range"},
		{"format version 0", []byte{1, tagFormatVersion, 0}, "format version 0 out of range"},
		{"repeated format version", []byte{1, tagFormatVersion, 2, tagFormatVersion, 2}, "tag 12 repeated"},
		{"closed log truncated", cat([]byte{1, tagClosedLog}, u64(1), u64(2)), "truncated closed log checksum"},
		{"obsolete kind 0", cat([]byte{1, tagObsoleteFile, 0}, u64(1)), "obsolete file kind 0"},
		{"obsolete kind 4", cat([]byte{1, tagObsoleteFile, 4}, u64(1)), "obsolete file kind 4"},
		{"deleted truncated", []byte{1, tagDeletedFile, 1}, "truncated deleted file number"},
		{"repeated orphan floor", cat([]byte{1, tagOrphanFloor}, u64(1), []byte{tagOrphanFloor}, u64(2)), "tag 11 repeated"},
		{"unknown tag 0", []byte{1, 0}, "unknown tag 0"},
		{"unknown big tag", []byte{1, 0x81, 0x01}, "unknown tag 129"},
		{"bad uvarint", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "bad uvarint"},
		{"repeated scalar", cat(valid, []byte{tagNextFileNum}, u64(8)), "tag 2 repeated"},
		{"repeated clean close", []byte{1, tagCleanClose, tagCleanClose}, "tag 7 repeated"},
		{"truncated u64", []byte{1, tagLastSeqNum, 1, 2, 3}, "truncated last sequence number"},
		{"empty comparer", []byte{1, tagComparerName, 0}, "empty comparer name"},
		{"empty merger", []byte{1, tagMergerName, 0}, "empty merger name"},
		{"repeated merger", []byte{1, tagMergerName, 1, 'm', tagMergerName, 1, 'm'}, "tag 16 repeated"},
		{"comparer too long", []byte{1, tagComparerName, 5, 'a'}, "exceeds"},
		{"huge length", cat([]byte{1, tagComparerName}, binary.AppendUvarint(nil, 1<<62)), "exceeds"},
		{"level out of range", cat([]byte{1, tagRemovedFile, NumLevels}, u64(1)), "out of range"},
		{"key shorter than trailer", cat([]byte{1, tagAddedFile, 0}, u64(1), u64(2), u64(3), u64(4), u64(5), []byte{3, 'a', 'b', 'c'}), "shorter than a trailer"},
		{"ignorable tag truncated", []byte{1, tagSafeToIgnore | 2, 5, 1}, "exceeds"},
		{"stats truncated", []byte{1, tagAddedFileStats, 5, 1}, "exceeds"},
		{"stats too short", cat([]byte{1, tagAddedFileStats, 16}, u64(1), u64(2)), "want at least 24"},
		{"stats for no added file", cat([]byte{1, tagAddedFileStats, 24}, u64(1), u64(2), u64(1)), "does not add"},
		{"stats deletions above entries", cat(added1, []byte{tagAddedFileStats, 24}, u64(1), u64(2), u64(3)), "exceed"},
		{"stats repeated", cat(added1, []byte{tagAddedFileStats, 24}, u64(1), u64(2), u64(1),
			[]byte{tagAddedFileStats, 24}, u64(1), u64(0), u64(0)), "repeated"},
		{"ingested truncated", cat(added1, []byte{tagIngestedFile}, u64(1), []byte{1}), "truncated ingested file global seqnum"},
		{"ingested at seqnum 0", cat(added1, []byte{tagIngestedFile}, u64(1), u64(0)), "global seqnum 0"},
		{"ingested for no added file", cat(added1, []byte{tagIngestedFile}, u64(2), u64(5)), "does not add"},
		{"ingested repeated", cat(added1, []byte{tagIngestedFile}, u64(1), u64(5), []byte{tagIngestedFile}, u64(1), u64(5)), "repeated"},
	} {
		_, err := DecodeEdit(tc.b)
		if !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want corruption containing %q", tc.name, err, tc.want)
		}
	}
}

// TestSafeToIgnoreTags: a tag with the safe-to-ignore bit and a
// length-prefixed value is skipped.
func TestSafeToIgnoreTags(t *testing.T) {
	b := []byte{1, tagSafeToIgnore | 30, 3, 'x', 'y', 'z'}
	b = binary.AppendUvarint(b, tagSafeToIgnore|1000)
	b = append(b, 0)
	b = append(b, tagCleanClose)
	e, err := DecodeEdit(b)
	if err != nil || !e.CleanClose || e.NextFileNum != 0 {
		t.Fatalf("decode: %v %v", e, err)
	}
}

// TestAddedFileStats: entry statistics travel in tag 65 after the other
// fields, only for files that have them; a decoder that skips the tag (as
// one predating it does) reads the rest of the edit unchanged; fields may
// come in any order; a longer value's tail is skipped.
func TestAddedFileStats(t *testing.T) {
	plain := meta(5, 1, "a", "b", 1, 2)
	withStats := meta(6, 1, "c", "d", 1, 2)
	withStats.EntryCount, withStats.DeletionCount = 300, 7
	e := Compaction([]FileMetadata{plain, withStats}, []RemovedFile{{0, 1}})
	enc := e.Append(nil)
	noStats := e.clone()
	noStats.Added[1].EntryCount, noStats.Added[1].DeletionCount = 0, 0
	prefix := noStats.Append(nil)
	stats := []byte{tagAddedFileStats, 32, 6, 0, 0, 0, 0, 0, 0, 0, 44, 1, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if want := append(append([]byte(nil), prefix...), stats...); !bytes.Equal(enc, want) {
		t.Fatalf("encoding\n %x\nwant\n %x", enc, want)
	}
	got, err := DecodeEdit(enc)
	if err != nil || !reflect.DeepEqual(normalize(got), normalize(e)) {
		t.Fatalf("decode: %v %v", got, err)
	}
	// The edit without the stats field is the edit without stats.
	if got, err := DecodeEdit(prefix); err != nil || got.Added[1].EntryCount != 0 {
		t.Fatalf("decode without stats: %v %v", got, err)
	}
	// Stats before the file they describe, with a longer value.
	long := append([]byte{1, tagAddedFileStats, 34}, stats[2:]...)
	long = append(long, 0xaa, 0xbb)
	long = append(long, prefix[1:]...)
	got, err = DecodeEdit(long)
	if err != nil || !reflect.DeepEqual(normalize(got), normalize(e)) {
		t.Fatalf("decode reordered: %v %v", got, err)
	}
	if s := withStats.String(); !strings.Contains(s, "entries=300 dels=7") {
		t.Fatalf("String %q", s)
	}
	if s := plain.String(); strings.Contains(s, "entries") {
		t.Fatalf("String %q", s)
	}
}

func TestEditString(t *testing.T) {
	if s := (&Edit{}).String(); s != "{}" {
		t.Fatalf("%q", s)
	}
	f := meta(12, 0, "a", "b", 3, 4)
	s := (&Edit{ComparerName: "c", NextFileNum: 13, LastSeqNum: 9, MinUnflushedLog: 2,
		Added: []FileMetadata{f}, Removed: []RemovedFile{{1, 5}}, CleanClose: true}).String()
	for _, want := range []string{`comparer="c"`, "next-file=000013", "last-seq=9", "min-unflushed-log=000002",
		"remove 000005:L1", "add 000012:L0", "clean-close"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}

// FuzzManifestEdit decodes arbitrary bytes: no panic, errors are
// corruption, and a decoded edit re-encodes to bytes that decode to the
// same edit.
func FuzzManifestEdit(f *testing.F) {
	rng := newRand(1)
	for i := 0; i < 8; i++ {
		f.Add(randomEdit(rng).Append(nil))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{2})
	f.Add([]byte{1, tagSafeToIgnore | 3, 3, 'x', 'y', 'z', tagCleanClose})
	f.Add([]byte{1, tagAddedFile, 0})
	f.Add([]byte{1, tagComparerName, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEdit(b)
		if err != nil {
			if !errors.Is(err, base.ErrCorruption) {
				t.Fatalf("error %v is not corruption", err)
			}
			return
		}
		enc := e.Append(nil)
		e2, err := DecodeEdit(enc)
		if err != nil {
			t.Fatalf("re-encoded edit does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(e), normalize(e2)) || !bytes.Equal(e2.Append(nil), enc) {
			t.Fatalf("re-encoding changed the edit")
		}
		_ = e.String()
	})
}

// TestSeqNumTags: VisibleSeqNum and Horizon round-trip through tags 66
// and 67, only rise in the state (a lower value is ignored), survive a
// snapshot, and reject repeats, short values and invalid seqnums.
func TestSeqNumTags(t *testing.T) {
	e := &Edit{VisibleSeqNum: 1234, Horizon: 99}
	got, err := DecodeEdit(e.Append(nil))
	if err != nil || got.VisibleSeqNum != 1234 || got.Horizon != 99 {
		t.Fatalf("round trip: %v %v", got, err)
	}
	s := newState()
	for _, ed := range []*Edit{{VisibleSeqNum: 50, Horizon: 40}, {VisibleSeqNum: 30, Horizon: 60}, {}} {
		if err := s.Apply(ed); err != nil {
			t.Fatal(err)
		}
	}
	if s.visibleSeqNum != 50 || s.horizon != 60 {
		t.Fatalf("after edits: visible %d horizon %d, want 50 and 60", s.visibleSeqNum, s.horizon)
	}
	if snap := s.Snapshot(); snap.VisibleSeqNum != 50 || snap.Horizon != 60 {
		t.Fatalf("snapshot %v", snap)
	}
	seq := func(tag byte, n byte, v uint64) []byte {
		return binary.LittleEndian.AppendUint64([]byte{tag, n}, v)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"repeated", append(append([]byte{1}, seq(tagHorizon, 8, 5)...), seq(tagHorizon, 8, 6)...), "repeated"},
		{"short", []byte{1, tagVisibleSeqNum, 4, 1, 2, 3, 4}, "want at least 8"},
		{"invalid", append([]byte{1}, seq(tagVisibleSeqNum, 8, 1<<60)...), "exceeds"},
	} {
		if _, err := DecodeEdit(tc.b); !errors.Is(err, base.ErrCorruption) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want corruption containing %q", tc.name, err, tc.want)
		}
	}
	// A longer value's tail is reserved and skipped.
	long := append(seq(tagHorizon, 10, 7), 0, 0)
	if got, err := DecodeEdit(append([]byte{1}, long...)); err != nil || got.Horizon != 7 {
		t.Fatalf("long value: %v %v", got, err)
	}
}
