package tempest

import (
	"fmt"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/compact"
	"github.com/tempestdb/tempest/internal/manifest"
)

// NumLevels is the number of LSM levels (L0 to L6).
const NumLevels = manifest.NumLevels

// LevelMetrics describes one level of the LSM.
type LevelMetrics struct {
	Files int
	Bytes uint64
	// Score is how urgently the level needs compaction (>= 1: it does).
	Score float64
	// BytesIn and BytesWritten count bytes read into and written by
	// compactions and flushes targeting this level.
	BytesIn      uint64
	BytesWritten uint64
}

// Metrics is a point-in-time report of the DB's state and activity.
type Metrics struct {
	Levels [NumLevels]LevelMetrics

	MemTables struct {
		Count     int    // active + frozen
		Bytes     uint64 // arena bytes in use
		Immutable int    // frozen, awaiting flush
	}
	WAL struct {
		Files   int
		Records uint64 // batches written
		Syncs   uint64 // fsyncs
		Bytes   uint64 // bytes written since open
	}
	Flushes     uint64
	Compactions uint64
	// ReadCompactions counts the compactions started because iterator
	// seeks paid for L0's files (see read_compaction.go), included in
	// Compactions.
	ReadCompactions uint64
	// CompactionsInProgress is the number of compactions running now,
	// counting one that has installed its result until it has scheduled
	// the compactions that follow it: 0 means that nothing runs and
	// nothing is about to start, unless new writes or reads call for it.
	CompactionsInProgress int
	// CompactionDebt estimates the bytes compactions must still rewrite to
	// bring every level within its target size.
	CompactionDebt uint64
	// BaseLevel is the level L0 compacts into.
	BaseLevel int
	// WriteStalls counts the waits of writers stopped until a flush or
	// compaction (too many frozen memtables, L0 files, or compaction debt);
	// WriteStallDuration is their total length.
	WriteStalls        uint64
	WriteStallDuration time.Duration
	// WriteSlowdowns counts the delays imposed on writers because L0 or
	// the compaction debt is over its slowdown threshold;
	// WriteSlowdownDuration is their total length.
	WriteSlowdowns        uint64
	WriteSlowdownDuration time.Duration
	// WriteAmp is bytes written to SSTs (flushes and compactions) per byte
	// written to the WAL. ReadAmp is the number of sorted runs a read may
	// consult (memtables, L0 files, non-empty levels). SpaceAmp is the
	// bytes of all SSTs per byte of the bottom non-empty level.
	WriteAmp, SpaceAmp float64
	ReadAmp            int
	// Cache reports the block cache (shared caches report their total).
	Cache CacheMetrics
	// MemoryBytes is the engine's memory: memtable arenas plus the block
	// cache's current size.
	MemoryBytes int64
	// ObsoleteTablesDeleted counts SSTs deleted after compactions.
	ObsoleteTablesDeleted uint64
	// OpenTables is the number of SST readers (file descriptors) open
	// now; see Options.MaxOpenFiles.
	OpenTables int
	// UnknownFiles is the number of files Open found in the database's
	// directories and left in place, unknown (see EventListener.UnknownFile).
	UnknownFiles int
	// VisibleSeqNum is the highest sequence number readers see.
	VisibleSeqNum uint64
	// Snapshots is the number of open snapshots.
	Snapshots int
	// Blobs reports the blob files of separated values (see
	// Options.ValueSeparationThreshold).
	Blobs BlobMetrics
}

// BlobMetrics reports the live blob files.
type BlobMetrics struct {
	// Files and Bytes are the live blob files and their total size.
	Files int
	Bytes uint64
	// ValueBytes is the decoded length of every value written to them,
	// LiveBytes that of the values live SSTs still name: the rest is
	// garbage that rewriting (Options.BlobGCThreshold) reclaims.
	ValueBytes, LiveBytes uint64
	// ObsoleteDeleted counts blob files deleted once no SST named them.
	ObsoleteDeleted uint64
}

