// Package blob is the blob file format: the values key–value separation
// moves out of SSTs (format version 5 and later).
//
// A flush moves every value of at least Options.ValueSeparationThreshold
// bytes (default 1 KiB) to a new blob file, sst/NNNNNN.blob, numbered from
// the same sequence as SSTs; the SST holds, in its place, an entry of kind
// 4 (BLOB) whose value is a handle. The WAL still carries whole values.
// Compactions move handles as they are, or copy the values of a blob file
// whose live fraction is low to a new blob file. Blob files are never
// modified once written.
//
// ### File layout
//
//	block*  footer
//
// One block per value, in the order written:
//
//	stored bytes   the value, raw or Snappy-compressed
//	compression    u8: 0 raw, 1 Snappy (used when it saves at least 1/8)
//	checksum       u64: CRC-64/Jones of the stored bytes and the
//	               compression byte, from the initial value
//	               offset^0xb10b (the block's file offset): a zeroed
//	               block never checks, nor a block read at another offset
//
// The footer, the last 40 bytes:
//
//	block count    u64
//	value bytes    u64: the decoded length of every value in the file
//	format         u32: the blob file format version, 1
//	reserved       u32: 0
//	checksum       u64: CRC-64/Jones of the 24 bytes before it
//	magic          u64: 0x626c6f6274656d70
//
// A file whose size differs from the size the manifest records (tag 18),
// whose footer does not check, or a block whose checksum, compression or
// decoded length does not match its handle, is corruption (ErrCorruption,
// naming the file and the offset).
//
// ### Handles
//
// The value of a BLOB entry in an SST:
//
//	file number    uvarint: the blob file
//	offset         uvarint: of the block's stored bytes
//	length         uvarint: of the stored bytes (without the 9 bytes of
//	               compression and checksum)
//	value length   uvarint: the decoded length
//	prefix         the value's first min(8, value length) bytes, to the
//	               end of the handle
//
// The prefix is what a visibility filter is shown of a separated value
// (TTLFilter reads its timestamp there), so that a compaction never reads
// a blob file to decide whether to keep an entry; reads show the filter
// the same bytes. The value length answers Iterator.ValueLen without a
// read.
//
// The package is a format package: it never imports the root package.
package blob
