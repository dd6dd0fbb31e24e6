// Package blob is the blob file format: the values key–value separation
// moves out of SSTs, one checksummed, optionally compressed block per
// value, then a footer.
//
// Layout of a blob file (docs/format.md has the table):
//
//	block*  footer
//	block:  stored bytes | compression (1 byte) | CRC-64/Jones (8 bytes, LE)
//	        of the stored bytes and the compression byte
//	footer: block count (u64) | value bytes (u64, decoded) |
//	        format version (u32) | reserved (u32, 0) |
//	        CRC-64/Jones of the 24 bytes before it (u64) | magic (u64)
//
// A Handle names one value: the blob file, the block's offset, its stored
// length, the value's decoded length, and the value's first PrefixLen
// bytes, which visibility filters read without opening the file. An SST
// holds a handle, encoded by Handle.Append, as the value of an entry of
// kind base.KindBlobValue.
//
// The package is a format package: it never imports the root package.
package blob
