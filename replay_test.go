package tempest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestReplayBatchLargerThanMemTable: a logged batch that does not fit an
// empty memtable of the MemTableSize the DB is reopened with gets a
// memtable of its own. Open succeeds without a CorruptionFound or
// BackgroundError event, every entry reads back, the batch lands in an L0
// file of its own (L0 files keep disjoint seqnum ranges), and the DB takes
// writes. Cases: a 64 KiB value written under a 256 KiB MemTableSize, and
// a batch of 2,000 small entries written under 1 MiB (the MaxBatchSize of
// a 256 KiB memtable, 128 KiB, holds fewer); each reopened with 64 KiB
// after a clean Close and after a crash, with the batch only in the WAL
// both times (Close does not flush).
func TestReplayBatchLargerThanMemTable(t *testing.T) {
	cases := []struct {
		name         string
		memTableSize int
		fill         func(b *Batch, want map[string]string) error
	}{
		{"64 KiB value", 256 << 10, func(b *Batch, want map[string]string) error {
			v := make([]byte, 64<<10)
			for i := range v {
				v[i] = byte('a' + i%26)
			}
			want["big"] = string(v)
			return b.Set([]byte("big"), v)
		}},
		{"2000 entries", 1 << 20, func(b *Batch, want map[string]string) error {
			for i := range 2000 {
				k, v := fmt.Sprintf("e%04d", i), fmt.Sprintf("v%d", i)
				want[k] = v
				if err := b.Set([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, c := range cases {
		for _, crash := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/crash=%v", c.name, crash), func(t *testing.T) {
				fs, want := writeLargeBatch(t, c.memTableSize, crash, c.fill)
				reopenSmall(t, fs, want)
			})
		}
	}
}

// writeLargeBatch writes a small batch, the batch fill builds, and another
// small batch, all synced, under memTableSize, then closes the DB or
// crashes it, and returns the files and the expected contents.
func writeLargeBatch(t *testing.T, memTableSize int, crash bool, fill func(*Batch, map[string]string) error) (vfs.FS, map[string]string) {
	mem := vfs.NewMem()
	o := &Options{FS: mem, MemTableSize: memTableSize}
	d := mustOpen(t, "/db", o)
	want := map[string]string{"a-before": "1", "z-after": "2"}
	mustSet(t, d, "a-before", "1", Sync)
	b := d.NewBatch()
	if err := fill(b, want); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Apply(b, Sync); err != nil {
		t.Fatal(err)
	}
	mustSet(t, d, "z-after", "2", Sync)
	if !crash {
		mustClose(t, d)
		return mem, want
	}
	img := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 0})
	d.Close()
	return img, want
}

// reopenSmall opens fs with the smallest MemTableSize and checks what
// TestReplayBatchLargerThanMemTable promises.
func reopenSmall(t *testing.T, fs vfs.FS, want map[string]string) {
	var corruptions, bgErrors atomic.Int32
	o := &Options{FS: fs, MemTableSize: MinMemTableSize, DisableAutomaticCompactions: true, EventListener: &EventListener{
		CorruptionFound: func(error) { corruptions.Add(1) },
		BackgroundError: func(error) { bgErrors.Add(1) },
	}}
	d, err := Open("/db", o)
	if err != nil {
		t.Fatalf("reopen with MemTableSize %d: %v", MinMemTableSize, err)
	}
	defer mustClose(t, d)
	if n, m := corruptions.Load(), bgErrors.Load(); n+m > 0 {
		t.Fatalf("%d CorruptionFound and %d BackgroundError events", n, m)
	}
	got := dump(t, d)
	if len(got) != len(want) {
		t.Fatalf("%d keys read back, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: read %d bytes, want %d", k, len(got[k]), len(v))
		}
	}
	lsm, err := d.LSM()
	if err != nil {
		t.Fatal(err)
	}
	// The batches before and after the large one share a memtable no more:
	// the large one has its own.
	l0 := lsm[0]
	if len(l0) != 3 {
		t.Fatalf("replay wrote %d L0 files, want 3 (before, the large batch, after)", len(l0))
	}
	for i := range l0 {
		for j := range i {
			if l0[i].MinSeq <= l0[j].MaxSeq && l0[j].MinSeq <= l0[i].MaxSeq {
				t.Fatalf("L0 files %d and %d share seqnums: [%d, %d] and [%d, %d]",
					l0[j].FileNum, l0[i].FileNum, l0[j].MinSeq, l0[j].MaxSeq, l0[i].MinSeq, l0[i].MaxSeq)
			}
		}
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	mustSet(t, d, "later", "3", Sync)
	mustGet(t, d, "later", "3")
}
