package manifest

import (
	"encoding/binary"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/journal"
)

// editFormatVersion is the first byte of every encoded edit.
const editFormatVersion = 1

// Field tags. See doc.go for the layout of each value.
const (
	tagComparerName    = 1
	tagNextFileNum     = 2
	tagLastSeqNum      = 3
	tagMinUnflushedLog = 4
	tagAddedFile       = 5
	tagRemovedFile     = 6
	tagCleanClose      = 7
	// Tags 8 to 11 are not safe to ignore: a decoder that dropped them
	// would judge WALs and delete files without the records that make
	// doing so safe, so older versions refuse such a manifest.
	tagClosedLog    = 8
	tagObsoleteFile = 9
	tagDeletedFile  = 10
	tagOrphanFloor  = 11
	// tagFormatVersion is not safe to ignore either: a decoder that does
	// not know it cannot know what the database's files may hold, so it
	// refuses the manifest rather than misread it.
	tagFormatVersion = 12
	// tagIngestedFile gives the global seqnum of a file added by the same
	// edit (FormatV3). Not safe to ignore: a decoder that dropped it
	// would read the file's entries at seqnum 0, under every older
	// version of their keys.
	tagIngestedFile = 13
	// tagMergerName is not safe to ignore: a decoder that dropped it
	// would let the database be opened without its merger. Only databases
	// of FormatV4 and later record it, so the version tag refuses older
	// binaries first.
	tagMergerName = 16
	// Tags 17 to 19 record blob files (FormatV5), none safe to ignore: a
	// decoder that dropped them would delete live blob files or lose the
	// references that keep them. tagBlobRef gives a blob reference of a
	// file added by the same edit; tagAddedBlob and tagRemovedBlob add
	// and remove blob files.
	tagBlobRef     = 17
	tagAddedBlob   = 18
	tagRemovedBlob = 19

	// tagSafeToIgnore marks a tag whose value is a uvarint-length byte
	// string that a decoder not knowing the tag may skip. Unknown tags
	// without the bit fail decoding.
	tagSafeToIgnore = 1 << 6

	// tagAddedFileStats carries the entry statistics of a file added by the
	// same edit. Safe to ignore: a decoder that drops it only loses a
	// compaction-picking hint.
	tagAddedFileStats = tagSafeToIgnore | 1
	// tagVisibleSeqNum and tagHorizon carry Edit.VisibleSeqNum and
	// Edit.Horizon. Safe to ignore: a decoder that drops them only makes
	// Open more permissive about old tokens, as before they existed.
	tagVisibleSeqNum = tagSafeToIgnore | 2
	tagHorizon       = tagSafeToIgnore | 3
	// tagFramingGuard carries journal.GuardMarker in the guard edit of a
	// manifest file of the record framing (Codec.Guard). Safe to ignore:
	// the edit around it names FormatV6, which is what an older decoder
	// must meet.
	tagFramingGuard = tagSafeToIgnore | 4
	// tagEditTime carries Edit.Time and tagHistory Edit.History
	// (FormatV7). Safe to ignore: a decoder that drops them only loses
	// when edits happened and the history db lsm draws.
	tagEditTime = tagSafeToIgnore | 5
	tagHistory  = tagSafeToIgnore | 6
)

// addedFileStatsLen is the length of a tagAddedFileStats value written
// today: file number, entry count, deletion count and range tombstone
// count, each u64. The range tombstone count may be absent (a value of
// minFileStatsLen); a longer value is accepted and its tail ignored, so
// fields can be appended.
const (
	addedFileStatsLen = 4 * 8
	minFileStatsLen   = 3 * 8
)

// Codec encodes manifest edits for the journal. It implements
// journal.Codec[*Edit].
type Codec struct{}

// Encode appends the encoding of e to dst.
func (Codec) Encode(dst []byte, e *Edit) []byte { return e.Append(dst) }

// Decode decodes an edit. It is safe on arbitrary bytes; the result does
// not alias b.
func (Codec) Decode(b []byte) (*Edit, error) { return DecodeEdit(b) }

