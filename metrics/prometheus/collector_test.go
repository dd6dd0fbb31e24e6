package prometheus

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCollector(t *testing.T) {
	db, err := tempest.Open("/db", &tempest.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 10 {
		if err := db.Set([]byte{byte(i)}, []byte("v"), tempest.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(db, "tempest"))
	want := `
# HELP tempest_wal_syncs_total WAL fsyncs.
# TYPE tempest_wal_syncs_total counter
tempest_wal_syncs_total 10
# HELP tempest_flushes_total Memtable flushes.
# TYPE tempest_flushes_total counter
tempest_flushes_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tempest_wal_syncs_total", "tempest_flushes_total"); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "tempest_level_files"); err != nil || n != tempest.NumLevels {
		t.Fatalf("level_files series = %d, %v", n, err)
	}
}

// fixedMetrics is a MetricsSource that reports fixed metrics.
type fixedMetrics tempest.Metrics

func (f fixedMetrics) Metrics() tempest.Metrics { return tempest.Metrics(f) }

func TestCollectorStalls(t *testing.T) {
	var m tempest.Metrics
	m.WriteStalls, m.WriteStallDuration = 2, 1500*time.Millisecond
	m.WriteSlowdowns, m.WriteSlowdownDuration = 7, 250*time.Millisecond
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(fixedMetrics(m), "tempest"))
	want := `
# HELP tempest_write_slowdown_seconds_total Time writers spent delayed by slowdowns.
# TYPE tempest_write_slowdown_seconds_total counter
tempest_write_slowdown_seconds_total 0.25
# HELP tempest_write_slowdowns_total Delays imposed on writers because L0 or the compaction debt is over its slowdown threshold.
# TYPE tempest_write_slowdowns_total counter
tempest_write_slowdowns_total 7
# HELP tempest_write_stall_seconds_total Time writers spent stalled.
# TYPE tempest_write_stall_seconds_total counter
tempest_write_stall_seconds_total 1.5
`
	names := []string{"tempest_write_slowdowns_total", "tempest_write_slowdown_seconds_total", "tempest_write_stall_seconds_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorReadCompactions(t *testing.T) {
	var m tempest.Metrics
	m.Compactions, m.ReadCompactions = 9, 2
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(fixedMetrics(m), "tempest"))
	want := `
# HELP tempest_compactions_total Compactions.
# TYPE tempest_compactions_total counter
tempest_compactions_total 9
# HELP tempest_read_compactions_total Compactions of L0 started because iterator seeks through its files paid for them (included in compactions_total).
# TYPE tempest_read_compactions_total counter
tempest_read_compactions_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tempest_compactions_total", "tempest_read_compactions_total"); err != nil {
		t.Fatal(err)
	}
}

func TestCollectorOpenTables(t *testing.T) {
	var m tempest.Metrics
	m.OpenTables = 37
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(fixedMetrics(m), "tempest"))
	want := `
# HELP tempest_open_tables SST readers (file descriptors) open.
# TYPE tempest_open_tables gauge
tempest_open_tables 37
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tempest_open_tables"); err != nil {
		t.Fatal(err)
	}
}
