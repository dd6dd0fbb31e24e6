// Package prometheus exports a Tempest DB's metrics to Prometheus. It is a
// separate package so that the engine itself does not depend on the
// Prometheus client. Nothing is registered globally: register the
// collector with the registry of your choice.
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(tempestprom.NewCollector(db, "tempest"))
package prometheus

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tempestdb/tempest"
)

// MetricsSource is what the collector reads: a *tempest.DB.
type MetricsSource interface {
	Metrics() tempest.Metrics
}

// Collector is a prometheus.Collector for one DB. Each scrape calls
// DB.Metrics once.
type Collector struct {
	db MetricsSource

	levelFiles, levelBytes, levelScore, levelIn, levelWritten *prometheus.Desc
	memtables, memtableBytes, walRecords, walSyncs, walBytes  *prometheus.Desc
	flushes, compactions, compactionDebt, stalls, stallSecs   *prometheus.Desc
	writeAmp, readAmp, spaceAmp, cacheHits, cacheMisses       *prometheus.Desc
	cacheBytes, memoryBytes, snapshots, visibleSeq            *prometheus.Desc
	slowdowns, slowdownSecs, readCompactions, openTables      *prometheus.Desc
	blobFiles, blobBytes, blobLiveBytes, blobDeleted          *prometheus.Desc
}

// NewCollector returns a collector for db whose metric names start with
// namespace (e.g. "tempest").
func NewCollector(db MetricsSource, namespace string) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &Collector{
		db:            db,
		levelFiles:    d("level_files", "SST files per level.", "level"),
		levelBytes:    d("level_bytes", "Bytes of SST files per level.", "level"),
		levelScore:    d("level_score", "Compaction score per level (>= 1 needs compaction).", "level"),
		levelIn:       d("level_read_bytes_total", "Bytes read by compactions into a level.", "level"),
		levelWritten:  d("level_written_bytes_total", "Bytes written by flushes and compactions into a level.", "level"),
		memtables:     d("memtables", "Memtables, active and frozen."),
		memtableBytes: d("memtable_bytes", "Bytes used in memtable arenas."),
		walRecords:    d("wal_records_total", "Batches written to the WAL."),
		walSyncs:      d("wal_syncs_total", "WAL fsyncs."),
		walBytes:      d("wal_bytes_total", "Bytes written to the WAL."),
		flushes:       d("flushes_total", "Memtable flushes."),
		compactions:   d("compactions_total", "Compactions."),
		readCompactions: d("read_compactions_total",
			"Compactions of L0 started because iterator seeks through its files paid for them (included in compactions_total)."),
		compactionDebt: d("compaction_debt_bytes", "Estimated bytes compactions must rewrite."),
		stalls:         d("write_stalls_total", "Writer stops until a flush or compaction (memtables, L0 files or compaction debt)."),
		stallSecs:      d("write_stall_seconds_total", "Time writers spent stalled."),
		slowdowns:      d("write_slowdowns_total", "Delays imposed on writers because L0 or the compaction debt is over its slowdown threshold."),
		slowdownSecs:   d("write_slowdown_seconds_total", "Time writers spent delayed by slowdowns."),
		writeAmp:       d("write_amplification", "Bytes written to SSTs per byte written to the WAL."),
		readAmp:        d("read_amplification", "Sorted runs a read may consult."),
		spaceAmp:       d("space_amplification", "Bytes of all SSTs per byte of the bottom level."),
		cacheHits:      d("cache_hits_total", "Block cache hits."),
		cacheMisses:    d("cache_misses_total", "Block cache misses."),
		cacheBytes:     d("cache_bytes", "Bytes held by the block cache."),
		memoryBytes:    d("memory_bytes", "Engine memory: memtables plus block cache."),
		snapshots:      d("snapshots", "Open snapshots."),
		visibleSeq:     d("visible_seqnum", "Highest sequence number visible to reads."),
		openTables:     d("open_tables", "SST readers (file descriptors) open."),
		blobFiles:      d("blob_files", "Live blob files (separated values)."),
		blobBytes:      d("blob_bytes", "Bytes of the live blob files."),
		blobLiveBytes:  d("blob_live_value_bytes", "Bytes of the values in blob files that live SSTs still name."),
		blobDeleted:    d("blob_files_deleted_total", "Blob files deleted once no SST named them."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.levelFiles, c.levelBytes, c.levelScore, c.levelIn, c.levelWritten,
		c.memtables, c.memtableBytes, c.walRecords, c.walSyncs, c.walBytes, c.flushes, c.compactions,
		c.compactionDebt, c.stalls, c.stallSecs, c.writeAmp, c.readAmp, c.spaceAmp, c.cacheHits,
		c.cacheMisses, c.cacheBytes, c.memoryBytes, c.snapshots, c.visibleSeq, c.slowdowns, c.slowdownSecs, c.readCompactions,
		c.openTables, c.blobFiles, c.blobBytes, c.blobLiveBytes, c.blobDeleted} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.db.Metrics()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for i, l := range m.Levels {
		lv := strconv.Itoa(i)
		gauge(c.levelFiles, float64(l.Files), lv)
		gauge(c.levelBytes, float64(l.Bytes), lv)
		gauge(c.levelScore, l.Score, lv)
		counter(c.levelIn, float64(l.BytesIn), lv)
		counter(c.levelWritten, float64(l.BytesWritten), lv)
	}
	gauge(c.memtables, float64(m.MemTables.Count))
	gauge(c.memtableBytes, float64(m.MemTables.Bytes))
	counter(c.walRecords, float64(m.WAL.Records))
	counter(c.walSyncs, float64(m.WAL.Syncs))
	counter(c.walBytes, float64(m.WAL.Bytes))
	counter(c.flushes, float64(m.Flushes))
	counter(c.compactions, float64(m.Compactions))
	counter(c.readCompactions, float64(m.ReadCompactions))
	gauge(c.compactionDebt, float64(m.CompactionDebt))
	counter(c.stalls, float64(m.WriteStalls))
	counter(c.stallSecs, m.WriteStallDuration.Seconds())
	counter(c.slowdowns, float64(m.WriteSlowdowns))
	counter(c.slowdownSecs, m.WriteSlowdownDuration.Seconds())
	gauge(c.writeAmp, m.WriteAmp)
	gauge(c.readAmp, float64(m.ReadAmp))
	gauge(c.spaceAmp, m.SpaceAmp)
	counter(c.cacheHits, float64(m.Cache.Hits))
	counter(c.cacheMisses, float64(m.Cache.Misses))
	gauge(c.cacheBytes, float64(m.Cache.Size))
	gauge(c.memoryBytes, float64(m.MemoryBytes))
	gauge(c.snapshots, float64(m.Snapshots))
	gauge(c.visibleSeq, float64(m.VisibleSeqNum))
	gauge(c.openTables, float64(m.OpenTables))
	gauge(c.blobFiles, float64(m.Blobs.Files))
	gauge(c.blobBytes, float64(m.Blobs.Bytes))
	gauge(c.blobLiveBytes, float64(m.Blobs.LiveBytes))
	counter(c.blobDeleted, float64(m.Blobs.ObsoleteDeleted))
}
