package tempest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// TestCommitPipelineVisibility checks the commit pipeline's publication
// with more writers than cores, on 64 KiB memtables (a rotation every
// few batches, flushes running meanwhile): each writer reads its own
// write as soon as Apply returns, and every read at a snapshot sees
// exactly the batches whose seqnum is at or below the snapshot's,
// whatever order the writers inserted them in. Half the writers apply
// batches of one entry and half batches of 200, so a small batch is
// often inserted before a large one sequenced earlier: were it published
// first, a snapshot taken meanwhile would see it without the large one.
// The reader takes snapshots all along and reads at once, in each, the
// first key of every writer's batches around the one in flight; the
// reads are judged at the end, once every batch's seqnum is known.
func TestCommitPipelineVisibility(t *testing.T) {
	const writers, perWriter = 8, 300
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(8, 2*runtime.NumCPU())))
	d := mustOpen(t, "/db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)

	// seqs[w][i] is the seqnum of writer w's batch i, whose first key is
	// firstKey(w, i); done[w] counts the writer's applied batches.
	seqs := make([][]base.SeqNum, writers)
	done := make([]atomic.Int64, writers)
	firstKey := func(w, i int) []byte { return fmt.Appendf(nil, "w%d/%04d/000", w, i) }
	type read struct {
		snap    base.SeqNum
		w, i    int
		visible bool
	}
	var reads []read
	stop := make(chan struct{})
	var wg, rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := d.NewSnapshot()
			for w := range writers {
				n := int(done[w].Load())
				for i := max(n-1, 0); i <= min(n+1, perWriter-1); i++ {
					_, err := s.Get(firstKey(w, i))
					if err != nil && !errors.Is(err, ErrNotFound) {
						t.Errorf("snapshot at %d: Get(%s): %v", s.seq, firstKey(w, i), err)
					}
					reads = append(reads, read{s.seq, w, i, err == nil})
				}
			}
			s.Close()
		}
	})
	for w := range writers {
		seqs[w] = make([]base.SeqNum, perWriter)
		entries := 1 + (w%2)*199
		wg.Go(func() {
			for i := range perWriter {
				b := d.NewBatch()
				for j := range entries {
					key := fmt.Appendf(nil, "w%d/%04d/%03d", w, i, j)
					if err := b.Set(key, key); err != nil {
						t.Error(err)
						return
					}
				}
				tok, err := d.Apply(b, NoSync)
				if err != nil {
					t.Error(err)
					return
				}
				seqs[w][i] = tok.seq
				done[w].Add(1)
				if v, err := d.Get(firstKey(w, i)); err != nil || string(v) != string(firstKey(w, i)) {
					t.Errorf("Get(%s) right after Apply = %q, %v", firstKey(w, i), v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	if t.Failed() {
		return
	}
	for _, r := range reads {
		seq := seqs[r.w][r.i]
		if r.visible != (seq <= r.snap) {
			t.Fatalf("snapshot at %d: %s, of seqnum %d, visible=%v", r.snap, firstKey(r.w, r.i), seq, r.visible)
		}
	}
	t.Logf("%d reads", len(reads))
	if len(reads) == 0 {
		t.Fatal("nothing was read")
	}
}

// TestCommitPipelineMixed runs every kind of commit at once, with more
// goroutines than cores: NoSync and Sync batches, transactions, and tasks
// (memtable freezes and flushes), then closes the DB while writers are
// still at work. No commit may hang (a task waits for pending batches,
// which may be waiting for their fsync), each writer reads its own
// acknowledged write at once, and after a reopen every acknowledged write
// is there; a commit that Close cut off fails with ErrClosed.
func TestCommitPipelineMixed(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(8, 2*runtime.NumCPU())))
	fs := vfs.NewMem()
	fs.SetMappable(true)
	d := mustOpen(t, "/db", smallOptions(fs))
	const writers = 8
	var acked [writers][]string
	var count atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	commit := func(w, i int) (string, error) {
		key := fmt.Sprintf("w%d/%05d", w, i)
		switch (w + i) % 3 {
		case 0:
			return key, d.Set([]byte(key), []byte(key), NoSync)
		case 1:
			return key, d.Set([]byte(key), []byte(key), Sync)
		default:
			txn := d.NewTransaction(true)
			defer txn.Discard()
			if _, err := txn.Get([]byte(key)); err != nil && !errors.Is(err, ErrNotFound) {
				return key, err
			}
			if err := txn.Set([]byte(key), []byte(key)); err != nil {
				return key, err
			}
			_, err := txn.Commit(&WriteOptions{Sync: i%2 == 0})
			return key, err
		}
	}
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key, err := commit(w, i)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("writer %d, commit %d: %v", w, i, err)
					return
				}
				acked[w] = append(acked[w], key)
				count.Add(1)
				v, err := d.Get([]byte(key))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || string(v) != key {
					t.Errorf("Get(%s) right after its commit = %q, %v", key, v, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if i%2 == 0 {
				err = d.freeze()
			} else {
				err = d.Flush()
			}
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("task %d: %v", i, err)
				return
			}
			runtime.Gosched()
		}
	})
	deadline := time.After(time.Minute)
	for count.Load() < 3000 && !t.Failed() {
		select {
		case <-deadline:
			t.Fatalf("only %d commits in a minute: the pipeline hangs", count.Load())
		case <-time.After(time.Millisecond):
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close hangs with writers at work")
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	d = mustOpen(t, "/db", smallOptions(fs))
	defer mustClose(t, d)
	n := 0
	for w := range writers {
		for _, key := range acked[w] {
			if v, err := d.Get([]byte(key)); err != nil || string(v) != key {
				t.Fatalf("after reopen, acknowledged %s = %q, %v", key, v, err)
			}
			n++
		}
	}
	t.Logf("%d acknowledged commits, all found after reopen", n)
}