// Guard implements journal.Guarded. A manifest file of the record framing
// (FormatV6 on) opens with this edit in the legacy framing: it names
// FormatV6, then carries journal.GuardMarker in a tag safe to ignore
// (tagFramingGuard), so a binary that knows only the legacy framing (and
// versions up to 5) replays it first and refuses the database with
// base.ErrFormatVersion, as tag 12 promises, before it meets a record it
// cannot read.
func (Codec) Guard() []byte {
	b := (&Edit{FormatVersion: FormatV6}).Append(nil)
	b = binary.AppendUvarint(b, tagFramingGuard)
	b = binary.AppendUvarint(b, uint64(len(journal.GuardMarker)))
	return append(b, journal.GuardMarker...)
}

// Append appends the encoding of e to dst. Fields are written in tag
// order; zero-valued optional fields are omitted.
func (e *Edit) Append(dst []byte) []byte {
	dst = append(dst, editFormatVersion)
	if e.ComparerName != "" {
		dst = binary.AppendUvarint(dst, tagComparerName)
		dst = appendBytes(dst, []byte(e.ComparerName))
	}
	if e.NextFileNum != 0 {
		dst = binary.AppendUvarint(dst, tagNextFileNum)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.NextFileNum))
	}
	if e.LastSeqNum != 0 {
		dst = binary.AppendUvarint(dst, tagLastSeqNum)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.LastSeqNum))
	}
	if e.MinUnflushedLog != 0 {
		dst = binary.AppendUvarint(dst, tagMinUnflushedLog)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.MinUnflushedLog))
	}
	for i := range e.Added {
		f := &e.Added[i]
		dst = binary.AppendUvarint(dst, tagAddedFile)
		dst = append(dst, byte(f.Level))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.FileNum))
		dst = binary.LittleEndian.AppendUint64(dst, f.Size)
		dst = binary.LittleEndian.AppendUint64(dst, f.Checksum)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.SmallestSeq))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.LargestSeq))
		dst = binary.AppendUvarint(dst, uint64(f.Smallest.EncodedLen()))
		dst = f.Smallest.Append(dst)
		dst = binary.AppendUvarint(dst, uint64(f.Largest.EncodedLen()))
		dst = f.Largest.Append(dst)
	}
	for _, r := range e.Removed {
		dst = binary.AppendUvarint(dst, tagRemovedFile)
		dst = append(dst, byte(r.Level))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.FileNum))
	}
	if e.CleanClose {
		dst = binary.AppendUvarint(dst, tagCleanClose)
	}
	dst = e.appendRecords(dst)
	for i := range e.Added {
		f := &e.Added[i]
		if !f.hasStats() {
			continue
		}
		dst = binary.AppendUvarint(dst, tagAddedFileStats)
		dst = binary.AppendUvarint(dst, addedFileStatsLen)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.FileNum))
		dst = binary.LittleEndian.AppendUint64(dst, f.EntryCount)
		dst = binary.LittleEndian.AppendUint64(dst, f.DeletionCount)
		dst = binary.LittleEndian.AppendUint64(dst, f.RangeDelCount)
	}
	for _, f := range []struct {
		tag uint64
		seq base.SeqNum
	}{{tagVisibleSeqNum, e.VisibleSeqNum}, {tagHorizon, e.Horizon}} {
		if f.seq != 0 {
			dst = binary.AppendUvarint(dst, f.tag)
			dst = binary.AppendUvarint(dst, 8)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(f.seq))
		}
	}
	return e.appendTime(dst)
}

// appendRecords appends tags 8 to 13 and 16.
func (e *Edit) appendRecords(dst []byte) []byte {
	for _, c := range e.ClosedLogs {
		dst = binary.AppendUvarint(dst, tagClosedLog)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(c.FileNum))
		dst = binary.LittleEndian.AppendUint64(dst, c.Size)
		dst = binary.LittleEndian.AppendUint64(dst, c.Checksum)
	}
	for _, o := range e.Obsolete {
		dst = binary.AppendUvarint(dst, tagObsoleteFile)
		dst = append(dst, byte(o.Kind))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(o.FileNum))
	}
	for _, n := range e.Deleted {
		dst = binary.AppendUvarint(dst, tagDeletedFile)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	}
	if e.OrphanFloor != 0 {
		dst = binary.AppendUvarint(dst, tagOrphanFloor)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.OrphanFloor))
	}
	if e.FormatVersion != 0 {
		dst = binary.AppendUvarint(dst, tagFormatVersion)
		dst = binary.AppendUvarint(dst, uint64(e.FormatVersion))
	}
	for i := range e.Added {
		if f := &e.Added[i]; f.GlobalSeq != 0 {
			dst = binary.AppendUvarint(dst, tagIngestedFile)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(f.FileNum))
			dst = binary.LittleEndian.AppendUint64(dst, uint64(f.GlobalSeq))
		}
	}
	if e.MergerName != "" {
		dst = binary.AppendUvarint(dst, tagMergerName)
		dst = appendBytes(dst, []byte(e.MergerName))
	}
	return e.appendBlobs(dst)
}

