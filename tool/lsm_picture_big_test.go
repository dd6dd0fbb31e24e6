package tool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/internal/manifest"
	"github.com/tempestdb/tempest/journal"
	"github.com/tempestdb/tempest/vfs"
)

// Bounds of the page of a long history (TestLSMPicture10kEdits).
const (
	bigPageEdits    = 10_000
	bigPageMaxBytes = 5 << 20
	bigPageRenderMs = 3000
	// bigPageMaxLoad bounds the whole headless run (browser start, load,
	// draw) generously: the machine running the tests may be busy.
	bigPageMaxLoad = 30 * time.Second
)

// TestLSMPicture10kEdits writes the page of a manifest of 10,000 edits
// (flushes, L0→L1 and L1→L2 compactions, the L2 growing to 400 files)
// and checks that it stays under 5 MiB and that its charts draw in under
// 3 seconds, and that its series end at the last edit: edits without
// times (by-edit, drawn at their numbers) and with times (timed, format
// version 7, the manifest rotated halfway, drawn at their times from the
// history the snapshot carries and the edits after it).
func TestLSMPicture10kEdits(t *testing.T) {
	for _, timed := range []bool{false, true} {
		name := map[bool]string{false: "by-edit", true: "timed"}[timed]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			writeManifestHistory(t, dir, bigPageEdits, timed)
			var times []int64
			if timed {
				times = historyTimes(t, newestManifest(t, dir))
				if len(times) != bigPageEdits-1 {
					t.Fatalf("the history holds %d edits, want %d", len(times), bigPageEdits-1)
				}
			} else if n := manifestEdits(t, dir); n != bigPageEdits {
				t.Fatalf("the manifest holds %d edits, want %d", n, bigPageEdits)
			}
			out := filepath.Join(t.TempDir(), "lsm-10k-"+name+".html")
			if r := run(t, "db", "lsm", "--dir", dir, "--html", out); r.code != 0 {
				t.Fatalf("db lsm --html: %s", r)
			}
			size := fileSize(t, out)
			page := renderPage(t, out)
			t.Logf("10,000 edits: page %d bytes (%.2f MiB), headless load %v, charts drawn in %.0f ms", size, float64(size)/(1<<20), page.Load, page.RenderMs)
			if size > bigPageMaxBytes {
				t.Errorf("page of %d bytes, over %d", size, bigPageMaxBytes)
			}
			if page.RenderMs > bigPageRenderMs || page.Load > bigPageMaxLoad {
				t.Errorf("charts drawn in %.0f ms (bound %d), headless load %v (bound %v)", page.RenderMs, bigPageRenderMs, page.Load, bigPageMaxLoad)
			}
			series := checkDrawn(t, page)
			if timed {
				checkLastPoint(t, series, "files/L2", float64(times[len(times)-1])/1e9, 400)
				checkPlottedTimes(t, page, series, times)
				return
			}
			checkLastPoint(t, series, "files/L2", bigPageEdits-1, 400)
			if n := len(tagAttrs(page.DOM, "data-edit")); n != bigPageEdits-1 {
				t.Errorf("%d spans, want one per edit after edit 0 (%d)", n, bigPageEdits-1)
			}
		})
	}
}

// writeManifestHistory writes a manifest of n edits into dir/manifest:
// a cycle of four flushes to L0 then a compaction of
// L0 and L1 into 4 L1 files; every fifth compaction instead merges L1
// into L2, one more L2 file each time up to 400. It builds the manifest
// on a MemFS (no fsync per edit) and copies it out. Timed, the first edit
// names format version 7, a clock stamps the edits 0.1 to 1.3 s apart,
// and the manifest rotates after n/2 edits.
func writeManifestHistory(t *testing.T, dir string, n int, timed bool) {
	t.Helper()
	mem := vfs.NewMem()
	m, err := manifest.Open(mem, "/m", base.DefaultComparer, journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	g := &historyGen{m: m, next: 10}
	if timed {
		now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		m.SetClock(func() time.Time {
			now = now.Add(100*time.Millisecond + time.Duration(g.edits%13)*100*time.Millisecond)
			return now
		})
		if err := m.Apply(&manifest.Edit{ComparerName: base.DefaultComparer.Name, FormatVersion: manifest.FormatV7}); err != nil {
			t.Fatal(err)
		}
		g.edits++
	}
	for ; g.edits < n; g.edits++ {
		if timed && g.edits == n/2 {
			if err := m.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		g.step(t)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	copyMemDir(t, mem, "/m", filepath.Join(dir, "manifest"))
}

type historyGen struct {
	m       *manifest.Manifest
	edits   int
	next    base.FileNum
	seq     base.SeqNum
	l0, l1  []manifest.FileMetadata
	l2      []manifest.FileMetadata
	flushes int
	compact int
}

func (g *historyGen) file(level int, lo, hi int) manifest.FileMetadata {
	g.next++
	g.seq += 1000
	return manifest.FileMetadata{FileNum: g.next, Level: level, Size: uint64(64<<10 + hi%4096),
		Smallest:    base.MakeInternalKey(fmt.Appendf(nil, "user%012d", lo), g.seq-999, base.KindSet),
		Largest:     base.MakeInternalKey(fmt.Appendf(nil, "user%012d", hi), g.seq-500, base.KindSet),
		SmallestSeq: g.seq - 999, LargestSeq: g.seq}
}

// partition returns k files at level covering [0, 1e9) without overlap.
func (g *historyGen) partition(level, k int) []manifest.FileMetadata {
	var out []manifest.FileMetadata
	for i := range k {
		out = append(out, g.file(level, i*(1e9/k), (i+1)*(1e9/k)-1))
	}
	return out
}

func removedOf(files ...[]manifest.FileMetadata) []manifest.RemovedFile {
	var out []manifest.RemovedFile
	for _, fs := range files {
		for _, f := range fs {
			out = append(out, manifest.RemovedFile{Level: f.Level, FileNum: f.FileNum})
		}
	}
	return out
}

func (g *historyGen) step(t *testing.T) {
	e := &manifest.Edit{}
	switch {
	case len(g.l0) < 4:
		lo := (g.flushes * 7919) % 900_000_000
		f := g.file(0, lo, lo+100_000_000)
		g.flushes++
		g.l0 = append(g.l0, f)
		e.Added, e.MinUnflushedLog = []manifest.FileMetadata{f}, g.next
	case g.compact%5 == 4:
		out := g.partition(2, min(len(g.l2)+1, 400))
		e.Added, e.Removed = out, removedOf(g.l1, g.l2)
		g.l1, g.l2 = nil, out
		g.compact++
	default:
		out := g.partition(1, 4)
		e.Added, e.Removed = out, removedOf(g.l0, g.l1)
		g.l0, g.l1 = nil, out
		g.compact++
	}
	e.NextFileNum, e.LastSeqNum = g.next+1, g.seq
	if err := g.m.Apply(e); err != nil {
		t.Fatalf("edit %d: %v", g.edits, err)
	}
}

// copyMemDir copies the files of dir in mem to the directory to.
func copyMemDir(t *testing.T, mem *vfs.MemFS, dir, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	names, err := mem.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		f, err := mem.Open(mem.PathJoin(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		size, err := f.Size()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, size)
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.WriteFile(filepath.Join(to, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
