// Package record is the one record framing of Tempest's logs, the WAL
// (package wal) and the journal under the manifest (package journal), and
// the one classifier that tells a torn tail from corruption when a record
// does not read. Each log keeps its own file header above the records;
// the records and their recovery rules are these.
//
// # Record
//
// All integers are little-endian.
//
//	+-----------+-----------+----------+-------------+-------------------+
//	| crc  u64  | len  u32  | type u8  | synced u64  | payload, len bytes|
//	+-----------+-----------+----------+-------------+-------------------+
//	0           8           12         13            21
//
// The fields:
//
//   - crc: CRC-64/Jones (package internal/crc) started from the file's
//     Seed and run over bytes 8 to the end of the payload: len, type,
//     synced and payload. Covering the length and type means a damaged
//     length cannot send the reader to a wrong boundary undetected.
//   - Seed: the CRC-64/Jones of the file's 8-byte magic followed by its
//     file number (u64), so a record copied from another file, or left in
//     a reused block by an older file, does not read in this one. Seed 0
//     (Unseeded) is the plain CRC of the record's bytes: the framing of
//     WALs written below format version 6, read and written through the
//     same code.
//   - len: payload size, at most 4 GiB - 1.
//   - type: TypeData (1) or TypeEnd (2). Type 0 is never written: the
//     CRC-64/Jones of zeros from register 0 is zero, so without this rule
//     a zero-filled region would parse as a valid unseeded record.
//   - synced: the file offset up to which every record was durable
//     (fsynced) when this one was written. It never decreases from one
//     record to the next and never exceeds the record's own offset; before
//     the first sync it is the offset of the first record (the file
//     header's size). A log that fsyncs every record before writing the
//     next (the journal) writes the record's own offset.
//   - An end record (TypeEnd) closes the file: its synced field is its own
//     offset (the writer fsynced everything before it), and nothing is
//     ever written after it. Its payload belongs to the log (the WAL names
//     the next log in it).
//
// # Torn or corrupt
//
// A write that was not fsynced may be lost in a crash, and the disk
// persists blocks in any order, so an unsynced record can be lost while a
// later unsynced one survives. Reading therefore cannot call everything
// after the first bad record a torn tail: that would also drop records
// that were durable and were damaged later (bit rot, a bad sector), which
// must be reported. Scan applies these rules, in this order:
//
//  1. Records are read from the file's first record offset. A record is
//     invalid if fewer than HeaderSize bytes remain (short), its type is
//     0 (zero type), its length runs past the end of the file (past EOF),
//     or its crc does not match (checksum).
//  2. At the first invalid record, at offset X, every byte offset p > X is
//     tried for a valid record whose type is defined and whose synced
//     offset s has X < s <= p. If one exists, the file was durable past X
//     when it was written, so the record at X had been durable and went
//     bad: corruption (base.ErrCorruption naming the file and X). If none
//     does, X starts a torn tail: it is dropped without error and the
//     caller keeps exactly the records before X (the prefix property).
//  3. A record whose crc matches is trusted as written: an undefined type,
//     a synced offset outside [previous synced, own offset], an end
//     record whose synced offset is not its own, or any byte after an end
//     record, is corruption at that record.
//  4. The end of the data exactly at a record boundary ends the scan
//     without a torn tail.
//
// Byte offsets are tried in rule 2, not only record boundaries, because
// the length field at X may be the damaged part. Only candidates whose type
// byte is defined and whose synced field lies in (X, p] get a crc check,
// so zeroed or random bytes are rejected after a few loads each.
//
// What the bytes cannot show: a file cut exactly at a record boundary, or
// cut or zeroed from some offset to its end, reads like the file of a
// process that crashed there. The logs close that gap with what they
// record elsewhere (the WAL's final size and checksum in the manifest).
//
// NextValid is the resynchronization salvage tools use to skip a damaged
// range: the next offset holding a valid record of a defined type whose
// synced field lies in [first record offset, own offset].
package record
