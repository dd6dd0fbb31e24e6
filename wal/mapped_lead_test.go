package wal

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/vfs/errorfs"
)

// TestMappedAllocatesAhead checks that a mapped log keeps its file
// allocated the lead ahead of its stores (so the mapping's pager can
// prepare the pages the next stores reach), and that an extension for
// the lead that fails fails the group that asked for it, before any of
// its bytes is written, as any extension's failure does: the records
// before it replay, and none after it.
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
		var err error
		for err == nil {
			size, allocated := w.Size(), w.allocated
			if err = write(1000); err != nil && (w.Size() != size || allocated-size < 1000+RecordHeaderSize) {
				t.Fatalf("the failed extension came at %d bytes of %d allocated, not for the lead (%d); size after %d", size, allocated, lead, w.Size())
			}
		}
		if !errors.Is(err, errorfs.ErrNoSpace) {
			t.Fatalf("the failed extension returned %v", err)
		}
		w.Abandon()
		r := replayDir(inner, dir, 1)
		if r.err != nil || len(r.payloads) != len(written) {
			t.Fatalf("replayed %d records of %d, err %v", len(r.payloads), len(written), r.err)
		}
		checkPrefix(t, r.payloads, written)
	})
}
