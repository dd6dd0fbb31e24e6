package sstable

import (
	"encoding/binary"
	"math"

	"github.com/tempestdb/tempest/internal/base"
)

// Properties describe a table. They are stored in its properties block
// (encoding in doc.go).
type Properties struct {
	// ComparerName is the name of the Comparer that ordered the keys.
	ComparerName string
	// EntryCount is the number of point entries; DeletionCount the number
	// of them that are point tombstones (KindDelete).
	EntryCount, DeletionCount uint64
	// RangeDelCount is the number of range tombstones.
	RangeDelCount uint64
	// Smallest and Largest bound the table in internal-key order, over
	// its point entries and its range tombstones: Smallest is the lesser
	// of the first point key and {Start, Seq, KindRangeDelete} of the
	// first tombstone; Largest is the greater of the last point key and
	// {End, SeqNumMax, KindRangeDelete} for the greatest End, the latter
	// an exclusive bound: the table holds nothing at or after End. A tie
	// keeps the point key. Both are zero when the table is empty.
	Smallest, Largest base.InternalKey
	// SmallestSeq and LargestSeq bound the seqnums of all point entries
	// and range tombstones; zero when the table is empty.
	SmallestSeq, LargestSeq base.SeqNum
	// RawKeySize is the sum of len(user key)+8 over all point entries;
	// RawValueSize the sum of their value lengths.
	RawKeySize, RawValueSize uint64
	// DataBlockCount is the number of data blocks.
	DataBlockCount uint64
	// FormatVersion is the table's format version.
	FormatVersion uint32
	// FileNum is the file number the table was written as
	// (WriterOptions.FileNum); zero for format versions before 4, which
	// do not record it.
	FileNum base.FileNum
}

// empty reports whether the table holds neither point entries nor range
// tombstones.
func (p *Properties) empty() bool { return p.EntryCount == 0 && p.RangeDelCount == 0 }

// addRangeDels widens the bounds, computed over the point entries, to
// cover dels, which are in block order, and records their count.
func (p *Properties) addRangeDels(cmp *base.Comparer, dels []RangeDel) {
	if len(dels) == 0 {
		return
	}
	smallest, largest, minSeq, maxSeq := rangeDelBounds(cmp, dels)
	if p.EntryCount == 0 {
		p.Smallest, p.Largest = smallest.Clone(), largest.Clone()
		p.SmallestSeq, p.LargestSeq = minSeq, maxSeq
	} else {
		if cmp.CompareInternal(smallest, p.Smallest) < 0 {
			p.Smallest = smallest.Clone()
		}
		if cmp.CompareInternal(largest, p.Largest) > 0 {
			p.Largest = largest.Clone()
		}
		p.SmallestSeq, p.LargestSeq = min(p.SmallestSeq, minSeq), max(p.LargestSeq, maxSeq)
	}
	p.RangeDelCount = uint64(len(dels))
}

// encode appends the encoded properties to dst.
func (p *Properties) encode(dst []byte) []byte {
	appendBytes := func(dst, b []byte) []byte {
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...)
	}
	appendKey := func(dst []byte, k base.InternalKey) []byte {
		if p.empty() {
			return binary.AppendUvarint(dst, 0)
		}
		dst = binary.AppendUvarint(dst, uint64(k.EncodedLen()))
		return k.Append(dst)
	}
	dst = appendBytes(dst, []byte(p.ComparerName))
	dst = binary.AppendUvarint(dst, p.EntryCount)
	dst = binary.AppendUvarint(dst, p.DeletionCount)
	dst = binary.AppendUvarint(dst, p.RangeDelCount)
	dst = appendKey(dst, p.Smallest)
	dst = appendKey(dst, p.Largest)
	dst = binary.AppendUvarint(dst, uint64(p.SmallestSeq))
	dst = binary.AppendUvarint(dst, uint64(p.LargestSeq))
	dst = binary.AppendUvarint(dst, p.RawKeySize)
	dst = binary.AppendUvarint(dst, p.RawValueSize)
	dst = binary.AppendUvarint(dst, p.DataBlockCount)
	dst = binary.AppendUvarint(dst, uint64(p.FormatVersion))
	if p.FormatVersion >= fileNumVersion {
		dst = binary.AppendUvarint(dst, uint64(p.FileNum))
	}
	return dst
}

