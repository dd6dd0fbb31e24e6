package sstable

import (
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Salvage reads what is readable of a damaged table, block by block, for
// repair. OpenSalvage locates the blocks; iterating reads the data blocks
// and yields the entries of every block whose checksum and encoding are
// valid, skipping the others. Everything that could not be read is listed
// in Damage. The file is only read.
//
// How the blocks are found:
//
//   - With a valid footer and index block, the index names every data
//     block, and a damaged block loses only its own entries: those after
//     the previous block's index key, up to its own.
//   - Otherwise (the footer or the index is damaged, the file truncated)
//     the blocks are found by their trailers. Blocks tile the file from
//     offset 0, so the first block ends at the first offset e where the 9
//     bytes at e are a trailer whose checksum matches the bytes before e;
//     the next block starts after that trailer, and so on. One pass with
//     a running checksum finds every boundary. A damaged block has no
//     matching trailer, and nothing marks where the next block starts, so
//     the walk stops there: the rest of the data area is lost, and
//     reported as one range from the last key read on. With a valid
//     footer the walk covers the data area; without one it covers the
//     whole file and recognizes the blocks that follow the data blocks
//     (range deletions, bloom, properties, index) by their position and
//     encoding; a recognized index that names exactly the data blocks
//     found, or properties that count them, prove that no entry was lost.
//
// A data block is used only if it decodes entirely, its keys are strictly
// increasing, of point kinds, and within the bounds the index or the
// previous block give. Keys are yielded in strictly increasing internal
// key order.
type Salvage struct {
	// RangeDels are the table's range tombstones, if its range-deletion
	// block was read.
	RangeDels []RangeDel
	// Props are the table's properties, or nil if they were not read.
	Props *Properties
	// ByIndex is true when the data blocks were located by the index.
	ByIndex bool
	// Damage lists what could not be read, in the order found. OpenSalvage
	// fills in the damage to the table's structure; iterating adds the
	// damaged data blocks.
	Damage []SalvageDamage

	file vfs.File
	// globalSeq is ReaderOptions.GlobalSeqNum: the seqnum the entries
	// and tombstones are read at, if not 0 (checked against the blocks
	// as written, at seqnum 0).
	globalSeq base.SeqNum
	cmp       *base.Comparer
	name      string
	size      int64
	blocks    []salvageBlock
	// area holds the bytes the walk read, when the blocks were found by
	// it; blocks are then decoded from it.
	area []byte
}

// SalvageLoss says what a damaged range held.
type SalvageLoss uint8

const (
	// LostPoints: point entries, bounded by After and Through where known.
	LostPoints SalvageLoss = iota
	// LostRangeDels: the table's range tombstones, bounded by After and
	// Through where known.
	LostRangeDels
	// LostNothing: metadata only (footer, properties, index, bloom
	// filter); every entry was still found.
	LostNothing
)

func (l SalvageLoss) String() string {
	switch l {
	case LostPoints:
		return "point entries"
	case LostRangeDels:
		return "range tombstones"
	}
	return "metadata only"
}

// SalvageDamage is a byte range of a table that could not be read.
type SalvageDamage struct {
	// Offset and End delimit the range: [Offset, End).
	Offset, End int64
	// What names the part: "data block", "data", "range-deletion block",
	// "properties block", "index block", "footer".
	What string
	// Lost says what the range held.
	Lost SalvageLoss
	// Smallest and Largest bound the user keys of what was lost, both
	// inclusive: every lost entry's user key k, and every user key a lost
	// range tombstone covered, has Smallest <= k <= Largest. HasSmallest
	// and HasLargest are false where that side is not known. A damaged data block is
	// bounded by the last keys of the blocks around it (the index's
	// entries), lost tombstones by the table's bounds.
	Smallest, Largest       []byte
	HasSmallest, HasLargest bool
	// Err is the error that marked the range damaged.
	Err error
}

// salvageBlock is a data block to read, with the bounds its keys must
// keep: after < key <= through where set.
type salvageBlock struct {
	h                    blockHandle
	c                    Compression // for blocks found by the walk
	after, through       base.InternalKey
	hasAfter, hasThrough bool
}

// OpenSalvage locates the readable blocks of f, a table of size bytes.
// opts.Comparer must be the one the table was written with: a table whose
// readable properties name another comparer is refused with an error
// matching base.ErrInvalidArgument. It returns an error only for that, a
// nil comparer, or a failed read; corruption is reported in Damage.
// OpenSalvage takes ownership of f (Close closes it) and closes it on
// error.
func OpenSalvage(f vfs.File, size int64, opts ReaderOptions) (*Salvage, error) {
	s := &Salvage{file: f, cmp: opts.Comparer, name: opts.FileName, size: size, globalSeq: opts.GlobalSeqNum}
	if err := s.open(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the file.
func (s *Salvage) Close() error { return s.file.Close() }

func (s *Salvage) open() error {
	if s.cmp == nil {
		return base.InvalidArgumentf("sstable: ReaderOptions.Comparer is required")
	}
	ft, ok, err := s.readFooter()
	if err != nil {
		return err
	}
	if !ok {
		return s.walk(s.size, false, footer{})
	}
	if err := s.readProps(ft); err != nil {
		return err
	}
	if err := s.readRangeDels(ft); err != nil {
		return err
	}
	if s.globalSeq != 0 {
		for i := range s.RangeDels {
			s.RangeDels[i].Seq = s.globalSeq
		}
	}
	index, ok, err := s.readIndex(ft)
	if err != nil {
		return err
	}
	if !ok {
		return s.walk(int64(ft.rangeDel.offset), true, ft)
	}
	s.ByIndex = true
	for j := range index {
		b := salvageBlock{h: index[j].handle, through: index[j].lastKey, hasThrough: true}
		if j > 0 {
			b.after, b.hasAfter = index[j-1].lastKey, true
		}
		s.blocks = append(s.blocks, b)
	}
	return nil
}

// reader returns a Reader over the file for the block-reading helpers.
func (s *Salvage) reader() *Reader {
	return &Reader{file: s.file, cmp: s.cmp, name: s.name, size: s.size}
}

// damage records a damaged range.
func (s *Salvage) damage(d SalvageDamage) { s.Damage = append(s.Damage, d) }

// isCorruption tells damage (recorded, salvage goes on) from failed reads
// (returned).
func isCorruption(err error) bool { return errors.Is(err, base.ErrCorruption) }

// readFooter reads and validates the footer. ok is false, with the damage
// recorded, when it is unusable.
func (s *Salvage) readFooter() (footer, bool, error) {
	if s.size < footerLen {
		s.damage(SalvageDamage{Offset: 0, End: s.size, What: "footer", Lost: LostNothing,
			Err: base.Corruptionf(s.name, 0, "file of %d bytes is too small to hold a footer", s.size)})
		return footer{}, false, nil
	}
	off := s.size - footerLen
	buf := make([]byte, footerLen)
	r := s.reader()
	err := r.readAt(buf, off)
	var ft footer
	if err == nil {
		ft, err = decodeFooter(buf, s.name, off)
	}
	if err == nil {
		err = ft.validate(uint64(off), s.name)
	}
	switch {
	case err == nil:
		return ft, true, nil
	case !isCorruption(err):
		return footer{}, false, err
	}
	// Whether entries were lost is known once the walk has run.
	s.damage(SalvageDamage{Offset: off, End: s.size, What: "footer", Lost: LostNothing, Err: err})
	return footer{}, false, nil
}

// readProps reads the properties block and checks the comparer name.
func (s *Salvage) readProps(ft footer) error {
	b, err := s.reader().readBlock(ft.props)
	var p Properties
	if err == nil {
		p, err = decodeProperties(b, s.name, int64(ft.props.offset))
	}
	switch {
	case err == nil:
		if p.ComparerName != s.cmp.Name {
			return base.InvalidArgumentf("sstable %s written with comparer %q, read with %q", s.name, p.ComparerName, s.cmp.Name)
		}
		s.Props = &p
		return nil
	case !isCorruption(err):
		return err
	}
	s.damage(SalvageDamage{Offset: int64(ft.props.offset), End: int64(ft.props.end()),
		What: "properties block", Lost: LostNothing, Err: err})
	return nil
}

// readRangeDels reads the range-deletion block of a table with a valid
// footer.
func (s *Salvage) readRangeDels(ft footer) error {
	b, err := s.reader().readBlock(ft.rangeDel)
	if err == nil {
		s.RangeDels, err = decodeRangeDels(b, s.cmp, s.name, int64(ft.rangeDel.offset))
	}
	switch {
	case err == nil:
		return nil
	case !isCorruption(err):
		return err
	}
	s.damage(s.rangeDelLoss(int64(ft.rangeDel.offset), int64(ft.rangeDel.end()), err))
	return nil
}

// rangeDelLoss is the damage of a lost range-deletion block, bounded by
// the table's bounds when the properties were read.
func (s *Salvage) rangeDelLoss(off, end int64, err error) SalvageDamage {
	d := SalvageDamage{Offset: off, End: end, What: "range-deletion block", Lost: LostRangeDels, Err: err}
	if p := s.Props; p != nil && !p.empty() {
		d.Smallest, d.Largest, d.HasSmallest, d.HasLargest = p.Smallest.UserKey, p.Largest.UserKey, true, true
	}
	return d
}

// readIndex reads and validates the index block. ok is false, with the
// damage recorded, when it is unusable.
func (s *Salvage) readIndex(ft footer) ([]indexEntry, bool, error) {
	b, err := s.reader().readBlock(ft.index)
	var index []indexEntry
	if err == nil {
		index, err = decodeIndex(b, s.name, int64(ft.index.offset))
	}
	if err == nil {
		err = validateIndex(index, ft.rangeDel.offset, s.cmp, s.name, int64(ft.index.offset))
	}
	switch {
	case err == nil:
		return index, true, nil
	case !isCorruption(err):
		return nil, false, err
	}
	s.damage(SalvageDamage{Offset: int64(ft.index.offset), End: int64(ft.index.end()),
		What: "index block", Lost: LostNothing, Err: err})
	return nil, false, nil
}

// String renders d on one line.
func (d SalvageDamage) String() string {
	return fmt.Sprintf("%s [%d, %d): %s lost: %v", d.What, d.Offset, d.End, d.Lost, d.Err)
}
