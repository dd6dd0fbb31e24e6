package tempest

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// ckOp is one operation of a logged batch: a set (del false), a delete,
// or a range deletion [key, end).
type ckOp struct {
	key, val, end string
	del           bool
}

// ckBatch is a committed batch and its token.
type ckBatch struct {
	seq uint64
	ops []ckOp
}

// ckModel is the state at token t: every logged batch with a token up to
// t applied in token order.
func ckModel(log []ckBatch, t uint64) map[string]string {
	sorted := slices.Clone(log)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].seq < sorted[j].seq })
	m := make(map[string]string)
	for _, b := range sorted {
		if b.seq > t {
			break
		}
		for _, op := range b.ops {
			switch {
			case op.end != "":
				for k := range m {
					if k >= op.key && k < op.end {
						delete(m, k)
					}
				}
			case op.del:
				delete(m, op.key)
			default:
				m[op.key] = op.val
			}
		}
	}
	return m
}

// ckWriter commits random batches until stop is closed, logging each
// with its token.
func ckWriter(t *testing.T, d *DB, seed uint64, id int, stop <-chan struct{}, mu *sync.Mutex, log *[]ckBatch) {
	rng := testutil.NewRand(seed + uint64(id))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		b := d.NewBatch()
		var ops []ckOp
		if rng.IntN(40) == 0 {
			lo := rng.IntN(500)
			op := ckOp{key: fmt.Sprintf("k%03d", lo), end: fmt.Sprintf("k%03d", lo+rng.IntN(20)+1)}
			if err := b.DeleteRange([]byte(op.key), []byte(op.end)); err != nil {
				t.Error(err)
				return
			}
			ops = append(ops, op)
		} else {
			used := map[string]bool{}
			for n := rng.IntN(4) + 1; n > 0; n-- {
				k := fmt.Sprintf("k%03d", rng.IntN(500))
				if used[k] {
					continue
				}
				used[k] = true
				op := ckOp{key: k}
				var err error
				if rng.IntN(5) == 0 {
					op.del = true
					err = b.Delete([]byte(k))
				} else {
					op.val = fmt.Sprintf("w%d-%d-%x", id, i, rng.Uint64())
					err = b.Set([]byte(k), []byte(op.val+string(make([]byte, rng.IntN(200)))))
				}
				if err != nil {
					t.Error(err)
					return
				}
				ops = append(ops, op)
			}
		}
		tok, err := d.Apply(b, nil)
		if err != nil {
			t.Errorf("writer %d: apply: %v", id, err)
			return
		}
		mu.Lock()
		*log = append(*log, ckBatch{seq: tok.SeqNum(), ops: ops})
		mu.Unlock()
	}
}

// ckPrefix trims the zero padding the writers append to values.
func ckPrefix(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return v[:i]
		}
	}
	return v
}

// ckState is the visible state of d, padding trimmed.
func ckState(t *testing.T, d *DB) map[string]string {
	m := dump(t, d)
	for k, v := range m {
		m[k] = ckPrefix(v)
	}
	return m
}

// TestCheckpointConcurrentWrites takes checkpoints while four goroutines
// write, with small memtables so that flushes and compactions run, and
// checks that each opens (read-write and read-only), passes Check, and
// equals the state at its token built from every batch's token. A
// read-only open of a copy refuses Checkpoint with ErrReadOnly; a
// read-write one checkpoints it again, to the same state.
func TestCheckpointConcurrentWrites(t *testing.T) {
	for _, name := range []string{"mem", "os"} {
		t.Run(name, func(t *testing.T) {
			seed := testutil.Seed(t)
			var fs vfs.FS = vfs.NewMem()
			root := "/ck"
			if name == "os" {
				fs, root = vfs.Default, t.TempDir()
			}
			o := smallOptions(fs)
			d := mustOpen(t, filepath.Join(root, "db"), o)
			var (
				mu   sync.Mutex
				log  []ckBatch
				wg   sync.WaitGroup
				stop = make(chan struct{})
			)
			for id := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ckWriter(t, d, seed, id, stop, &mu, &log)
				}()
			}
			type taken struct {
				dir   string
				tok   WriteToken
				acked uint64 // the highest token acknowledged before the call
			}
			var cks []taken
			for i := range 4 {
				// Let the writers get ahead between checkpoints.
				for {
					mu.Lock()
					n := len(log)
					mu.Unlock()
					if n >= (i+1)*400 {
						break
					}
					if t.Failed() { // a writer failed: stop them all
						close(stop)
						wg.Wait()
						return
					}
					time.Sleep(time.Millisecond)
				}
				mu.Lock()
				var acked uint64
				for _, b := range log {
					acked = max(acked, b.seq)
				}
				mu.Unlock()
				dir := filepath.Join(root, fmt.Sprintf("ck%d", i))
				tok, err := d.Checkpoint(dir)
				if err != nil {
					t.Fatalf("checkpoint %d: %v", i, err)
				}
				cks = append(cks, taken{dir, tok, acked})
			}
			close(stop)
			wg.Wait()
			if t.Failed() {
				return
			}
			if _, err := d.Checkpoint(cks[0].dir); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("checkpoint to an existing directory: %v, want ErrInvalidArgument", err)
			}
			if m := d.Metrics(); m.Flushes < 4 || m.Compactions == 0 {
				t.Fatalf("the run did %d flushes and %d compactions; the test needs both", m.Flushes, m.Compactions)
			}
			mustClose(t, d)
			for i, ck := range cks {
				if ck.tok.SeqNum() < ck.acked {
					t.Fatalf("checkpoint %d: token %d below acknowledged %d", i, ck.tok.SeqNum(), ck.acked)
				}
				want := ckModel(log, ck.tok.SeqNum())
				for _, ro := range []bool{true, false} {
					co := smallOptions(fs)
					co.ReadOnly = ro
					c := mustOpen(t, ck.dir, co)
					again := ck.dir + "-again"
					switch _, err := c.Checkpoint(again); {
					case ro && !errors.Is(err, ErrReadOnly):
						t.Fatalf("checkpoint of a read-only DB: %v, want ErrReadOnly", err)
					case !ro && err != nil:
						t.Fatalf("checkpoint of checkpoint %d: %v", i, err)
					}
					if !ro {
						if err := c.Check(); err != nil {
							t.Fatalf("checkpoint %d: check: %v", i, err)
						}
					}
					if got := ckState(t, c); !maps.Equal(got, want) {
						t.Fatalf("checkpoint %d (token %d, read-only %v): %d keys, model %d keys; first difference: %s",
							i, ck.tok.SeqNum(), ro, len(got), len(want), ckDiff(got, want))
					}
					mustClose(t, c)
				}
				// A checkpoint of the checkpoint, taken above, holds the same.
				c := mustOpen(t, ck.dir+"-again", smallOptions(fs))
				if got := ckState(t, c); !maps.Equal(got, want) {
					t.Fatalf("checkpoint of checkpoint %d: %s", i, ckDiff(got, want))
				}
				mustClose(t, c)
				t.Logf("checkpoint %d: token %d, %d keys", i, ck.tok.SeqNum(), len(want))
			}
		})
	}
}

// ckDiff describes the first key where got and want differ.
func ckDiff(got, want map[string]string) string {
	keys := slices.Sorted(maps.Keys(got))
	keys = append(keys, slices.Sorted(maps.Keys(want))...)
	slices.Sort(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		if g != w || gok != wok {
			return fmt.Sprintf("%s: got %q (%v), model %q (%v)", k, g, gok, w, wok)
		}
	}
	return "none"
}
