package sstable

import "github.com/zeebo/xxh3"

// The whole-file checksum of a table is the XXH3-64 (seed 0) of all its
// bytes. The Writer computes it as it writes (Meta.Checksum) and a DB
// records it in its manifest; FileChecksum recomputes it from the file.
//
// It is not CRC-64/Jones, the checksum of the blocks: every block and the
// footer end with the CRC-64/Jones of the bytes before it, stored in the
// byte order that makes the CRC of a message followed by its own CRC zero.
// A CRC with a zero initial value and no final xor is linear, so the
// CRC-64/Jones of every well-formed table is zero, and any other initial
// value or final xor gives a value that depends only on the length: it
// could not tell two tables apart.

// fileHasher accumulates the whole-file checksum. The zero value is ready.
type fileHasher struct{ h xxh3.Hasher }

func (f *fileHasher) write(p []byte) { _, _ = f.h.Write(p) }

func (f *fileHasher) sum() uint64 { return f.h.Sum64() }

// FileChecksum reads the whole table, front to back, and returns its
// whole-file checksum, to be compared with the one its writer returned
// (Meta.Checksum). A file shorter than the size it was opened with gives
// an error matching base.ErrCorruption.
func (r *Reader) FileChecksum() (uint64, error) {
	bp := writeBufs.get(writeBufSize, writeBufSize)
	defer writeBufs.put(bp)
	buf := *bp
	var h fileHasher
	for off := int64(0); off < r.size; {
		n := min(int64(len(buf)), r.size-off)
		if err := r.readAt(buf[:n], off); err != nil {
			return 0, err
		}
		h.write(buf[:n])
		off += n
	}
	return h.sum(), nil
}
