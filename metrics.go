package tempest

import (
	"fmt"
	"strings"

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
	Flushes uint64
	// WriteStalls counts the times a writer waited for a flush.
	WriteStalls uint64
	// VisibleSeqNum is the highest sequence number readers see.
	VisibleSeqNum uint64
	// Snapshots is the number of open snapshots.
	Snapshots int
}

// Metrics returns the current metrics. It returns the zero Metrics after
// Close.
func (d *DB) Metrics() Metrics {
	var m Metrics
	if d.closed.Load() {
		return m
	}
	d.mu.Lock()
	rs := d.mu.readState
	m.MemTables.Immutable = len(d.mu.imms)
	for s := d.mu.snapshots.root.next; s != &d.mu.snapshots.root; s = s.next {
		m.Snapshots++
	}
	d.mu.Unlock()
	for _, mt := range rs.mems {
		m.MemTables.Count++
		m.MemTables.Bytes += mt.Size()
	}
	m.WAL.Files = m.MemTables.Count
	for level, files := range rs.version.Levels {
		l := &m.Levels[level]
		l.Files = len(files)
		for _, f := range files {
			l.Bytes += f.Size
		}
	}
	st := d.walStats()
	m.WAL.Records, m.WAL.Syncs, m.WAL.Bytes = st.records, st.syncs, st.bytes
	m.Flushes = d.counters.flushes.Load()
	m.WriteStalls = d.counters.stalls.Load()
	m.VisibleSeqNum = d.visibleSeq.Load()
	return m
}

// String formats the metrics as a per-level table.
func (m Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "level | files |      bytes | score\n")
	fmt.Fprintf(&b, "------+-------+------------+------\n")
	var files int
	var bytes uint64
	for i, l := range m.Levels {
		fmt.Fprintf(&b, "  L%d  | %5d | %10s | %5.2f\n", i, l.Files, humanBytes(l.Bytes), l.Score)
		files += l.Files
		bytes += l.Bytes
	}
	fmt.Fprintf(&b, "total | %5d | %10s |\n", files, humanBytes(bytes))
	fmt.Fprintf(&b, "memtables: %d (%d frozen), %s\n", m.MemTables.Count, m.MemTables.Immutable, humanBytes(m.MemTables.Bytes))
	fmt.Fprintf(&b, "wal: %d files, %d records, %d fsyncs\n", m.WAL.Files, m.WAL.Records, m.WAL.Syncs)
	fmt.Fprintf(&b, "flushes: %d, write stalls: %d, snapshots: %d, visible seqnum: %d\n",
		m.Flushes, m.WriteStalls, m.Snapshots, m.VisibleSeqNum)
	return b.String()
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
