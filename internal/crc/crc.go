// Package crc implements CRC-64/Jones as used by Redis and by the
// tempest-kv file formats: reflected polynomial 0x95AC9329AC4BC9B5 (normal
// form 0xAD93D23594C935A9), initial value 0, no final xor.
//
// The standard library's hash/crc64 inverts the register before and after,
// so it computes a different function; do not substitute it.
//
// Check value: Checksum([]byte("123456789")) == 0xe9c6d914c4b8d9ca.
package crc

import "encoding/binary"

// Poly is the reflected CRC-64/Jones polynomial, the one definition of it.
const Poly = 0x95AC9329AC4BC9B5

// tables[0] is the classic byte table; tables[1..7] drive slicing-by-8.
var tables = makeTables()

func makeTables() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := 0; i < 256; i++ {
		c := uint64(i)
		for j := 0; j < 8; j++ {
			if c&1 == 1 {
				c = c>>1 ^ Poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := 0; i < 256; i++ {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// Update extends crc with p.
func Update(crc uint64, p []byte) uint64 { return update(crc, p) }

// updateTable is Update by slicing-by-8 tables, on every platform.
func updateTable(crc uint64, p []byte) uint64 {
	t := tables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

// Checksum returns the CRC-64/Jones of p.
func Checksum(p []byte) uint64 { return Update(0, p) }