// appendBlobs appends tags 17 to 19.
func (e *Edit) appendBlobs(dst []byte) []byte {
	for i := range e.Added {
		f := &e.Added[i]
		for _, r := range f.BlobRefs {
			dst = binary.AppendUvarint(dst, tagBlobRef)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(f.FileNum))
			dst = binary.LittleEndian.AppendUint64(dst, uint64(r.FileNum))
			dst = binary.LittleEndian.AppendUint64(dst, r.Bytes)
		}
	}
	for _, b := range e.AddedBlobs {
		dst = binary.AppendUvarint(dst, tagAddedBlob)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(b.FileNum))
		dst = binary.LittleEndian.AppendUint64(dst, b.Size)
		dst = binary.LittleEndian.AppendUint64(dst, b.ValueBytes)
	}
	for _, n := range e.RemovedBlobs {
		dst = binary.AppendUvarint(dst, tagRemovedBlob)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// editDecoder reads an encoded edit. Every read checks the remaining length
// first; the first failure is kept in err and later reads return zeros.
type editDecoder struct {
	b   []byte
	off int
	err error
	// stats holds the added-file stats fields, and ingested the
	// ingested-file fields, until the edit is decoded.
	stats    []fileStats
	ingested []ingestedFile
	blobRefs []blobRef
}

func (d *editDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = base.Corruptionf("manifest edit", int64(d.off), format, args...)
	}
}

func (d *editDecoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint for %s", what)
		return 0
	}
	d.off += n
	return v
}

func (d *editDecoder) u8(what string) uint8 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 1 {
		d.fail("truncated %s", what)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *editDecoder) u64(what string) uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.fail("truncated %s", what)
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// bytes returns a length-prefixed byte string, aliasing the input.
func (d *editDecoder) bytes(what string) []byte {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("%s length %d exceeds the %d remaining bytes", what, n, len(d.b)-d.off)
		return nil
	}
	v := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return v
}

func (d *editDecoder) internalKey(what string) base.InternalKey {
	b := d.bytes(what)
	if d.err != nil {
		return base.InternalKey{}
	}
	k, ok := base.DecodeInternalKey(b)
	if !ok {
		d.fail("%s of %d bytes is shorter than a trailer", what, len(b))
		return base.InternalKey{}
	}
	return k.Clone()
}

func (d *editDecoder) level(what string) int {
	l := int(d.u8(what))
	if d.err == nil && !validLevel(l) {
		d.fail("%s %d out of range [0, %d)", what, l, NumLevels)
	}
	return l
}

// seqValue decodes the value of a safe-to-ignore seqnum tag (uvarint
// length >= 8, then the seqnum as u64; bytes after it are reserved and
// skipped) that appears at most once (seen).
func (d *editDecoder) seqValue(what string, tagOff int, seen *bool) base.SeqNum {
	if *seen {
		d.off = tagOff
		d.fail("%s repeated", what)
		return 0
	}
	*seen = true
	v := d.bytes(what)
	if d.err != nil {
		return 0
	}
	if len(v) < 8 {
		d.off = tagOff
		d.fail("%s of %d bytes, want at least 8", what, len(v))
		return 0
	}
	seq := base.SeqNum(binary.LittleEndian.Uint64(v))
	if !seq.Valid() {
		d.off = tagOff
		d.fail("%s %d exceeds the maximum sequence number", what, uint64(seq))
		return 0
	}
	return seq
}

