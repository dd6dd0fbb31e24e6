package wal

import (
	"testing"

	"github.com/tempestdb/tempest/vfs/errorfs"
)

// TestMappedAllocatesAhead checks that a mapped log keeps its file
// allocated the lead ahead of its stores (so the mapping's pager can
// prepare the pages the next stores reach), and that an extension made
// only for the lead that fails (a full disk) fails no write: the records
// are kept and replayed, the lead is given up, and a group that needs
// space of its own still meets the error.
func TestMappedAllocatesAhead(t *testing.T) {
	forModes(t, mappedModes(), func(t *testing.T, m mode) {
		inner, dir := m.base(t)
		toggle := errorfs.Toggle(errorfs.Always(errorfs.ErrNoSpace, func(op errorfs.Op) bool {
			return op.Mapped && op.Kind == errorfs.OpAllocate
		}))
		fs := errorfs.Wrap(inner, toggle)
		w := createIn(t, m, fs, dir, 1)
		defer w.Abandon()
		lead := min(w.prealloc, allocLead)
		var written [][]byte
		write := func(n int) error {
			p := make([]byte, n)
			p[0] = byte(len(written))
			err := w.WriteRecords(p)
			if err == nil {
				written = append(written, p)
			}
			return err
		}
		for w.Size() < 3*w.prealloc {
			if err := write(1000); err != nil {
				t.Fatal(err)
			}
			if w.allocated < w.Size()+lead {
				t.Fatalf("allocated %d bytes, stores at %d: want the lead of %d ahead", w.allocated, w.Size(), lead)
			}
		}
		toggle.Enable()
		// Groups that fit the allocated size but reach into the lead.
		for w.allocated-w.Size() > 2000 {
			if err := write(1000); err != nil {
				t.Fatalf("a group that fits the allocated size failed on the lead's extension: %v", err)
			}
		}
		if !w.noLead {
			t.Fatal("the failed extension for the lead did not give the lead up")
		}
		if err := write(4000); err == nil {
			t.Fatal("a group past the allocated size was written on a full disk")
		}
		w.Abandon()
		r := replayDir(inner, dir, 1)
		if r.err != nil || len(r.payloads) != len(written) {
			t.Fatalf("replayed %d records of %d, err %v", len(r.payloads), len(written), r.err)
		}
		checkPrefix(t, r.payloads, written)
	})
}
