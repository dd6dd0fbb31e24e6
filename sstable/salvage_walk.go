package sstable

import (
	"encoding/binary"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/crc"
)

// The walk finds blocks by their trailers (see Salvage). A block of zero
// bytes followed by a trailer of zero bytes has a matching checksum (the
// CRC-64/Jones of zeros is zero), so a zeroed region parses as blocks of
// any length. Data blocks are never all zeros (a raw one ends with a
// restart count of at least 1, a compressed one starts with its nonzero
// decoded length), so the data walk only accepts blocks with a nonzero
// byte. The blocks after the data (range deletions, bloom filter) may be
// all zeros when empty; the tail parse accepts them where it expects them.

// findBlockEnd returns the offset e of the trailer of the block that
// starts at p in area: the first e >= p+minSize whose 9 bytes hold a
// valid compression byte and the checksum of area[p:e] and that byte,
// and, unless allowZero, such that area[p:e] holds a nonzero byte. ok is
// false if there is none. It reads each byte once, with a running
// checksum.
func findBlockEnd(area []byte, p, minSize int, allowZero bool) (e int, ok bool) {
	var running uint64 // crc of area[p:e]
	nonzero := false
	for e = p; e+blockTrailerLen <= len(area); e++ {
		c := area[e]
		next := crc.Update(running, area[e:e+1]) // crc of the block and c
		if e-p >= minSize && Compression(c).valid() && (allowZero || nonzero) &&
			next == binary.LittleEndian.Uint64(area[e+1:]) {
			return e, true
		}
		running, nonzero = next, nonzero || c != 0
	}
	return 0, false
}

// walkBlock is a block found by the walk: area[start, start+size) with
// its trailer after it.
type walkBlock struct {
	start, size int
	c           Compression
}

func (b walkBlock) handle() blockHandle {
	return blockHandle{offset: uint64(b.start), size: uint32(b.size)}
}

func (b walkBlock) end() int { return b.start + b.size + blockTrailerLen }

// walk reads [0, limit) and finds the data blocks by their trailers. With
// a valid footer (footerValid), limit is the end of the data area; a
// block there that is not a data block is damage and the walk goes on
// after it. Without one, limit is the file size, and the first block that
// is not a data block ends the data: the tail parse then looks for the
// blocks that follow the data.
func (s *Salvage) walk(limit int64, footerValid bool, ft footer) error {
	if limit < 0 || uint64(limit) > uint64(maxInt) {
		return base.InvalidArgumentf("sstable: %s: data area of %d bytes cannot be read into memory", s.name, limit)
	}
	s.area = make([]byte, int(limit))
	if err := s.reader().readAt(s.area, 0); err != nil {
		return err
	}
	var prev base.InternalKey // last key of the previous data block
	hasPrev, damaged := false, false
	p := 0
	for p < len(s.area) {
		e, ok := findBlockEnd(s.area, p, 1, false)
		if !ok {
			break
		}
		b := walkBlock{start: p, size: e - p, c: Compression(s.area[e])}
		last, err := s.checkWalkBlock(b, prev, hasPrev)
		if err == nil {
			s.blocks = append(s.blocks, salvageBlock{h: b.handle(), c: b.c})
			prev, hasPrev = last, true
			p = b.end()
			continue
		}
		if !footerValid {
			break // the data blocks end here
		}
		s.damage(s.pointLoss(int64(b.start), int64(b.end()), "data block", prev, hasPrev, err))
		p, damaged = b.end(), true
	}
	if footerValid {
		if p < len(s.area) {
			err := base.Corruptionf(s.name, int64(p), "no block with a valid trailer starts here")
			s.damage(s.pointLoss(int64(p), limit, "data", prev, hasPrev, err))
		} else if !damaged {
			s.checkBlockCount()
		}
		return nil
	}
	if s.parseTail(p) {
		return nil
	}
	err := base.Corruptionf(s.name, int64(p), "the data blocks end here and the blocks after them were not found")
	s.damage(s.pointLoss(int64(p), s.size, "data", prev, hasPrev, err))
	s.damage(s.rangeDelLoss(int64(p), s.size, err))
	return nil
}

// pointLoss is the damage of point entries in [off, end) following key
// prev (if hasPrev), bounded above by the table's largest key when known.
func (s *Salvage) pointLoss(off, end int64, what string, prev base.InternalKey, hasPrev bool, err error) SalvageDamage {
	d := SalvageDamage{Offset: off, End: end, What: what, Lost: LostPoints, Err: err}
	if hasPrev {
		d.Smallest, d.HasSmallest = prev.UserKey, true
	}
	if p := s.Props; p != nil && !p.empty() {
		d.Largest, d.HasLargest = p.Largest.UserKey, true
	}
	return d
}