// DecodeEdit decodes an edit encoded by Edit.Append. Errors match
// base.ErrCorruption. It never panics and allocates at most a small multiple
// of len(b); the result does not alias b.
func DecodeEdit(b []byte) (*Edit, error) {
	d := &editDecoder{b: b}
	if v := d.u8("format version"); d.err == nil && v != editFormatVersion {
		d.fail("unknown edit format version %d", v)
	}
	e := &Edit{}
	var seen [tagRemovedBlob + 1]bool
	var seenOnce [4]bool // tagVisibleSeqNum, tagHorizon, tagEditTime, tagHistory
	for d.err == nil && d.off < len(b) {
		tagOff := d.off
		tag := d.uvarint("tag")
		if d.err != nil {
			break
		}
		if tag < uint64(len(seen)) && !repeatable(tag) {
			if seen[tag] {
				d.off = tagOff
				d.fail("tag %d repeated", tag)
				break
			}
			seen[tag] = true
		}
		switch tag {
		case tagComparerName:
			name := d.bytes("comparer name")
			if d.err == nil && len(name) == 0 {
				d.fail("empty comparer name")
			}
			e.ComparerName = string(name)
		case tagNextFileNum:
			e.NextFileNum = base.FileNum(d.u64("next file number"))
		case tagLastSeqNum:
			e.LastSeqNum = base.SeqNum(d.u64("last sequence number"))
		case tagMinUnflushedLog:
			e.MinUnflushedLog = base.FileNum(d.u64("min unflushed log"))
		case tagAddedFile:
			var f FileMetadata
			f.Level = d.level("added file level")
			f.FileNum = base.FileNum(d.u64("added file number"))
			f.Size = d.u64("added file size")
			f.Checksum = d.u64("added file checksum")
			f.SmallestSeq = base.SeqNum(d.u64("added file smallest seqnum"))
			f.LargestSeq = base.SeqNum(d.u64("added file largest seqnum"))
			f.Smallest = d.internalKey("added file smallest key")
			f.Largest = d.internalKey("added file largest key")
			if d.err == nil {
				e.Added = append(e.Added, f)
			}
		case tagRemovedFile:
			var r RemovedFile
			r.Level = d.level("removed file level")
			r.FileNum = base.FileNum(d.u64("removed file number"))
			if d.err == nil {
				e.Removed = append(e.Removed, r)
			}
		case tagCleanClose:
			e.CleanClose = true
		case tagClosedLog, tagObsoleteFile, tagDeletedFile, tagOrphanFloor:
			d.record(e, tag)
		case tagFormatVersion:
			d.formatVersion(e, tagOff)
		case tagIngestedFile:
			d.ingestedFile(tagOff)
		case tagMergerName:
			name := d.bytes("merger name")
			if d.err == nil && len(name) == 0 {
				d.fail("empty merger name")
			}
			e.MergerName = string(name)
		case tagBlobRef, tagAddedBlob, tagRemovedBlob:
			d.blobRecord(e, tag, tagOff)
		case tagAddedFileStats, tagVisibleSeqNum, tagHorizon, tagEditTime, tagHistory:
			d.ignorable(e, tag, tagOff, &seenOnce)
		default:
			if tag&tagSafeToIgnore == 0 && e.FormatVersion > FormatNewest {
				// A newer version's tag, after the tag naming it.
				d.err = checkFormatVersion(e.FormatVersion)
				break
			}
			if tag&tagSafeToIgnore == 0 {
				d.off = tagOff
				d.fail("unknown tag %d", tag)
				break
			}
			d.bytes(fmt.Sprintf("ignorable tag %d", tag))
		}
	}
	d.applyDeferred(e)
	if d.err != nil {
		return nil, d.err
	}
	return e, nil
}

// ignorable decodes the value of a safe-to-ignore tag this decoder knows
// into e; seen says which of those that appear at most once did.
func (d *editDecoder) ignorable(e *Edit, tag uint64, tagOff int, seen *[4]bool) {
	switch tag {
	case tagAddedFileStats:
		d.addedFileStats(e, tagOff)
	case tagVisibleSeqNum:
		e.VisibleSeqNum = d.seqValue("visible seqnum", tagOff, &seen[0])
	case tagHorizon:
		e.Horizon = d.seqValue("horizon", tagOff, &seen[1])
	case tagEditTime:
		d.editTime(e, tagOff, &seen[2])
	case tagHistory:
		d.history(e, tagOff, &seen[3])
	}
}