// Metrics returns the current metrics. It returns the zero Metrics after
// Close.
func (d *DB) Metrics() Metrics {
	var m Metrics
	if d.closed.Load() {
		return m
	}
	d.mu.Lock()
	// A reference: the readState's memtables are read below, after d.mu
	// is released, when a flush may have freed them otherwise.
	rs := d.refReadStateLocked()
	defer rs.unref()
	m.VisibleSeqNum = d.visibleSeq.Load()
	m.MemTables.Immutable = len(d.mu.imms)
	m.CompactionsInProgress = len(d.mu.compactions) + d.mu.finishing
	for s := d.mu.snapshots.root.next; s != &d.mu.snapshots.root; s = s.next {
		m.Snapshots++
	}
	d.mu.Unlock()
	for _, mt := range rs.mems {
		m.MemTables.Count++
		m.MemTables.Bytes += mt.Size()
	}
	m.WAL.Files = m.MemTables.Count
	info := d.picker.Info(rs.version, nil)
	m.BaseLevel = info.BaseLevel
	m.CompactionDebt = compactionDebt(info)
	var written, total, bottom uint64
	m.ReadAmp = m.MemTables.Count + len(rs.version.Levels[0])
	for level, files := range rs.version.Levels {
		l := &m.Levels[level]
		l.Files = len(files)
		for _, f := range files {
			l.Bytes += f.Size
		}
		l.Score = info.Scores[level]
		l.BytesIn = d.levelStats[level].bytesIn.Load()
		l.BytesWritten = d.levelStats[level].bytesWritten.Load()
		written += l.BytesWritten
		total += l.Bytes
		if l.Bytes > 0 {
			bottom = l.Bytes
			if level > 0 {
				m.ReadAmp++
			}
		}
	}
	if bottom > 0 {
		m.SpaceAmp = float64(total) / float64(bottom)
	}
	st := d.walStats()
	if st.bytes > 0 {
		m.WriteAmp = float64(written) / float64(st.bytes)
	}
	m.Cache = d.cache.Metrics()
	for _, mt := range rs.mems {
		if mt.unreserve == nil { // a charged memtable is in Cache.Size
			m.MemoryBytes += int64(mt.Footprint())
		}
	}
	m.MemoryBytes += m.Cache.Size
	m.Compactions = d.counters.compactions.Load()
	m.ReadCompactions = d.counters.readCompactions.Load()
	m.ObsoleteTablesDeleted = d.counters.tablesDeleted.Load()
	m.Blobs = d.blobMetrics()
	m.OpenTables = d.tables.openTables()
	m.UnknownFiles = int(d.counters.unknownFiles.Load())
	m.WriteStallDuration = time.Duration(d.counters.stallNanos.Load())
	m.WAL.Records, m.WAL.Syncs, m.WAL.Bytes = st.records, st.syncs, st.bytes
	m.Flushes = d.counters.flushes.Load()
	m.WriteStalls = d.counters.stalls.Load()
	m.WriteSlowdowns = d.slow.count.Load()
	m.WriteSlowdownDuration = time.Duration(d.slow.nanos.Load())
	return m
}

// String formats the metrics as a per-level table.
func (m Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "level | files |      bytes | score |       in |  written\n")
	fmt.Fprintf(&b, "------+-------+------------+-------+----------+---------\n")
	var files int
	var bytes uint64
	for i, l := range m.Levels {
		fmt.Fprintf(&b, "  L%d  | %5d | %10s | %5.2f | %8s | %8s\n", i, l.Files, humanBytes(l.Bytes), l.Score,
			humanBytes(l.BytesIn), humanBytes(l.BytesWritten))
		files += l.Files
		bytes += l.Bytes
	}
	fmt.Fprintf(&b, "total | %5d | %10s |\n", files, humanBytes(bytes))
	fmt.Fprintf(&b, "amplification: write %.2f, read %d, space %.2f; base level L%d; compaction debt %s\n",
		m.WriteAmp, m.ReadAmp, m.SpaceAmp, m.BaseLevel, humanBytes(m.CompactionDebt))
	fmt.Fprintf(&b, "cache: %s of %s, %d hits, %d misses; engine memory %s\n",
		humanBytes(uint64(m.Cache.Size)), humanBytes(uint64(m.Cache.Capacity)), m.Cache.Hits, m.Cache.Misses,
		humanBytes(uint64(m.MemoryBytes)))
	fmt.Fprintf(&b, "compactions: %d (%d running, %d read-triggered), obsolete tables deleted: %d, open tables: %d\n",
		m.Compactions, m.CompactionsInProgress, m.ReadCompactions, m.ObsoleteTablesDeleted, m.OpenTables)
	fmt.Fprintf(&b, "memtables: %d (%d frozen), %s\n", m.MemTables.Count, m.MemTables.Immutable, humanBytes(m.MemTables.Bytes))
	fmt.Fprintf(&b, "wal: %d files, %d records, %d fsyncs\n", m.WAL.Files, m.WAL.Records, m.WAL.Syncs)
	fmt.Fprintf(&b, "flushes: %d, write stalls: %d (%v), write slowdowns: %d (%v), snapshots: %d, visible seqnum: %d\n",
		m.Flushes, m.WriteStalls, m.WriteStallDuration, m.WriteSlowdowns, m.WriteSlowdownDuration,
		m.Snapshots, m.VisibleSeqNum)
	return b.String()
}

// compactionDebt estimates the bytes compactions must still rewrite: all
// of L0, plus the bytes by which each level from L1 to the one above the
// bottom exceeds its target size.
func compactionDebt(info compact.LevelInfo) uint64 {
	debt := info.Bytes[0]
	for level := 1; level < NumLevels-1; level++ {
		if target := info.MaxBytes[level]; target > 0 && info.Bytes[level] > target {
			debt += info.Bytes[level] - target
		}
	}
	return debt
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
