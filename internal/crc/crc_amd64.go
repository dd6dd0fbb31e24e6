//go:build amd64 && !purego

package crc

import (
	"encoding/binary"

	"golang.org/x/sys/cpu"
)

// Carry-less multiplication (PCLMULQDQ) folds the input 64 bytes at a
// time, as in Intel's "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction", here in the bit-reflected domain of this CRC.
//
// A 16-byte chunk, read little-endian, is the reflection of a polynomial
// of degree < 128: A(z) = Ahi(z)·z^64 + Alo(z), Ahi held by its first 8
// bytes. Followed by d more bits of message, it contributes A(z)·z^d to
// the remainder, which equals Ahi·(z^(d+64) mod P) + Alo·(z^d mod P) modulo
// P: a value of degree < 128, that is, another 16-byte chunk that can be
// XORed into the chunk d bits later. The carry-less product of two
// reflected 64-bit values is the reflection of their product shifted by
// one bit, so the constants are z^(d+63) and z^(d-1) modulo P, reflected.
//
// foldCLMUL keeps four chunks in flight (d = 512) and then folds them
// into one (d = 128). The 16 bytes left equal, as a message, what the
// input contributes, so the CRC of the whole is the table CRC of those 16
// bytes from zero. The initial crc enters as an XOR into the first 8
// bytes, exactly as the table method applies it.
var foldKeys = [4]uint64{
	0xaf86efb16d9ab4fb, // z^575 mod P, reflected
	0xf49784a634f014e4, // z^511 mod P
	0xd9d7be7d505da32c, // z^191 mod P
	0x381d0015c96f4444, // z^127 mod P
}

// useCLMUL is read by update; tests switch it off to cover both paths.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

// clmulMin is the shortest input worth folding.
const clmulMin = 128

// foldCLMUL folds p, whose length is a positive multiple of 64, into one
// 16-byte chunk (lo: its first 8 bytes), with crc applied.
//
//go:noescape
func foldCLMUL(crc uint64, p []byte, k *[4]uint64) (lo, hi uint64)

func update(crc uint64, p []byte) uint64 {
	if !useCLMUL || len(p) < clmulMin {
		return updateTable(crc, p)
	}
	n := len(p) &^ 63
	lo, hi := foldCLMUL(crc, p[:n], &foldKeys)
	var chunk [16]byte
	binary.LittleEndian.PutUint64(chunk[:8], lo)
	binary.LittleEndian.PutUint64(chunk[8:], hi)
	return updateTable(updateTable(0, chunk[:]), p[n:])
}