// applyDeferred matches the fields decoded apart from their added files
// (stats, global seqnums, blob references) with them.
func (d *editDecoder) applyDeferred(e *Edit) {
	for _, apply := range []func(*Edit){d.applyStats, d.applyIngested, d.applyBlobRefs} {
		if d.err == nil {
			apply(e)
		}
	}
}

// repeatable reports whether a tag below tagSafeToIgnore may appear more
// than once in an edit.
func repeatable(tag uint64) bool {
	switch tag {
	case tagAddedFile, tagRemovedFile, tagClosedLog, tagObsoleteFile, tagDeletedFile, tagIngestedFile,
		tagBlobRef, tagAddedBlob, tagRemovedBlob:
		return true
	}
	return false
}

// record decodes the value of tag 8, 9, 10 or 11 into e.
func (d *editDecoder) record(e *Edit, tag uint64) {
	switch tag {
	case tagClosedLog:
		var c ClosedLog
		c.FileNum = base.FileNum(d.u64("closed log number"))
		c.Size = d.u64("closed log size")
		c.Checksum = d.u64("closed log checksum")
		if d.err == nil {
			e.ClosedLogs = append(e.ClosedLogs, c)
		}
	case tagObsoleteFile:
		off := d.off
		o := ObsoleteFile{Kind: FileKind(d.u8("obsolete file kind"))}
		o.FileNum = base.FileNum(d.u64("obsolete file number"))
		if d.err == nil && !o.Kind.valid() {
			d.off = off
			d.fail("obsolete file kind %d is not defined", uint8(o.Kind))
		}
		if d.err == nil {
			e.Obsolete = append(e.Obsolete, o)
		}
	case tagDeletedFile:
		n := base.FileNum(d.u64("deleted file number"))
		if d.err == nil {
			e.Deleted = append(e.Deleted, n)
		}
	case tagOrphanFloor:
		e.OrphanFloor = base.FileNum(d.u64("orphan floor"))
	}
}

// formatVersion decodes the value of tag 12 into e: a uvarint, at least
// FormatV2 (version 1 is never recorded). A version newer than
// FormatNewest decodes; the state refuses it (base.ErrFormatVersion).
func (d *editDecoder) formatVersion(e *Edit, tagOff int) {
	v := d.uvarint("format version")
	switch {
	case d.err != nil:
	case v < uint64(FormatV2) || v > 1<<32-1:
		d.off = tagOff
		d.fail("format version %d out of range [%d, %d]", v, FormatV2, uint32(1<<32-1))
	default:
		e.FormatVersion = uint32(v)
	}
}

// fileStats is a decoded tagAddedFileStats value.
type fileStats struct {
	off                       int // offset of the tag, for errors
	fileNum                   base.FileNum
	entryCount, deletionCount uint64
	rangeDelCount             uint64
}

// addedFileStats decodes a tagAddedFileStats value into d.stats; it is
// matched with its added file once the whole edit is decoded, because
// fields may come in any order.
func (d *editDecoder) addedFileStats(e *Edit, tagOff int) {
	v := d.bytes("added file stats")
	if d.err != nil {
		return
	}
	if len(v) < minFileStatsLen {
		d.off = tagOff
		d.fail("added file stats of %d bytes, want at least %d", len(v), minFileStatsLen)
		return
	}
	s := fileStats{
		off:           tagOff,
		fileNum:       base.FileNum(binary.LittleEndian.Uint64(v)),
		entryCount:    binary.LittleEndian.Uint64(v[8:]),
		deletionCount: binary.LittleEndian.Uint64(v[16:]),
	}
	if len(v) >= addedFileStatsLen {
		s.rangeDelCount = binary.LittleEndian.Uint64(v[24:])
	}
	if s.deletionCount > s.entryCount {
		d.off = tagOff
		d.fail("added file %s stats: %d deletions exceed %d entries", s.fileNum, s.deletionCount, s.entryCount)
		return
	}
	d.stats = append(d.stats, s)
}

// applyStats gives each decoded stats field to the first added file with
// its number. A field naming no added file, or a file that already has
// stats, is corruption.
func (d *editDecoder) applyStats(e *Edit) {
	if len(d.stats) == 0 {
		return
	}
	first := firstAdded(e)
	given := make(map[base.FileNum]bool, len(d.stats))
	for _, s := range d.stats {
		i, ok := first[s.fileNum]
		switch {
		case !ok:
			d.off = s.off
			d.fail("stats for file %s, which the edit does not add", s.fileNum)
			return
		case given[s.fileNum]:
			d.off = s.off
			d.fail("stats for file %s repeated", s.fileNum)
			return
		}
		given[s.fileNum] = true
		e.Added[i].EntryCount, e.Added[i].DeletionCount = s.entryCount, s.deletionCount
		e.Added[i].RangeDelCount = s.rangeDelCount
	}
}

