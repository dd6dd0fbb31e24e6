package tempest

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// TestReadTriggeredCompaction checks that iterator seeks through L0 files
// ask for an L0 compaction once they use up the files' allowance, and not
// one seek sooner; that point reads do not count; and that the data is
// intact afterwards.
func TestReadTriggeredCompaction(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	o.Scheduler = InlineScheduler{}
	o.L0CompactionThreshold = 8 // two L0 files score 0.25: nothing is due
	var mu sync.Mutex
	var kinds []string
	o.EventListener = &EventListener{CompactionBegin: func(info CompactionInfo) {
		mu.Lock()
		kinds = append(kinds, info.Kind)
		mu.Unlock()
	}}
	d := mustOpen(t, "/db", o)
	defer mustClose(t, d)
	model := map[string]string{}
	for round := range 2 {
		for i := round; i < 400; i += 2 {
			k, v := fmt.Sprintf("key%04d", i), fmt.Sprintf("v%d-%d", round, i)
			mustSet(t, d, k, v, NoSync)
			model[k] = v
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	rs := d.loadReadState()
	l0 := rs.version.Levels[0]
	budget := rs.seeks.budget
	rs.unref()
	if len(l0) != 2 {
		t.Fatalf("%d L0 files, want 2", len(l0))
	}
	var want int64
	for _, f := range l0 {
		want += max(int64(f.Size)/64, 10_000) // the defaults
	}
	if budget != want {
		t.Fatalf("budget %d, want %d", budget, want)
	}
	seeksNeeded := int(budget / 2) // each seek passes through both files
	if seeksNeeded < 10_000 {
		t.Fatalf("budget %d: want 10,000 seeks or more a file", budget)
	}

	for i := range 3 * seeksNeeded {
		mustGet(t, d, fmt.Sprintf("key%04d", i%400), model[fmt.Sprintf("key%04d", i%400)])
	}
	if m := d.Metrics(); m.ReadCompactions != 0 || m.Compactions != 0 {
		t.Fatalf("point reads led to compactions: %d (read-triggered %d)", m.Compactions, m.ReadCompactions)
	}

	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	seek := func(i int) {
		k := fmt.Sprintf("key%04d", i%400)
		switch i % 4 {
		case 0:
			it.First()
		case 1:
			it.Last()
		case 2:
			if !it.SeekGE([]byte(k)) || string(it.Key()) != k {
				t.Fatalf("SeekGE(%s) at %q", k, it.Key())
			}
		default:
			it.SeekLT([]byte(k))
		}
	}
	for i := range seeksNeeded - 1 {
		seek(i)
	}
	if m := d.Metrics(); m.ReadCompactions != 0 {
		t.Fatalf("read compaction after %d seeks, want it after %d", seeksNeeded-1, seeksNeeded)
	}
	seek(seeksNeeded - 1)
	m := d.Metrics()
	if m.ReadCompactions != 1 || m.Levels[0].Files != 0 {
		t.Fatalf("after %d seeks: %d read compactions, %d L0 files; want 1 and 0\n%s",
			seeksNeeded, m.ReadCompactions, m.Levels[0].Files, m)
	}
	mu.Lock()
	if len(kinds) != 1 || (kinds[0] != "read" && kinds[0] != "move") {
		t.Fatalf("compactions %v, want one read-triggered", kinds)
	}
	mu.Unlock()
	// The iterator opened before still reads the files it pinned.
	for i := range 100 {
		seek(i)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, d); !maps.Equal(got, model) {
		t.Fatalf("after the compaction the DB holds %d keys, the model %d, or a value differs", len(got), len(model))
	}
}

// readCompactionOptions returns small options on MemFS under sched, with
// L0 compacted by score at l0Threshold files and after minSeeks seeks a
// file by reads (the size term is negligible at 1 MiB a seek).
func readCompactionOptions(sched Scheduler, l0Threshold, minSeeks int) *Options {
	o := smallOptions(vfs.NewMem())
	o.Scheduler = sched
	o.L0CompactionThreshold = l0Threshold
	o.ReadCompactionBytesPerSeek, o.ReadCompactionMinSeeks = 1<<20, minSeeks
	return o
}

// TestReadCompactionOptions checks that the options set the allowance and
// that a negative ReadCompactionMinSeeks turns the counting off.
func TestReadCompactionOptions(t *testing.T) {
	for _, tc := range []struct {
		bytesPerSeek, minSeeks int
		compacted              bool
	}{
		{bytesPerSeek: 1 << 20, minSeeks: 3, compacted: true},
		{bytesPerSeek: 1 << 20, minSeeks: -1, compacted: false},
	} {
		o := readCompactionOptions(InlineScheduler{}, 8, tc.minSeeks)
		o.ReadCompactionBytesPerSeek = tc.bytesPerSeek
		d := mustOpen(t, "/db", o)
		mustSet(t, d, "a", "1", NoSync)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		it, err := d.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if !it.First() || string(it.Key()) != "a" {
				t.Fatalf("First at %q", it.Key())
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		m := d.Metrics()
		if got := m.ReadCompactions == 1 && m.Levels[0].Files == 0; got != tc.compacted {
			t.Fatalf("%+v: %d read compactions, %d L0 files after 3 seeks", tc, m.ReadCompactions, m.Levels[0].Files)
		}
		mustGet(t, d, "a", "1")
		mustClose(t, d)
	}
	o := smallOptions(vfs.NewMem())
	o.ReadCompactionBytesPerSeek = -1
	if _, err := Open("/db", o); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("ReadCompactionBytesPerSeek -1: %v", err)
	}
}

// TestStaleReadCompactionAsk checks that an iterator on an old readState,
// whose L0 has since gone down, cannot replace the request pending for
// the current L0: that request is still carried out.
func TestStaleReadCompactionAsk(t *testing.T) {
	d := mustOpen(t, "/db", readCompactionOptions(InlineScheduler{}, 2, 5))
	defer mustClose(t, d)
	flush := func(k string) {
		mustSet(t, d, k, "v", NoSync)
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	flush("a") // L0: one file, A
	old, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	flush("b") // two L0 files: compacted down by score
	flush("c") // L0: one file, C
	if n := d.Metrics().Levels[0].Files; n != 1 {
		t.Fatalf("%d L0 files, want 1", n)
	}
	// A request for the current L0 is pending (as while a compaction
	// runs that it conflicts with).
	d.mu.Lock()
	d.mu.readCompaction = d.mu.readState.version.Levels[0]
	d.mu.Unlock()
	for range 5 {
		old.First() // asks, on its old readState, for A
	}
	d.maybeScheduleCompaction() // as when the conflicting compaction ends
	m := d.Metrics()
	if m.ReadCompactions != 1 || m.Levels[0].Files != 0 {
		t.Fatalf("the pending request was lost: %d read compactions, %d L0 files", m.ReadCompactions, m.Levels[0].Files)
	}
}

// TestReadCompactionGoScheduler checks the asynchronous path: seeks ask,
// a background goroutine picks and runs the compaction, and Close waits
// for it (goleak checks that nothing is left running).
func TestReadCompactionGoScheduler(t *testing.T) {
	d := mustOpen(t, "/db", readCompactionOptions(GoScheduler{}, 8, 10))
	for i := range 100 {
		mustSet(t, d, fmt.Sprintf("key%03d", i), "v", NoSync)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if k := fmt.Sprintf("key%03d", i); !it.SeekGE([]byte(k)) || string(it.Key()) != k {
			t.Fatalf("SeekGE(%s) at %q", k, it.Key())
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := d.Metrics()
		if m.ReadCompactions == 1 && m.Levels[0].Files == 0 && m.CompactionsInProgress == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read-triggered compaction after 10s:\n%s", m)
		}
		time.Sleep(time.Millisecond)
	}
	for i := range 100 {
		mustGet(t, d, fmt.Sprintf("key%03d", i), "v")
	}
	mustClose(t, d)
}
