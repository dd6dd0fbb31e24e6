package tempest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/vfs"
	"github.com/tempestdb/tempest/vfs/errorfs"
)

// TestFaultMappedWAL runs the fsync workload (faultSyncRun) with the WAL
// written through a mapping (a mappable MemFS), once per operation of the
// mapping with an error injected there: every allocation (EIO, and
// ENOSPC), store (EIO, which the store reports as a memory fault), sync
// and truncation. After the failure:
//   - no commit is acknowledged, and every failing commit and flush
//     returns ErrReadOnly wrapping the injected error;
//   - the failed WAL is never synced again (a failed fsync is not
//     retried, and a broken log is not made to look durable);
//   - the failed process's files reopen to a prefix of the commits
//     holding every acknowledged one, and a power-loss image of them to a
//     prefix holding every durable one.
func TestFaultMappedWAL(t *testing.T) {
	isMapped := func(op errorfs.Op) bool { return op.Mapped }
	var kinds []errorfs.OpKind
	mem := vfs.NewMem()
	mem.SetMappable(true)
	rec := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Mapped {
			kinds = append(kinds, op.Kind)
		}
		return nil
	})
	if _, err := faultSyncRun(errorfs.Wrap(mem, rec), &faultOracle{}, errorfs.ErrInjected, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	points, runs := map[string]int{}, 0
	for i, kind := range kinds {
		errs := map[string]error{"EIO": errorfs.ErrInjected}
		if kind == errorfs.OpAllocate {
			errs["ENOSPC"] = errorfs.ErrNoSpace
		}
		for _, name := range slices.Sorted(maps.Keys(errs)) {
			op := faultMappedOp(errorfs.Op{Kind: kind, Mapped: true})
			what := fmt.Sprintf("mapped op %d (%s, %s)", i, op, name)
			faultMappedPoint(t, what, errorfs.OnIndex(int64(i), errs[name], isMapped), errs[name])
			points[op+" "+name]++
			runs++
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(points)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, points[k]))
	}
	faultFigures(t, "mapped WAL errors: %d runs (%s); 0 commits acknowledged and 0 WAL syncs after the failure",
		runs, strings.Join(parts, ", "))
	for _, k := range []errorfs.OpKind{errorfs.OpAllocate, errorfs.OpWrite, errorfs.OpSync, errorfs.OpTruncate} {
		if !slices.Contains(kinds, k) {
			t.Errorf("the workload made no mapped %s", k)
		}
	}
}

// faultMappedPoint runs the workload with idx failing one mapped
// operation, and checks the outcome.
func faultMappedPoint(t *testing.T, what string, idx *errorfs.IndexInjector, injected error) {
	mem := vfs.NewMem()
	mem.SetMappable(true)
	var failed errorfs.Op
	var syncsAfter []errorfs.Op
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if idx.Fired() && op.Kind == errorfs.OpSync && op.Path == failed.Path {
			syncsAfter = append(syncsAfter, op)
		}
		err := idx.MaybeError(op)
		if err != nil {
			failed = op
		}
		return err
	})
	o := &faultOracle{}
	res, err := faultSyncRun(errorfs.Wrap(mem, inj), o, injected, idx.Fired)
	switch {
	case err != nil:
		t.Errorf("%s: %v", what, err)
	case !idx.Fired():
		t.Errorf("%s: nothing failed", what)
	case res.ackedAfter > 0:
		t.Errorf("%s (%s): %d commits acknowledged after the failure", what, failed, res.ackedAfter)
	case len(syncsAfter) > 0:
		t.Errorf("%s (%s): the failed WAL was synced again: %v", what, failed, syncsAfter)
	}
	img := mem.CrashClone(vfs.CrashOptions{Rand: faultRand(uint64(idx.Count()))})
	if _, err := faultRecover(img, faultSyncOptions(img), o, o.synced); err != nil {
		t.Errorf("%s (%s): after power loss: %v", what, failed, err)
	}
	if _, err := faultRecover(mem, faultSyncOptions(mem), o, o.acked); err != nil {
		t.Errorf("%s (%s): after restart: %v", what, failed, err)
	}
}
