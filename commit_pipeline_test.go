package tempest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

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
