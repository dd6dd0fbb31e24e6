package tempest

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/tempestdb/tempest/vfs"
)

// waitCompactions waits until no compaction runs or is about to.
func waitCompactions(t *testing.T, d *DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for quiet := 0; quiet < 3; {
		if time.Now().After(deadline) {
			t.Fatal("compactions did not settle")
		}
		if d.Metrics().CompactionsInProgress == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testQueue is a FIFO queue in a DB: entries keyed "q" + big-endian
// sequence number, appended at the tail and deleted at the head.
type testQueue struct {
	t          *testing.T
	d          *DB
	value      []byte
	head, tail uint64
}

func queueKey(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte("q"), n) }

// newTestQueue appends a backlog of entries of 64-byte values.
func newTestQueue(t *testing.T, d *DB, backlog int) *testQueue {
	q := &testQueue{t: t, d: d, value: make([]byte, 64)}
	for range backlog {
		q.push()
	}
	return q
}

func (q *testQueue) push() {
	q.t.Helper()
	if err := q.d.Set(queueKey(q.tail), q.value, NoSync); err != nil {
		q.t.Fatal(err)
	}
	q.tail++
}

func (q *testQueue) pop() {
	q.t.Helper()
	if err := q.d.Delete(queueKey(q.head), NoSync); err != nil {
		q.t.Fatal(err)
	}
	q.head++
}

// TestQueueReclaimsSpace runs a queue (append at the tail, delete at the
// head, seek to the head) for many times its backlog, and checks that
// compactions keep what the LSM holds proportional to the live backlog:
// deleted entries and their tombstones do not pile up.
func TestQueueReclaimsSpace(t *testing.T) {
	o := smallOptions(vfs.NewMem())
	d := mustOpen(t, "/db", o)
	defer d.Close()
	const backlog, cycles = 500, 40_000
	q := newTestQueue(t, d, backlog)
	for range cycles {
		q.push()
		q.pop()
	}
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !it.First() || string(it.Key()) != string(queueKey(q.head)) {
		t.Fatalf("head = %x, want %x (err %v)", it.Key(), queueKey(q.head), it.Error())
	}
	it.Close()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	waitCompactions(t, d)
	lsm, _ := d.LSM()
	var files int
	var bytes uint64
	for _, level := range lsm {
		for _, f := range level {
			files++
			bytes += f.Size
		}
	}
	live := uint64(backlog * (9 + len(q.value)))
	t.Logf("after %d cycles: %d files, %d bytes on disk for %d live bytes\n%s", cycles, files, bytes, live, d.Metrics())
	if bytes > 20*live {
		t.Fatalf("LSM holds %d bytes for a backlog of %d bytes: deleted entries pile up", bytes, live)
	}
}

// TestQueueDenseL0GoesDown runs a queue with memtables large enough that
// each flush writes an L0 file of thousands of deleted entries and their
// tombstones, and checks at checkpoints that no such file stays in L0
// once compactions settle: every seek to the head would otherwise step
// over all of them until L0 is due by count (see compact.pickDenseL0).
func TestQueueDenseL0GoesDown(t *testing.T) {
	o := &Options{FS: vfs.NewMem(), MemTableSize: 512 << 10, Scheduler: InlineScheduler{}}
	d := mustOpen(t, "/db", o)
	defer d.Close()
	const backlog, cycles, checkEvery = 500, 30_000, 2_000
	q := newTestQueue(t, d, backlog)
	checked := 0
	for c := 1; c <= cycles; c++ {
		q.push()
		q.pop()
		if c%checkEvery != 0 {
			continue
		}
		d.mu.Lock()
		l0 := d.mu.readState.version.Levels[0]
		d.mu.Unlock()
		for _, f := range l0 {
			checked++
			if f.DeletionCount >= 1000 && 2*f.DeletionCount >= f.EntryCount-f.DeletionCount {
				t.Fatalf("after %d cycles L0 file %d holds %d entries, %d of them tombstones",
					c, f.FileNum, f.EntryCount, f.DeletionCount)
			}
		}
	}
	m := d.Metrics()
	t.Logf("%d flushes, %d compactions, %d L0 files checked", m.Flushes, m.Compactions, checked)
	if m.Flushes < 5 {
		t.Fatalf("only %d flushes: the test checks nothing", m.Flushes)
	}
}
