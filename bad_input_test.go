package tempest

import (
	"bytes"
	"errors"
	"maps"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestBadInput: every invalid call returns the right error class and
// leaves the database exactly as it was.
func TestBadInput(t *testing.T) {
	fs := vfs.NewMem()
	o := &Options{FS: fs, MemTableSize: 1 << 20, MaxKeySize: 100, MaxValueSize: 1000, MaxBatchSize: 64 << 10}
	d := mustOpen(t, "/db", o)
	defer d.Close()
	mustSet(t, d, "existing", "value", nil)

	big := func(n int) []byte { return bytes.Repeat([]byte{'k'}, n) }
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"key too long", func() error { return d.Set(big(101), []byte("v"), nil) }, ErrInvalidArgument},
		{"value too long", func() error { return d.Set([]byte("k"), big(1001), nil) }, ErrInvalidArgument},
		{"delete key too long", func() error { return d.Delete(big(101), nil) }, ErrInvalidArgument},
		{"overwrite with long value", func() error { return d.Set([]byte("existing"), big(1001), NoSync) }, ErrInvalidArgument},
		{"batch too large", func() error {
			b := d.NewBatch()
			for i := 0; ; i++ {
				if err := b.Set(big(100), big(1000)); err != nil {
					return err
				}
			}
		}, ErrInvalidArgument},
		{"nil batch", func() error { _, err := d.Apply(nil, nil); return err }, ErrInvalidArgument},
		{"zero batch", func() error { _, err := d.Apply(&Batch{}, nil); return err }, ErrInvalidArgument},
		{"zero batch set", func() error { return (&Batch{}).Set([]byte("k"), nil) }, ErrInvalidArgument},
		{"token from the future", func() error {
			_, err := d.NewSnapshotAt(WriteToken{seq: 1 << 50})
			return err
		}, ErrInvalidArgument},
		{"second open of a locked dir", func() error { _, err := Open("/db", o); return err }, ErrLocked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := dump(t, d)
			seq := d.visibleSeq.Load()
			err := c.do()
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if after := dump(t, d); !maps.Equal(before, after) {
				t.Fatalf("state changed: %v -> %v", before, after)
			}
			if d.visibleSeq.Load() != seq {
				t.Fatalf("visible seqnum moved %d -> %d", seq, d.visibleSeq.Load())
			}
		})
	}
	// A batch rejected mid-way keeps its earlier entries and stays usable.
	b := d.NewBatch()
	b.Set([]byte("a"), []byte("1"))
	if err := b.Set(big(101), nil); !errors.Is(err, ErrInvalidArgument) || b.Count() != 1 {
		t.Fatalf("count %d, err %v", b.Count(), err)
	}
}

func TestBadOptions(t *testing.T) {
	fs := vfs.NewMem()
	cases := map[string]*Options{
		"memtable too small":  {FS: fs, MemTableSize: 1000},
		"memtable too large":  {FS: fs, MemTableSize: -1},
		"negative imm":        {FS: fs, MaxImmutableMemTables: -1},
		"value limit too big": {FS: fs, MaxValueSize: MaxValueSizeLimit + 1},
		"batch limit too big": {FS: fs, MaxBatchSize: MaxBatchSizeLimit + 1},
		"key limit too big":   {FS: fs, MaxKeySize: MaxKeySizeLimit + 1},
		"bloom rate 1":        {FS: fs, BloomFalsePositiveRate: 1},
		"tiny block":          {FS: fs, BlockSize: 10},
		"growth factor 1":     {FS: fs, ManifestGrowthFactor: 1},
		"comparer no name":    {FS: fs, Comparer: &Comparer{}},
		"negative stall":      {FS: fs, WriteStallTimeout: -1},
		"few open files":      {FS: fs, MaxOpenFiles: MinMaxOpenFiles - 1},
		"negative files":      {FS: fs, MaxOpenFiles: -1},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Open("/db-"+name, o); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
			// Nothing was created.
			if _, err := fs.Stat("/db-" + name); err == nil {
				t.Fatalf("bad options created the directory")
			}
		})
	}
}

func TestComparerMismatch(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", &Options{FS: fs})
	mustSet(t, d, "k", "v", nil)
	mustClose(t, d)
	if _, err := Open("/db", &Options{FS: fs, Comparer: FixedSuffixComparer(8)}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("err = %v, want ErrInvalidArgument", err)
	}
	d = mustOpen(t, "/db", &Options{FS: fs})
	defer mustClose(t, d)
	mustGet(t, d, "k", "v")
}

func TestUseAfterClose(t *testing.T) {
	d := mustOpen(t, "/db", &Options{FS: vfs.NewMem()})
	mustSet(t, d, "k", "v", nil)
	snap := d.NewSnapshot()
	it, err := d.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	checks := map[string]error{
		"close":      d.Close(),
		"set":        d.Set([]byte("k"), []byte("v"), nil),
		"delete":     d.Delete([]byte("k"), nil),
		"flush":      d.Flush(),
		"snap close": nil,
	}
	_, checks["get"] = d.Get([]byte("k"))
	_, checks["apply"] = d.Apply(d.NewBatch(), nil)
	_, checks["newiter"] = d.NewIter(nil)
	_, checks["snap get"] = snap.Get([]byte("k"))
	_, checks["snap iter"] = snap.NewIter(nil)
	_, checks["snapshot at"] = d.NewSnapshotAt(WriteToken{})
	delete(checks, "snap close")
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: %v, want ErrClosed", name, err)
		}
	}
	if it.First() || !errors.Is(it.Error(), ErrClosed) {
		t.Errorf("iterator after DB close: %v", it.Error())
	}
	it.Close()
	if err := it.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second iterator close: %v", err)
	}
	snap.Close()
	if err := snap.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second snapshot close: %v", err)
	}
	if d.NewSnapshot() != nil {
		t.Errorf("NewSnapshot after close returned a snapshot")
	}
}
