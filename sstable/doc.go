// Package sstable implements Tempest's sorted string tables (SSTs):
// immutable files holding a sorted run of internal keys and their values
// (point entries), and range tombstones. A Writer streams point entries in
// internal-key order into a file and collects range tombstones in any
// order; a Reader opens the file, verifies it, keeps the tombstones in
// memory and serves iterators over the point entries that load data blocks
// lazily, through a shared block cache (internal/cache) when one is
// configured.
//
// Every byte of an SST is covered by a CRC-64/Jones checksum (internal/crc):
// each block carries one in its block trailer and the footer carries its
// own. Checksums are verified whenever a block is read from the file; the
// block cache holds only verified, decoded blocks. All integers are
// little-endian.
//
// # File layout (format version 4)
//
//	+--------------+-----+--------------+-----------------+-------------+------------------+-------------+--------+
//	| data block 0 | ... | data block N | range-del block | bloom block | properties block | index block | footer |
//	+--------------+-----+--------------+-----------------+-------------+------------------+-------------+--------+
//
// Each block is immediately followed by its 9-byte block trailer, so the
// blocks and the footer tile the file with no gaps: data block 0 starts at
// offset 0, every block starts where the previous block's trailer ends, and
// the footer takes the last 84 bytes. A table with no point entries has no
// data blocks; the other four blocks are always present.
//
// Versions differ as follows: 4 adds the table's file number to the
// properties block; 3 has a blocked bloom filter instead of 2's seeded one.
// Versions 2 and 3 are still read, not written. Version 1 (no
// range-deletion block, a 72-byte footer) is not read.
//
// # Tables written for ingest
//
// A table meant to be added to a DB from outside it (by an ingest) is written
// with Writer.Set, Writer.Delete and Writer.DeleteRange, which take user
// keys: only the DB assigns seqnums. Its format is the one below; what
// marks it is that every point entry and range tombstone has seqnum zero,
// and its seqnum range is [0, 0]. The DB gives the whole file one seqnum
// when it ingests it and records that seqnum in its manifest (the file is
// not rewritten), and reads apply it in place of the stored zeros. So each
// user key appears at most once among the point entries, which strictly
// increase in the Comparer's order, and the range tombstones do not
// overlap each other (adjacent ones may touch). Once the file's seqnum is
// applied, its tombstones delete older entries of the DB, not the file's
// own point entries, which share their seqnum. A Writer takes either these
// calls or Add and AddRangeDel (internal keys with their seqnums), never
// both. Outside the module, WriterOptions.Comparer and
// ReaderOptions.Comparer take the root package's Comparer
// (tempest.DefaultComparer, tempest.FixedSuffixComparer), an alias of the
// internal type.
//
// A Reader (or Salvage) opened with ReaderOptions.GlobalSeqNum reads such
// a table at that seqnum (the global seqnum, as Pebble calls it): every
// key its iterators return, every range tombstone and the bounds of its
// Properties carry it in place of zero; a seek compares with the keys as
// read. Open refuses, as corruption, a table holding any other seqnum
// than zero. The bytes stay as written: VerifyChecksums and FileChecksum
// check them, at zero.
//
// # Whole-file checksum
//
// The Writer also returns the XXH3-64 (seed 0) of the whole file
// (Meta.Checksum), which a DB records in its manifest and checks against
// the file (Reader.FileChecksum). It is not CRC-64/Jones: each block and
// the footer end with the CRC-64/Jones of the bytes before it, which makes
// the CRC-64/Jones of every well-formed table zero.
//
// # Block trailer (9 bytes)
//
//	offset  size  field
//	0       1     compression: 0 = none, 1 = snappy, 2 = zstd; any other
//	              value is corruption
//	1       8     crc64 u64: CRC-64/Jones of the stored block bytes
//	              followed by the compression byte
//
// A block handle (offset u64, size u32) names a block's stored bytes,
// without the trailer: the trailer occupies [offset+size, offset+size+9).
//
// # Block compression
//
// Every block is stored raw (compression 0) or compressed. The layouts
// below describe decoded blocks; a compressed block is stored as:
//
//	snappy (1)  the Snappy block format, which begins with the decoded
//	            length as a uvarint
//	zstd (2)    decoded length uvarint | one zstd frame (no zstd checksum)
//
// The writer compresses the data, range-deletion, properties and index
// blocks with WriterOptions.Compression, and keeps a block's compressed
// form only if it is at most 7/8 of the decoded size (a saving of at least
// 12.5%) and the decoded size is at most MaxBlockSize; otherwise the block
// is stored raw. It always stores the bloom block raw. Readers accept any block in
// any of the three forms.
//
// A reader verifies the checksum over the stored bytes before it looks at
// the compression byte, then rejects a decoded length above MaxBlockSize,
// decodes into a buffer of exactly the decoded length, and requires the
// codec to fill it exactly. Any failure is corruption.
//
// # Data block
//
//	+---------+-----+---------+------------------+---------------------+-------------------+
//	| entry 0 | ... | entry M | restart 0 (u32)  | ... restart R-1 ... | restart count u32 |
//	+---------+-----+---------+------------------+---------------------+-------------------+
//
// Each entry is:
//
//	+----------------+------------------+-------------------+--------------------+-------------+-------+
//	| shared uvarint | unshared uvarint | value_len uvarint | unshared key bytes | trailer u64 | value |
//	+----------------+------------------+-------------------+--------------------+-------------+-------+
//
// The three lengths are unsigned LEB128 varints (encoding/binary Uvarint),
// not the fixed u32 fields of the 0.0.1 layout. The user key is
// prefix-compressed against the previous entry's user key: the entry stores
// only the bytes after the first `shared` bytes it has in common with it.
// The trailer (seqnum<<8 | kind) is never compressed. Every RestartInterval
// entries, starting with entry 0, a restart point begins: its entry has
// shared = 0 and its offset from the start of the block is recorded in the
// restart array. A data block holds at least one entry; restart 0 is 0 and
// restarts are strictly increasing. A block is cut once its encoded size
// (entries plus restart array plus count) reaches BlockSize, checked after
// each entry, so blocks are at least BlockSize bytes except the last.
//
// # Range-deletion block
//
// The table's range tombstones. A tombstone {start, end, seq} deletes every
// entry whose user key k has start <= k < end (Comparer.Compare) and whose
// seqnum is below seq; it may cover keys of this table and of older tables.
//
//	count    uvarint
//	then count tombstones, each:
//	start    len uvarint | user key bytes
//	end      len uvarint | user key bytes
//	seq      u64   at most 2^56-1
//
// Every tombstone has start < end. Tombstones are sorted by start
// ascending, then seq descending, then end ascending; equal tombstones may
// repeat. They may overlap. No bytes follow the last tombstone. A table
// without tombstones stores the single byte 0 (count 0). Open decodes and
// verifies the whole block and keeps it in memory.
//
// # Bloom block
//
// The bit array of a bloom filter, ceil(m/8) bytes, where m (bits) and k
// (probes) are stored in the footer; bit b is 1<<(b mod 8) in byte b/8.
// The keys inserted are the comparer prefixes (Comparer.Prefix) of the
// user keys, each run of equal consecutive prefixes once. Range tombstones
// are not in the filter. m is ceil(-n ln p / (ln 2)^2) and k = ceil(m/n
// ln 2), for n keys and false-positive rate p, with k capped at 64. m = k
// = 0 (and an empty block) when the filter is disabled or the table is
// empty; such a table answers every prefix query with "maybe" if it has
// point entries and "no" if it has none.
//
// Version 3 (blocked): m is rounded up to a multiple of 512, and the array
// is m/512 blocks of 64 bytes (one cache line). For h = xxh3.Hash(p), the
// block is B = ((h >> 32) * (m/512)) >> 32; with h1 = uint32(h) and
// delta = h1 rotated right by 17 bits, probe i (i in [0, k)) is bit
// 512·B + (h1 + i·delta mod 2^32) mod 512. p is in the filter when all k
// bits are set. At 10 bits per key this gives about 1% false positives for
// one hash and one cache line per query.
//
// Version 2 (seeded): p is in the filter when, for every i in [0, k), bit
// xxh3.HashSeed(p, i) mod m is set. Still read; no longer written.
//
// # Properties block
//
// A sequence of fields, each a uvarint or a uvarint length followed by that
// many bytes, in this order, with no trailing bytes:
//
//	comparer name        len | bytes
//	entry count          uvarint   point entries
//	deletion count       uvarint   point entries of kind DEL
//	range deletion count uvarint   tombstones in the range-deletion block
//	smallest key         len | user key | trailer u64   (len 0: table is empty)
//	largest key          len | user key | trailer u64   (len 0: table is empty)
//	smallest seqnum      uvarint   over entries and tombstones; 0 when empty
//	largest seqnum       uvarint   over entries and tombstones; 0 when empty
//	raw key size         uvarint   sum of len(user key)+8 over point entries
//	raw value size       uvarint   sum of len(value) over point entries
//	data block count     uvarint
//	format version       uvarint   equal to the footer's
//	file number          uvarint   version 4 and later: the number of the
//	                               file the table was written as
//
// A table is empty when it has neither point entries nor tombstones. The
// smallest and largest keys bound everything the table holds, in
// internal-key order (user key ascending, seqnum descending; the kind takes
// no part):
//
//	smallest = min(first point entry's key, start#seq,RANGEDEL of the first tombstone)
//	largest  = max(last point entry's key, end#(2^56-1),RANGEDEL for the greatest end)
//
// where a missing operand (no point entries, no tombstones) is left out
// and a tie keeps the point entry's key. A largest key with seqnum 2^56-1
// and kind RANGEDEL (2) is an exclusive sentinel: the table holds nothing
// at or after its user key, which is the end of a tombstone. The seqnum
// range excludes the sentinel's seqnum.
//
// # Index block
//
//	+---------+-----+-----------+---------------------+-----+-----------------+
//	| entry 0 | ... | entry N   | entry offset 0 u32  | ... | entry count u32 |
//	+---------+-----+-----------+---------------------+-----+-----------------+
//
// One entry per data block, in file order:
//
//	offset  size     field
//	0       4        key_len u32: length of the user key below
//	4       8        block_offset u64  } the data block's handle
//	12      4        block_size u32    }
//	16      key_len  the block's last user key
//	16+len  8        that key's trailer u64
//
// The entry offsets (relative to the start of the block) are followed by
// the entry count. Entries are contiguous, their keys strictly increase in
// internal-key order, and the handles tile [0, range-del offset) in
// order. A lookup for key k binary-searches for the first entry whose
// internal key is >= k: only that block can hold the first entry >= k. A
// table without point entries has an index of 4 bytes (count 0).
//
// # Footer (84 bytes, at the end of the file)
//
//	offset  size  field
//	0       8     magic "TMPS_SST"
//	8       8     range-deletion block offset u64
//	16      4     range-deletion block size u32
//	20      8     bloom block offset u64
//	28      4     bloom block size u32
//	32      8     bloom k u64: number of hash functions
//	40      8     bloom m u64: number of bits
//	48      8     properties block offset u64
//	56      4     properties block size u32
//	60      8     index block offset u64
//	68      4     index block size u32
//	72      4     format version u32 (4; 2 and 3 are still read)
//	76      8     crc64 u64 of footer bytes [0, 76)
//
// Open checks, in order: the magic ("bad magic"), the format version
// ("unsupported format version"), the footer checksum, that the handles
// tile the file as described above, every non-data block's checksum and
// encoding, and that the properties agree with the index and the
// tombstones (counts, largest key, seqnum range). VerifyChecksums also
// reads the data blocks and checks the counts, the smallest key and the
// seqnum range against them. Every failure on persisted bytes returns an
// error matching base.ErrCorruption that names the file and the offset.
//
// # What a damaged table still gives (Salvage)
//
// Each block is checksummed on its own, so damage is confined to the
// blocks it touches. With a valid footer and index, every undamaged data
// block is read, and a damaged one loses exactly its entries: those after
// the previous index key, up to its own. Without a usable index (or
// footer), the blocks are still found, because they tile the file from
// offset 0 and each is followed by a trailer whose checksum covers it: the
// first offset after a block's start where the next 9 bytes are a valid
// trailer for the bytes before them ends the block. A damaged block has no
// matching trailer, and nothing in the format marks where the next block
// starts, so without an index the blocks after a damaged one are lost. A
// block of zeros followed by a trailer of zeros checksums correctly (the
// CRC of zeros is zero), so found blocks must also decode, and data
// blocks are never all zeros. Without a footer, the range-deletion,
// bloom, properties and index blocks are recognized after the data
// blocks by their order and encoding; an index naming exactly the data
// blocks found proves that none was lost.
package sstable
