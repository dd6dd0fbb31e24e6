package crc

// Combining. The CRC starts from its register and has no final xor, so it
// is linear: Update(c, B) = c·z^(8·len(B)) mod P  XOR  Update(0, B), the
// product taken in the register's bit-reflected domain (bit 63 holds the
// coefficient of z^0). Combine computes the first term by multiplying
// with z^(8·len(B)) mod P, built from a table of z^(2^k) mod P by
// squaring, as zlib's crc32_combine does: a few thousand shifts, whatever
// the length, in place of a pass over B.

// x2k[k] is z^(2^k) mod P, reflected; lengths in bytes are below 2^63,
// so a shift by 8·n bits needs the powers up to 2^66.
var x2k = makeX2k()

func makeX2k() *[67]uint64 {
	var t [67]uint64
	p := uint64(1) << 62 // z^1
	for k := range t {
		t[k] = p
		p = mulMod(p, p)
	}
	return &t
}

// mulMod returns a·b mod P, both reflected.
func mulMod(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << 63; m != 0 && a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a ^= m
		}
		if b&1 != 0 {
			b = b>>1 ^ Poly
		} else {
			b >>= 1
		}
	}
	return p
}

// Shift returns c·z^(8n) mod P: the register c after n zero bytes, so
// that Update(c, B) = Shift(c, len(B)) ^ Update(0, B). n must not be
// negative.
func Shift(c uint64, n int64) uint64 {
	for k := 3; n != 0 && c != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			c = mulMod(x2k[k], c)
		}
	}
	return c
}

// Combine returns Update(c, B) from crcB = Update(0, B) and n = len(B),
// without B: the checksum of A followed by B, for c the checksum of A
// (from any register). n must not be negative.
func Combine(c, crcB uint64, n int64) uint64 { return Shift(c, n) ^ crcB }
