package journal

import "github.com/tempestdb/tempest/internal/crc"

// CRC-64/Jones (initial value 0, no final xor) is linear over GF(2):
//
//	crc(A || B) = shift(crc(A), len(B)) XOR crc(B)
//
// where shift(c, n) multiplies c by x^(8n) modulo the polynomial
// (crc.Shift). With
// prefix checksums P[k] = crc(data[:k]) this gives the checksum of any range:
//
//	crc(data[a:b]) = P[b] XOR shift(P[a], b-a)
//
// crcRanger keeps P at every crcCheckpoint-th offset, so a range checksum
// costs at most 2*crcCheckpoint bytes of CRC plus one shift, however long the
// range. The scan for a valid frame after a damaged one checks a candidate at
// every byte offset; without this, garbage lengths would make it quadratic.
// It serves the reader of the legacy framing only (findValidFrame); files
// of the record framing are classified by package internal/record, whose
// type and synced-offset filters reject almost every candidate before its
// checksum.

// crcShift is crc.Shift for the journal's unsigned offsets.
func crcShift(c uint64, n uint64) uint64 { return crc.Shift(c, int64(n)) }

// crcCheckpoint is the spacing of the stored prefix checksums.
const crcCheckpoint = 1024

// crcRanger computes checksums of ranges of data.
type crcRanger struct {
	data []byte
	cp   []uint64 // cp[i] = crc(data[:i*crcCheckpoint])
}

func newCRCRanger(data []byte) *crcRanger {
	r := &crcRanger{data: data, cp: make([]uint64, 0, len(data)/crcCheckpoint+1)}
	var c uint64
	for i := 0; ; i += crcCheckpoint {
		r.cp = append(r.cp, c)
		if i+crcCheckpoint > len(data) {
			break
		}
		c = crc.Update(c, data[i:i+crcCheckpoint])
	}
	return r
}

// prefix returns crc(data[:k]).
func (r *crcRanger) prefix(k int) uint64 {
	i := k / crcCheckpoint
	return crc.Update(r.cp[i], r.data[i*crcCheckpoint:k])
}

// rangeSum returns crc(data[a:b]) for 0 <= a <= b <= len(data).
func (r *crcRanger) rangeSum(a, b int) uint64 {
	if b-a <= 2*crcCheckpoint {
		return crc.Checksum(r.data[a:b])
	}
	return r.prefix(b) ^ crcShift(r.prefix(a), uint64(b-a))
}
