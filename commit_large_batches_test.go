package tempest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestApplyLargeBatches applies large batches
// of sets, deletes and merges over a small key space, so
// that a batch often writes a key several times, and checks every key
// against a model after each batch, after a flush, and after a reopen
// that replays the WAL. Of a key's writes in one batch the last must
// win, as in batch order.
func TestApplyLargeBatches(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	fs := vfs.NewMem()
	d := mustOpen(t, "db", mergeOptions(fs))
	model := map[string]uint64{}
	keys := 60
	check := func(what string) {
		t.Helper()
		for i := range keys {
			k := fmt.Sprintf("k%02d", i)
			v, err := d.Get([]byte(k))
			want, ok := model[k]
			switch {
			case !ok && !errors.Is(err, ErrNotFound):
				t.Fatalf("seed %d, %s: %s = %x, %v; want not found", seed, what, k, v, err)
			case ok && (err != nil || len(v) != 8 || getLE(v) != want):
				t.Fatalf("seed %d, %s: %s = %x, %v; want %d", seed, what, k, v, err, want)
			}
		}
	}
	for round := range 40 {
		b := d.NewBatch()
		n := 32 + rng.IntN(200)
		for range n {
			k := fmt.Sprintf("k%02d", rng.IntN(keys))
			x := rng.Uint64N(1000)
			var err error
			switch rng.IntN(3) {
			case 0:
				err = b.Set([]byte(k), u64(x))
				model[k] = x
			case 1:
				err = b.Delete([]byte(k))
				delete(model, k)
			default:
				err = b.Merge([]byte(k), u64(x))
				model[k] += x
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after batch %d", round))
		if round%10 == 9 {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("after the flush of batch %d", round))
		}
	}
	mustClose(t, d)
	d = mustOpen(t, "db", mergeOptions(fs))
	defer mustClose(t, d)
	check("after reopen")
}
