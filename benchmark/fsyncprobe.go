package benchmark

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// The fsync probe measures how many durable writes per second the disk
// under the databases takes from one writer, as a write-ahead log makes
// them: it writes a probeRecordSize record and syncs the file's data
// (datasync: fdatasync on Linux, File.Sync elsewhere), over and over, for
// Options.FsyncProbe. The file is in a fresh subdirectory of Options.Dir,
// the parent of the databases, so that the probe and the engines share a
// file system; the subdirectory is removed afterwards.
//
// The records go one after the other into a ring of probeRingSize bytes
// that was written and synced before the measurement, so that every
// measured sync flushes data only: no new size, no block allocation, no
// journal commit. That is the fastest durable write the file system
// offers, and so the ceiling of a log's fsync rate. A log that
// preallocates its file pays mostly that (Tempest's WAL on Linux writes
// into fallocate'd space, and several commit groups share a page); a log
// that appends pays a journal commit per sync as well, which on ext4 cuts
// the rate by a third or more. The rate is syncs over the wall time of
// the loop (writes included); the latencies are of the sync calls alone.

// FsyncProbeName is the name of the probe in Options.Benchmarks: it runs
// the probe alone at that position, without a database.
const FsyncProbeName = "fsyncprobe"

const (
	// probeRecordSize is the bytes written before each sync: one page.
	probeRecordSize = 4 << 10
	// probeRingSize is the size of the probe's file, which the records
	// overwrite in turn.
	probeRingSize = 4 << 20
	// DefaultFsyncProbe is the default duration of a probe.
	DefaultFsyncProbe = 2 * time.Second
)

// FsyncProbe is the outcome of one fsync probe.
type FsyncProbe struct {
	// Date is when the probe ended.
	Date time.Time `json:"date"`
	// When places the probe in the run: "before sync16", "after sync16",
	// or "" for an FsyncProbeName entry.
	When string `json:"when,omitempty"`
	// Dir is the parent directory the probe's file was created in.
	Dir string `json:"dir"`
	// Method is the sync call: "fdatasync" or "fsync".
	Method string `json:"method"`
	// RecordSize is the bytes written before each sync.
	RecordSize int `json:"record_size"`
	// Syncs is the number of syncs, Seconds the wall time of the loop,
	// SyncsPerSec their rate.
	Syncs       int64   `json:"syncs"`
	Seconds     float64 `json:"seconds"`
	SyncsPerSec float64 `json:"fsyncs_per_sec"`
	// Latency is the distribution of the sync calls.
	Latency Latency `json:"latency"`
}

// ProbeFsync runs the fsync probe for d in a fresh subdirectory of dir
// ("" is the temp directory).
func ProbeFsync(ctx context.Context, dir string, d time.Duration) (FsyncProbe, error) {
	p := FsyncProbe{Dir: dir, Method: datasyncMethod, RecordSize: probeRecordSize}
	if p.Dir == "" {
		p.Dir = os.TempDir()
	}
	if d <= 0 {
		d = DefaultFsyncProbe
	}
	sub, err := os.MkdirTemp(dir, "tempest-bench-fsyncprobe-")
	if err != nil {
		return p, fmt.Errorf("fsync probe: %w", err)
	}
	defer os.RemoveAll(sub)
	f, err := os.OpenFile(filepath.Join(sub, "probe.log"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return p, fmt.Errorf("fsync probe: %w", err)
	}
	defer f.Close()
	fail := func(op string, err error) (FsyncProbe, error) {
		return p, fmt.Errorf("fsync probe: %s %s: %w", op, f.Name(), err)
	}
	// The ring is written and made durable first, unmeasured.
	if _, err := f.Write(make([]byte, probeRingSize)); err != nil {
		return fail("write", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	buf := make([]byte, probeRecordSize)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	h := newHistogram()
	start := time.Now()
	deadline := start.Add(d)
	for off := int64(0); ; off = (off + probeRecordSize) % probeRingSize {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		buf[0]++ // every record differs from the last one written there
		if _, err := f.WriteAt(buf, off); err != nil {
			return fail("write", err)
		}
		t := time.Now()
		if err := datasync(f); err != nil {
			return fail(datasyncMethod, err)
		}
		now := time.Now()
		record(h, now.Sub(t))
		p.Syncs++
		if !now.Before(deadline) {
			break
		}
	}
	elapsed := time.Since(start)
	p.Date = time.Now().UTC().Truncate(time.Second)
	p.Seconds = elapsed.Seconds()
	p.SyncsPerSec = float64(p.Syncs) / elapsed.Seconds()
	p.Latency = summarize(h)
	if err := f.Close(); err != nil {
		return fail("close", err)
	}
	return p, nil
}

// WriteText prints the probe as one line, aligned with Result.WriteText.
func (p *FsyncProbe) WriteText(w io.Writer) {
	when := ""
	if p.When != "" {
		when = ", " + p.When
	}
	fmt.Fprintf(w, "%-16s %-9s %9d syncs %6.2fs %12s fsyncs/s   p50 %8s  p99 %8s   (%s writes + %s in %s%s)\n",
		FsyncProbeName, "disk", p.Syncs, p.Seconds, FormatCount(p.SyncsPerSec),
		FormatNanos(p.Latency.P50), FormatNanos(p.Latency.P99), FormatBytes(int64(p.RecordSize)), p.Method, p.Dir, when)
}