// checkBlockCount compares the data blocks found with the properties'
// count, when known: fewer blocks than counted means some were lost
// where the walk could not tell.
func (s *Salvage) checkBlockCount() {
	p := s.Props
	if p == nil || uint64(len(s.blocks)) == p.DataBlockCount {
		return
	}
	err := base.Corruptionf(s.name, 0, "found %d data blocks, the properties count %d", len(s.blocks), p.DataBlockCount)
	s.damage(SalvageDamage{Offset: 0, End: int64(len(s.area)), What: "data", Lost: LostPoints, Err: err})
}

// checkWalkBlock decodes block b of the walk as a data block whose keys
// follow prev and returns its last key (an owned copy).
func (s *Salvage) checkWalkBlock(b walkBlock, prev base.InternalKey, hasPrev bool) (base.InternalKey, error) {
	block, err := s.decodeWalkBlock(b)
	if err != nil {
		return base.InternalKey{}, err
	}
	var it blockIter
	return s.checkDataBlock(&it, block, salvageBlock{h: b.handle(), after: prev, hasAfter: hasPrev})
}

// tailBlock finds the block that starts at p: its end is the first
// trailer match at least minSize bytes on (zeros allowed, since the blocks
// after the data may be empty), skipping the first skip matches.
func (s *Salvage) tailBlock(p, minSize, skip int) (walkBlock, bool) {
	for {
		e, ok := findBlockEnd(s.area, p, minSize, true)
		if !ok {
			return walkBlock{}, false
		}
		if skip == 0 {
			return walkBlock{start: p, size: e - p, c: Compression(s.area[e])}, true
		}
		skip--
		minSize = e - p + 1
	}
}

// decodeWalkBlock decodes block b of the walk (its checksum matched).
func (s *Salvage) decodeWalkBlock(b walkBlock) ([]byte, error) {
	return decompressBlock(b.c, s.area[b.start:b.start+b.size], s.name, uint64(b.start), heapAlloc)
}

// parseTail looks for the blocks that follow the data blocks of a table
// whose footer is damaged, starting at p: the range-deletion block, the
// bloom block, the properties block and the index block. It reports true
// when the index names exactly the data blocks found, which proves that
// no point entry was lost; it then keeps the tombstones and properties.
// The bloom block may start with zeros that look like an empty block, so
// each trailer match for it is tried in turn.
func (s *Salvage) parseTail(p int) bool {
	rd, ok := s.tailBlock(p, 1, 0)
	if !ok {
		return false
	}
	b, err := s.decodeWalkBlock(rd)
	if err != nil {
		return false
	}
	dels, err := decodeRangeDels(b, s.cmp, s.name, int64(rd.start))
	if err != nil {
		return false
	}
	for skip := 0; skip < 64; skip++ {
		bloom, ok := s.tailBlock(rd.end(), 0, skip)
		if !ok {
			return false
		}
		props, ok := s.tailProps(bloom.end())
		if !ok {
			continue
		}
		if !s.tailIndex(props.end()) {
			return false
		}
		s.RangeDels = dels
		return true
	}
	return false
}

// tailProps decodes the properties block at p, keeping them if they
// decode with the expected comparer name.
func (s *Salvage) tailProps(p int) (walkBlock, bool) {
	pb, ok := s.tailBlock(p, 1, 0)
	if !ok {
		return walkBlock{}, false
	}
	b, err := s.decodeWalkBlock(pb)
	if err != nil {
		return walkBlock{}, false
	}
	props, err := decodeProperties(b, s.name, int64(pb.start))
	if err != nil || props.ComparerName != s.cmp.Name {
		return walkBlock{}, false
	}
	s.Props = &props
	return pb, true
}

// tailIndex decodes the index block at p and reports whether it names
// exactly the data blocks found.
func (s *Salvage) tailIndex(p int) bool {
	ib, ok := s.tailBlock(p, 4, 0)
	if !ok {
		return false
	}
	b, err := s.decodeWalkBlock(ib)
	if err != nil {
		return false
	}
	index, err := decodeIndex(b, s.name, int64(ib.start))
	if err != nil || len(index) != len(s.blocks) {
		return false
	}
	for j := range index {
		if index[j].handle != s.blocks[j].h {
			return false
		}
	}
	return true
}