// propsDecoder reads the fields of a properties block in order, remembering
// the first error.
type propsDecoder struct {
	data []byte
	pos  int
	file string
	off  int64
	err  error
}

func (d *propsDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = base.Corruptionf(d.file, d.off+int64(d.pos), "properties block: "+format, args...)
	}
}

func (d *propsDecoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.pos:])
	if n <= 0 {
		d.fail("bad %s", field)
		return 0
	}
	d.pos += n
	return v
}

func (d *propsDecoder) bytes(field string) []byte {
	n := d.uvarint(field + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.data)-d.pos) {
		d.fail("%s length %d overruns the block", field, n)
		return nil
	}
	b := d.data[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b
}

// key decodes an optional internal key; present is false for length 0.
func (d *propsDecoder) key(field string) (k base.InternalKey, present bool) {
	b := d.bytes(field)
	if len(b) == 0 {
		return base.InternalKey{}, false
	}
	k, ok := base.DecodeInternalKey(b)
	if !ok {
		d.fail("%s of %d bytes is shorter than a trailer", field, len(b))
		return base.InternalKey{}, false
	}
	if !k.Kind().ValidInTable() && k.Kind() != base.KindRangeDelete {
		d.fail("%s has unknown kind %d", field, uint8(k.Kind()))
	}
	return k.Clone(), true
}

// decodeProperties decodes a properties block read from offset off of
// file and checks that its fields are consistent with each other.
func decodeProperties(data []byte, file string, off int64) (Properties, error) {
	d := propsDecoder{data: data, file: file, off: off}
	var p Properties
	p.ComparerName = string(d.bytes("comparer name"))
	p.EntryCount = d.uvarint("entry count")
	p.DeletionCount = d.uvarint("deletion count")
	p.RangeDelCount = d.uvarint("range deletion count")
	var hasSmallest, hasLargest bool
	p.Smallest, hasSmallest = d.key("smallest key")
	p.Largest, hasLargest = d.key("largest key")
	p.SmallestSeq = base.SeqNum(d.uvarint("smallest seqnum"))
	p.LargestSeq = base.SeqNum(d.uvarint("largest seqnum"))
	p.RawKeySize = d.uvarint("raw key size")
	p.RawValueSize = d.uvarint("raw value size")
	p.DataBlockCount = d.uvarint("data block count")
	version := d.uvarint("format version")
	if version >= uint64(fileNumVersion) {
		p.FileNum = base.FileNum(d.uvarint("file number"))
	}
	if d.err != nil {
		return Properties{}, d.err
	}
	switch {
	case d.pos != len(data):
		d.fail("%d stray bytes after the last field", len(data)-d.pos)
	case version > math.MaxUint32:
		d.fail("format version %d overflows u32", version)
	case p.DeletionCount > p.EntryCount:
		d.fail("deletion count %d exceeds entry count %d", p.DeletionCount, p.EntryCount)
	case (p.EntryCount == 0) != (p.DataBlockCount == 0):
		d.fail("entry count %d with %d data blocks", p.EntryCount, p.DataBlockCount)
	case hasSmallest == p.empty() || hasLargest == p.empty():
		d.fail("smallest/largest keys do not match entry count %d, range deletion count %d",
			p.EntryCount, p.RangeDelCount)
	case p.SmallestSeq > p.LargestSeq || !p.LargestSeq.Valid():
		d.fail("invalid seqnum range [%d, %d]", p.SmallestSeq, p.LargestSeq)
	}
	if d.err != nil {
		return Properties{}, d.err
	}
	p.FormatVersion = uint32(version)
	return p, nil
}