// ingestedFile is a decoded tagIngestedFile value.
type ingestedFile struct {
	off     int // offset of the tag, for errors
	fileNum base.FileNum
	seq     base.SeqNum
}

// ingestedFile decodes a tagIngestedFile value into d.ingested; it is
// matched with its added file once the whole edit is decoded.
func (d *editDecoder) ingestedFile(tagOff int) {
	g := ingestedFile{off: tagOff}
	g.fileNum = base.FileNum(d.u64("ingested file number"))
	g.seq = base.SeqNum(d.u64("ingested file global seqnum"))
	if d.err == nil && (g.seq == 0 || !g.seq.Valid()) {
		d.off = tagOff
		d.fail("ingested file %s at global seqnum %d", g.fileNum, uint64(g.seq))
	}
	if d.err == nil {
		d.ingested = append(d.ingested, g)
	}
}

// firstAdded maps each file number e adds to the index of its first
// entry in e.Added.
func firstAdded(e *Edit) map[base.FileNum]int {
	first := make(map[base.FileNum]int, len(e.Added))
	for i := len(e.Added) - 1; i >= 0; i-- {
		first[e.Added[i].FileNum] = i
	}
	return first
}

// applyIngested gives each decoded global seqnum to the first added file
// with its number. A field naming no added file, or one repeated, is
// corruption.
func (d *editDecoder) applyIngested(e *Edit) {
	if len(d.ingested) == 0 {
		return
	}
	first := firstAdded(e)
	for _, g := range d.ingested {
		i, ok := first[g.fileNum]
		switch {
		case !ok:
			d.off = g.off
			d.fail("global seqnum for file %s, which the edit does not add", g.fileNum)
			return
		case e.Added[i].GlobalSeq != 0:
			d.off = g.off
			d.fail("global seqnum for file %s repeated", g.fileNum)
			return
		}
		e.Added[i].GlobalSeq = g.seq
	}
}

// blobRef is a decoded tagBlobRef value.
type blobRef struct {
	off     int // offset of the tag, for errors
	fileNum base.FileNum
	ref     BlobRef
}

// blobRecord decodes the value of tag 17, 18 or 19 into e (a blob
// reference into d.blobRefs, matched with its added file once the whole
// edit is decoded).
func (d *editDecoder) blobRecord(e *Edit, tag uint64, tagOff int) {
	switch tag {
	case tagBlobRef:
		r := blobRef{off: tagOff, fileNum: base.FileNum(d.u64("blob reference file"))}
		r.ref.FileNum = base.FileNum(d.u64("blob reference blob file"))
		r.ref.Bytes = d.u64("blob reference bytes")
		if d.err == nil {
			d.blobRefs = append(d.blobRefs, r)
		}
	case tagAddedBlob:
		var b BlobFile
		b.FileNum = base.FileNum(d.u64("added blob file number"))
		b.Size = d.u64("added blob file size")
		b.ValueBytes = d.u64("added blob file value bytes")
		if d.err == nil {
			e.AddedBlobs = append(e.AddedBlobs, b)
		}
	case tagRemovedBlob:
		n := base.FileNum(d.u64("removed blob file number"))
		if d.err == nil {
			e.RemovedBlobs = append(e.RemovedBlobs, n)
		}
	}
}

// applyBlobRefs gives each decoded blob reference to the first added file
// with its number. A reference naming no added file is corruption.
func (d *editDecoder) applyBlobRefs(e *Edit) {
	if len(d.blobRefs) == 0 {
		return
	}
	first := firstAdded(e)
	for _, r := range d.blobRefs {
		i, ok := first[r.fileNum]
		if !ok {
			d.off = r.off
			d.fail("blob reference for file %s, which the edit does not add", r.fileNum)
			return
		}
		e.Added[i].BlobRefs = append(e.Added[i].BlobRefs, r.ref)
	}
}
