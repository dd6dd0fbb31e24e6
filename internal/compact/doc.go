// Package compact decides which compaction to run next in a leveled LSM of
// seven levels, L0 to L6, modelled on Pebble and RocksDB. It is pure: it
// reads a manifest.Version and the compactions in progress, and returns a
// Compaction (which files, from which level into which) without doing any
// I/O. The engine executes it.
//
// # Key ranges
//
// Ranges are compared logically, by the prefix of user keys
// (base.Comparer.CompareLogical): all versions of one logical key must be
// compacted together, so a file is never compacted without every file of
// its level that shares a prefix with it (manifest.Version.OverlapsAtomic).
// With base.DefaultComparer this means a user key is never split between a
// compacted and a non-compacted file.
//
// # Level shape: the dynamic base level
//
// Flushes write to L0. L0 compacts into the base level; the levels between
// L0 and the base level are empty, and each level from the base level down
// has a size target (as RocksDB's level_compaction_dynamic_level_bytes,
// Pebble's initLevelMaxBytes):
//
//   - An empty tree has base level L6: the first data goes straight to the
//     bottom.
//   - Otherwise, let first be the highest non-empty level of L1+ and
//     largest the size of the largest one. Dividing largest by the
//     multiplier once per level from L6 up to first gives the target first
//     would have if the largest level were at the bottom; while that
//     exceeds LBaseMaxBytes (and the level is below L1) the base level moves
//     up a level and the target is divided again. So the base level is the
//     lowest level whose target stays within LBaseMaxBytes, and it never
//     sits below the highest non-empty level.
//   - Targets grow by the multiplier from the base level down, and none is
//     below LBaseMaxBytes (so L1+ never crowd out L0 in scoring).
//
// As the bottom grows, the base level moves up one level each time the
// data grows by the multiplier. A level's size counts all its files.
//
// # Scores
//
// Files that are inputs of compactions in progress do not count toward a
// score:
//
//   - L0: max(idle file count / L0CompactionThreshold,
//     idle bytes / LBaseMaxBytes).
//   - Base level to L5: idle bytes / target.
//   - Levels above the base level and L6 score 0: L6 is never compacted for
//     size, only for tombstones or by hand.
//
// Pick tries the levels with a score >= 1 from the highest score (ties:
// the lower level), and moves to the next level when the best one has no
// compaction that can run.
//
// # L0 → base level
//
// L0 files may overlap each other. The candidate inputs start at the
// oldest idle L0 file and take its transitive overlap closure: every L0
// file overlapping the range the set spans, until the range stops growing.
// Moving part of the versions of a key to the base level while an older
// version stays in L0 would put the older one above the newer; the closure
// rules that out. The base level files overlapping the closure are added.
// If the closure or those files are compacting, the next oldest idle file
// seeds the next candidate. Finally the L0 inputs grow to the whole range
// the compaction spans if that adds no base level file, keeps the total
// within MaxCompactionBytes and conflicts with nothing in progress.
//
// # Intra-L0
//
// When L0 scores >= 1 but cannot compact into the base level (its files or
// the base level's are busy), the oldest run of at least four L0 files
// that are adjacent in L0 order and all idle is merged into one L0 file
// (taken from the oldest end, while within MaxCompactionBytes). Each flush
// writes a contiguous seqnum range, and each intra-L0 compaction merges a
// contiguous run, so the merged file takes the run's place in L0's
// newest-first order and no newer version ends up below an older one. (An
// executor that splits the output anyway must not split a user key: the
// pieces share the run's seqnum range, so their order in L0 is arbitrary.)
// Concurrent L0 compactions are safe by construction:
// an L0 → base compaction holds every L0 file overlapping its range, so a
// file it does not hold (and an intra-L0 merge of such files) holds no key
// in it.
//
// # Ln → Ln+1
//
// For L1 to L5, every idle file seeds a candidate: the file, its
// prefix-sharing neighbors, and the overlapping files of the next level.
// Candidates are tried by increasing overlap ratio (next-level bytes /
// own bytes: RocksDB's kMinOverlappingRatio), ties in key order; one whose
// files are compacting, or that conflicts with a compaction in progress,
// is skipped. The winner grows as for L0. Stateless (no round-robin
// cursor), so a Version and the compactions in progress determine the
// choice.
//
// # Trivial moves
//
// A score-based, tombstone-density or read-triggered compaction of one
// file with nothing to merge in the output level becomes KindMove (a
// manifest edit that changes the file's level) unless the file overlaps
// more than ten output target file sizes of the level below the output
// (then it is rewritten, split at grandparent boundaries). Manual compactions always rewrite.
//
// # Tombstone density
//
// When no score-based compaction can run, a file of L1+ whose
// DeletionCount/EntryCount reaches TombstoneDensity (and that has at least
// MinTombstoneFileEntries entries) is compacted: into the next level, or,
// when nothing below its level overlaps it, into its own level so the
// executor can drop its tombstones, which it can only do for entries every
// open snapshot sees (so such files are picked only if their LargestSeq is
// at most the oldest snapshot: PickAt). Files are tried by decreasing
// density. Entry counts come from manifest.FileMetadata; a file without
// them is never picked for density.
//
// Then L0 (pickDenseL0): the overlap closure of an idle L0 file with at
// least MinTombstoneFileEntries entries whose tombstones number at least
// TombstoneDensity times its other entries (a flush keeps the values
// tombstones delete, often in the same file) is compacted into the base
// level, never moved; a closure that would rewrite more than twice its
// size of the base level is passed over. A queue (append at the tail,
// delete at the head, seek to the head) otherwise seeks over every
// tombstone of every flush until L0 is due by count.
//
// # Read-triggered
//
// PickRead picks an L0 → base level compaction as pickL0ToBase does (kind
// KindRead, which may become a move), for an engine whose iterator seeks
// have paid enough for L0's files although L0 scores below 1. The engine
// asks for it only after PickAt found nothing (see the root package's
// read_compaction.go for when reads ask).
//
// # Delete-only: files of nothing but tombstones
//
// A file of L1+ with nothing below its level overlapping it, every entry
// of which (and of its prefix-sharing neighbors) is a tombstone, is
// removed without being read. This is safe whatever the snapshots: the
// versions its tombstones could shadow are older, so they could only be
// below it (there are none), in it (only tombstones) or in the neighbors
// taken with it (only tombstones); removing a tombstone that shadows
// nothing changes no read.
//
// # Delete-only compaction hints
//
// A file deleted wholesale by a newer range tombstone is removed by a
// manifest edit, without being read or rewritten (Pebble's delete-only
// compaction hints). PickDeleteOnly finds such files; the engine calls it
// before PickAt, so such a compaction, cheap and freeing space, runs
// first.
//
// Hints. A hint (DeleteHint) is one range tombstone [Start, End)#Seq of a
// file of the Version, named by File. The engine derives the hints from
// the range-deletion blocks of the live files (RangeDelCount > 0) each
// time it looks for a compaction: after every flush and compaction, and
// at Open, for the files already there. They are not persisted; nothing
// needs to be, since they are a function of the live files. A hint counts
// only while its file is live: so the tombstone is durable (recorded in
// the manifest; one still only in a memtable, whose WAL record may not be
// synced, could vanish in a crash and leave the deleted data missing), and
// a hint stops counting when its file is compacted away (the outputs'
// tombstones give new hints, or the tombstone was dropped at the bottom).
// The tombstone itself stays: it must go on hiding the same keys in
// memtables and other files, and goes away in the normal way when
// compacted into the bottom.
//
// Rule. Hints are fragmented (internal/rangedel), so adjacent and
// overlapping tombstones cover a file together. A file f of any level
// qualifies when it is idle and every user key of its range [Smallest,
// Largest] (Largest excluded when it is an exclusive sentinel: the file
// holds nothing at that key) lies in a fragment with a tombstone seqnum s
// such that
//
//   - f.LargestSeq < s: every entry of f is older than the tombstone, so
//     every reader that sees the tombstone sees none of f (and none of
//     what f's own entries and tombstones shadow, which is older still and
//     also covered). The tombstone's own file, and any file newer than it
//     (such as a newer L0 file), never qualifies;
//   - no open snapshot lies in [f.SmallestSeq, s): the oldest entry of f
//     and the tombstone are in the same snapshot stripe, so no snapshot
//     reads any of f without the tombstone. (A snapshot between
//     f.SmallestSeq and f.LargestSeq reads f's older entries, so the
//     oldest entry, not the newest, must share the tombstone's stripe.)
//     Snapshots below f.SmallestSeq see nothing of f; snapshots at or above
//     s see the tombstone.
//
// Keys are compared physically (base.Comparer.Compare), as tombstones
// delete user keys: a tombstone may delete some versions of a prefix and
// not others, and a file holding only the deleted ones qualifies. Files
// are removed one by one, not in atomic (prefix-sharing) groups: a removed
// file's entries are invisible to every reader, so what its neighbors
// hold reads the same.
//
// Readers that started before the tombstone committed read an older
// readState, which keeps the removed file on disk until they finish; a
// snapshot opened later reads at or above the tombstone; NewSnapshotAt
// refuses seqnums below the horizon that every compaction raises when it
// starts (the visible seqnum, at or above the tombstone).
//
// Choice. A delete-only compaction removes files of one level: the level
// with the most qualifying bytes. Its files are all the qualifying files
// of the level, unless that conflicts (Overlaps) with a compaction in
// progress: then the largest group of consecutive ones that does not. The
// engine picks again for the rest.
//
// # Concurrency
//
// A file is input to at most one compaction at a time (as a start-level or
// output-level input), and two compactions never both use an L1+ level
// with intersecting key ranges (Overlaps). Pick and PickManual return only
// compactions that respect this against the compactions in progress.
//
// # Tests
//
// testdata/*.txt are datadriven tests (see datadriven_test.go for the
// syntax); `go test ./internal/compact -rewrite` regenerates their
// expected output. TestRandomCompactions runs a simulated engine (random
// flushes, picks, and executions of the picked compactions in random
// order) and checks every read against a model; TEMPEST_COMPACT_STEPS
// raises its length. TestRandomDeleteOnly checks PickDeleteOnly on random
// LSMs with range tombstones and snapshots against a brute-force
// evaluation of the rule and against every read before and after each
// removal; TEMPEST_DELETE_ONLY_RUNS sets its number of LSMs. -seed (or
// TEMPEST_SEED) replays a run of either.
package compact
