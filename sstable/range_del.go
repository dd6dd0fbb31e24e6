package sstable

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tempestdb/tempest/internal/base"
)

// RangeDel is a range tombstone: it deletes every entry whose user key k
// has Start <= k < End (Comparer.Compare) and whose seqnum is below Seq.
type RangeDel struct {
	Start, End []byte
	Seq        base.SeqNum
}

func (d RangeDel) String() string { return fmt.Sprintf("[%q, %q)%s", d.Start, d.End, d.Seq) }

// Pretty formats d with the comparer's key formatter.
func (d RangeDel) Pretty(c *base.Comparer) string {
	return fmt.Sprintf("[%s, %s)%s", c.Format(d.Start), c.Format(d.End), d.Seq)
}

// Range-deletion block layout (see doc.go):
//
//	count uvarint | count × (len(start) uvarint | start | len(end) uvarint | end | seq u64)
//
// rangeDelMinLen is the smallest encoding of one tombstone: empty start,
// one-byte end (End > Start, so End is never empty).
const rangeDelMinLen = 1 + 1 + 1 + 8

// compareRangeDels orders tombstones as the block stores them: Start
// ascending, then Seq descending, then End ascending.
func compareRangeDels(cmp *base.Comparer, a, b *RangeDel) int {
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	switch {
	case a.Seq > b.Seq:
		return -1
	case a.Seq < b.Seq:
		return 1
	}
	return cmp.Compare(a.End, b.End)
}

// sortRangeDels sorts dels into block order.
func sortRangeDels(cmp *base.Comparer, dels []RangeDel) {
	slices.SortStableFunc(dels, func(a, b RangeDel) int { return compareRangeDels(cmp, &a, &b) })
}

// encodeRangeDels appends the range-deletion block of dels, which must be
// in block order, to dst.
func encodeRangeDels(dst []byte, dels []RangeDel) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(dels)))
	for i := range dels {
		d := &dels[i]
		dst = binary.AppendUvarint(dst, uint64(len(d.Start)))
		dst = append(dst, d.Start...)
		dst = binary.AppendUvarint(dst, uint64(len(d.End)))
		dst = append(dst, d.End...)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(d.Seq))
	}
	return dst
}

// decodeRangeDels decodes a range-deletion block read from offset off of
// file. It checks that every length stays within the block, that no bytes
// follow the last tombstone, that every tombstone has Start < End and a
// valid seqnum, and that the tombstones are in block order. The keys alias
// data, capped so that appending to them cannot write into it.
func decodeRangeDels(data []byte, cmp *base.Comparer, file string, off int64) ([]RangeDel, error) {
	pos := 0
	corrupt := func(format string, args ...any) error {
		return base.Corruptionf(file, off+int64(pos), "range-deletion block: "+format, args...)
	}
	uvarint := func(field string) (uint64, error) {
		v, n := binary.Uvarint(data[pos:])
		if n <= 0 {
			return 0, corrupt("bad %s", field)
		}
		pos += n
		return v, nil
	}
	readBytes := func(field string) ([]byte, error) {
		n, k := binary.Uvarint(data[pos:])
		if k <= 0 {
			return nil, corrupt("bad %s length", field)
		}
		pos += k
		if n > uint64(len(data)-pos) {
			return nil, corrupt("%s length %d overruns the block", field, n)
		}
		end := pos + int(n)
		b := data[pos:end:end]
		pos = end
		return b, nil
	}
	count, err := uvarint("count")
	if err != nil {
		return nil, err
	}
	if count > uint64(len(data)-pos)/rangeDelMinLen {
		return nil, corrupt("count %d does not fit %d bytes", count, len(data))
	}
	if count == 0 {
		if pos != len(data) {
			return nil, corrupt("%d stray bytes after the last tombstone", len(data)-pos)
		}
		return nil, nil
	}
	dels := make([]RangeDel, count)
	for i := range dels {
		d := &dels[i]
		at := pos
		if d.Start, err = readBytes("start"); err != nil {
			return nil, err
		}
		if d.End, err = readBytes("end"); err != nil {
			return nil, err
		}
		if len(data)-pos < 8 {
			return nil, corrupt("tombstone %d: truncated seqnum", i)
		}
		d.Seq = base.SeqNum(binary.LittleEndian.Uint64(data[pos:]))
		pos += 8
		switch {
		case !d.Seq.Valid():
			pos = at
			return nil, corrupt("tombstone %d: seqnum %d overflows 56 bits", i, uint64(d.Seq))
		case cmp.Compare(d.Start, d.End) >= 0:
			pos = at
			return nil, corrupt("tombstone %d: start %s is not before end %s", i, cmp.Format(d.Start), cmp.Format(d.End))
		case i > 0 && compareRangeDels(cmp, &dels[i-1], d) > 0:
			pos = at
			return nil, corrupt("tombstone %d: out of order", i)
		}
	}
	if pos != len(data) {
		return nil, corrupt("%d stray bytes after the last tombstone", len(data)-pos)
	}
	return dels, nil
}

// rangeDelBounds returns the internal-key bounds and the seqnum range of
// dels, which must be non-empty and in block order: smallest is the first
// tombstone's start at its seqnum, largest the exclusive sentinel at the
// greatest end (see doc.go).
func rangeDelBounds(cmp *base.Comparer, dels []RangeDel) (smallest, largest base.InternalKey, minSeq, maxSeq base.SeqNum) {
	end := dels[0].End
	minSeq, maxSeq = dels[0].Seq, dels[0].Seq
	for i := range dels[1:] {
		d := &dels[1+i]
		if cmp.Compare(d.End, end) > 0 {
			end = d.End
		}
		minSeq, maxSeq = min(minSeq, d.Seq), max(maxSeq, d.Seq)
	}
	smallest = base.MakeInternalKey(dels[0].Start, dels[0].Seq, base.KindRangeDelete)
	largest = base.MakeInternalKey(end, base.SeqNumMax, base.KindRangeDelete)
	return smallest, largest, minSeq, maxSeq
}
