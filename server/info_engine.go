package server

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// infoEngine writes INFO's tempest section: the engine's metrics.
func infoEngine(b *strings.Builder, db *tempest.DB) {
	line := func(k string, v any) { rediscmd.InfoLine(b, k, v) }
	m := db.Metrics()
	b.WriteString("# Tempest\r\n")
	for i, l := range m.Levels {
		fmt.Fprintf(b, "level%d:files=%d,bytes=%d,score=%.2f\r\n", i, l.Files, l.Bytes, l.Score)
	}
	line("memtables", m.MemTables.Count)
	line("memtable_bytes", m.MemTables.Bytes)
	line("wal_files", m.WAL.Files)
	line("wal_records", m.WAL.Records)
	line("wal_syncs", m.WAL.Syncs)
	line("wal_bytes", m.WAL.Bytes)
	line("flushes", m.Flushes)
	line("compactions", m.Compactions)
	line("compactions_in_progress", m.CompactionsInProgress)
	line("compaction_debt_bytes", m.CompactionDebt)
	line("write_stalls", m.WriteStalls)
	line("write_amp", fmt.Sprintf("%.2f", m.WriteAmp))
	line("read_amp", m.ReadAmp)
	line("space_amp", fmt.Sprintf("%.2f", m.SpaceAmp))
	line("memory_bytes", m.MemoryBytes)
	line("open_tables", m.OpenTables)
	line("visible_seqnum", m.VisibleSeqNum)
}
