package peers

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/benchmark"
)

// TestEveryEngineEveryWorkload runs every workload on every engine at a
// tiny size: the adapters must pass the workloads' own checks (reads find
// what was written, misses miss, queues pop in order). This module's tests
// are not part of the root module's `go test ./...`; run them with
// `cd benchmark/peers && go test ./...`.
func TestEveryEngineEveryWorkload(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			opts := benchmark.Options{Num: 3000, Concurrency: 2, MemTableSize: 1 << 20, Dir: t.TempDir()}
			e, err := New(name)
			if err != nil {
				t.Fatal(err)
			}
			newEngine := func() benchmark.Engine {
				e, err := New(name)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			results, err := benchmark.Run(context.Background(), newEngine, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range results {
				var b bytes.Buffer
				res.WriteText(&b)
				t.Log(b.String())
				if res.Error != "" {
					t.Errorf("%s: %s", res.Workload, res.Error)
				}
				if res.Unsupported != "" {
					if _, ok := e.(benchmark.Transactor); ok || !strings.HasPrefix(res.Workload, "txn-") {
						t.Errorf("%s: unsupported (%s) on an engine that can run it", res.Workload, res.Unsupported)
					}
					continue
				}
				if res.Ops == 0 || res.DiskBytes == 0 {
					t.Errorf("%s: %d ops, %d bytes on disk", res.Workload, res.Ops, res.DiskBytes)
				}
				checkSyncFigures(t, name, res, opts)
			}
		})
	}
}

func TestNewUnknown(t *testing.T) {
	if _, err := New("rocksdb"); err == nil {
		t.Fatal("unknown engine accepted")
	}
}

// checkSyncFigures checks the group-commit figures of an fsync-bound
// result: engines that report them (SyncStater) count one synced commit
// per operation and at least one per fsync; the others report none.
func checkSyncFigures(t *testing.T, engine string, res benchmark.Result, opts benchmark.Options) {
	t.Helper()
	s := res.Sync
	if !benchmark.FsyncBound(res.Workload, opts) {
		if s != nil {
			t.Errorf("%s: sync figures on a workload that is not fsync-bound", res.Workload)
		}
		return
	}
	if s == nil {
		t.Errorf("%s: no sync figures", res.Workload)
		return
	}
	e, _ := New(engine)
	if _, ok := e.(benchmark.SyncStater); !ok {
		if s.Commits != 0 || s.Syncs != 0 || s.CommitsPerSync != 0 {
			t.Errorf("%s: figures %+v from an engine that does not report them", res.Workload, s)
		}
		return
	}
	if s.Commits != uint64(res.Ops) || s.Syncs < 1 || s.CommitsPerSync < 1 {
		t.Errorf("%s: figures %+v for %d ops", res.Workload, s, res.Ops)
	}
}

// TestSettingsReachEngines: each engine reports (Describer) the options of
// the settings it ran with: equal-4 gives every LSM a 4 MiB memtable and
// one memtable waiting; defaults gives each its own.
func TestSettingsReachEngines(t *testing.T) {
	want := map[string]map[string]string{
		benchmark.SettingsEqual4: {
			"tempest": "memtable 4.0MiB, 1 waiting", "pebble": "memtable 4.0MiB, stop writes at 2 memtables",
			"badger": "memtable 4.0MiB, 2 memtables in all", "goleveldb": "memtable 4.0MiB, 1 waiting", "bbolt": "mmap B+tree",
		},
		benchmark.SettingsDefaults: {
			"tempest": "memtable 8.0MiB, 4 waiting", "pebble": "memtable 4.0MiB, stop writes at 2 memtables, cache 8.0MiB",
			"badger": "memtable 64.0MiB, 5 memtables in all", "goleveldb": "memtable 4.0MiB, 1 waiting", "bbolt": "mmap B+tree",
		},
	}
	for settings, engines := range want {
		for name, prefix := range engines {
			t.Run(settings+"/"+name, func(t *testing.T) {
				e, err := New(name)
				if err != nil {
					t.Fatal(err)
				}
				opts := benchmark.Options{Num: 500, Settings: settings, Benchmarks: []string{"fillrandom"}, Dir: t.TempDir()}
				results, err := benchmark.Run(context.Background(), func() benchmark.Engine { return e }, opts, nil)
				if err != nil || len(results) != 1 || results[0].Error != "" {
					t.Fatalf("run: %v %+v", err, results)
				}
				if got := results[0].EngineOptions; !strings.HasPrefix(got, prefix) {
					t.Fatalf("options %q, want them to begin %q", got, prefix)
				}
			})
		}
	}
}

// TestPebbleValueSeparation: Pebble's own value separation is on, at the
// run's threshold, exactly when the workload's values reach it, and the
// report says which; the values read back either way.
func TestPebbleValueSeparation(t *testing.T) {
	for _, tc := range []struct {
		valueSize int
		want      string
	}{
		{100, "value separation off"},
		{2048, "value separation from 1024 bytes"},
	} {
		opts := benchmark.Options{Num: 2000, ValueSize: tc.valueSize, ValueThreshold: 1024,
			Benchmarks: []string{"fillrandom", "readrandom"}, Dir: t.TempDir()}
		results, err := benchmark.Run(context.Background(), func() benchmark.Engine { e, _ := New("pebble"); return e }, opts, nil)
		if err != nil || len(results) != 2 {
			t.Fatalf("%d-byte values: %v %+v", tc.valueSize, err, results)
		}
		for _, r := range results {
			if r.Error != "" || !strings.Contains(r.EngineOptions, tc.want) {
				t.Fatalf("%d-byte values, %s: error %q, options %q, want %q", tc.valueSize, r.Workload, r.Error, r.EngineOptions, tc.want)
			}
		}
	}
}
