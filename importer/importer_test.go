package importer_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/dgraph-io/badger/v4"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/importer"
	"github.com/tempestdb/tempest/internal/testutil"
)

// importKeys is the number of keys the tests write to each source:
// TEMPEST_IMPORT_KEYS, or 20,000.
func importKeys(t *testing.T) int {
	if s := os.Getenv("TEMPEST_IMPORT_KEYS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("TEMPEST_IMPORT_KEYS=%q: want a positive integer", s)
		}
		return n
	}
	return 20_000
}

// op is one write to a source: a Set, or a Delete when del is true.
type op struct {
	key, value []byte
	del        bool
}

// sourceOps are n keys' writes in random order, with 10% of them
// overwritten and 5% deleted afterwards, and the state they leave.
func sourceOps(seed uint64, n int) ([]op, map[string]string) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ops []op
	want := map[string]string{}
	set := func(k string) {
		v := make([]byte, 16+rng.IntN(200))
		for i := range v {
			v[i] = byte(rng.IntN(256)) // any byte, zero included
		}
		ops = append(ops, op{key: []byte(k), value: v})
		want[k] = string(v)
	}
	for _, i := range rng.Perm(n) {
		set(fmt.Sprintf("user:%08d", i))
	}
	for range n / 10 {
		set(fmt.Sprintf("user:%08d", rng.IntN(n)))
	}
	for range n / 20 {
		k := fmt.Sprintf("user:%08d", rng.IntN(n))
		ops = append(ops, op{key: []byte(k), del: true})
		delete(want, k)
	}
	return ops, want
}

// writeSource creates a database of engine kind in dir holding ops.
func writeSource(t *testing.T, kind, dir string, ops []op) {
	t.Helper()
	var err error
	switch kind {
	case "goleveldb":
		err = writeGoLevelDB(dir, ops)
	case "pebble":
		err = writePebble(dir, ops)
	case "badger":
		err = writeBadger(dir, ops)
	}
	if err != nil {
		t.Fatalf("writing the %s source: %v", kind, err)
	}
}

func writeGoLevelDB(dir string, ops []op) error {
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		return err
	}
	b := new(leveldb.Batch)
	for i, o := range ops {
		if o.del {
			b.Delete(o.key)
		} else {
			b.Put(o.key, o.value)
		}
		if b.Len() == 1000 || i == len(ops)-1 {
			if err := db.Write(b, nil); err != nil {
				return errors.Join(err, db.Close())
			}
			b.Reset()
		}
	}
	return db.Close()
}

func writePebble(dir string, ops []op) error {
	db, err := pebble.Open(dir, &pebble.Options{MemTableSize: 1 << 20})
	if err != nil {
		return err
	}
	b := db.NewBatch()
	for i, o := range ops {
		if o.del {
			err = b.Delete(o.key, nil)
		} else {
			err = b.Set(o.key, o.value, nil)
		}
		if err == nil && (b.Count() == 1000 || i == len(ops)-1) {
			err = b.Commit(pebble.NoSync)
			b = db.NewBatch()
		}
		if err != nil {
			return errors.Join(err, db.Close())
		}
	}
	return db.Close()
}

func writeBadger(dir string, ops []op) error {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(1 << 20).WithValueThreshold(64))
	if err != nil {
		return err
	}
	wb := db.NewWriteBatch()
	for _, o := range ops {
		if o.del {
			err = wb.Delete(o.key)
		} else {
			err = wb.Set(o.key, o.value)
		}
		if err != nil {
			wb.Cancel()
			return errors.Join(err, db.Close())
		}
	}
	return errors.Join(wb.Flush(), db.Close())
}

// dumpTempest is the state of the DB in dir.
func dumpTempest(t *testing.T, db *tempest.DB) map[string]string {
	t.Helper()
	it, err := db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	got := map[string]string{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestImport writes each engine's database with the engine's own
// library, imports it into an empty Tempest DB, and checks the result
// key by key against the state the writes made (not only through
// Verify, which reads the source the way Import does), after a reopen
// too.
func TestImport(t *testing.T) {
	seed := testutil.Seed(t)
	n := importKeys(t)
	ops, want := sourceOps(seed, n)
	for _, kind := range importer.Kinds {
		t.Run(kind, func(t *testing.T) {
			root := t.TempDir()
			srcDir, dest := filepath.Join(root, "src"), filepath.Join(root, "dest")
			writeSource(t, kind, srcDir, ops)
			src, err := importer.Open(kind, srcDir)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			db, err := tempest.Open(dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Small tables make several files of the default size; a long
			// run (TEMPEST_IMPORT_KEYS) imports as the command does.
			o := importer.Options{TargetFileSize: 256 << 10}
			if os.Getenv("TEMPEST_IMPORT_KEYS") != "" {
				o = importer.Options{}
			}
			res, err := importer.Import(src, db, dest, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d keys, %.1f MiB, %d SSTs in %v: %.0f keys/s", kind, res.Keys, float64(res.Bytes)/(1<<20), res.Files, res.Elapsed.Round(time.Millisecond), res.KeysPerSecond())
			if res.Keys != int64(len(want)) || res.Files < 1 || res.Token.IsZero() || (o.TargetFileSize > 0 && res.Files < 2) {
				t.Fatalf("result %+v: want %d keys in SSTs at a nonzero token", res, len(want))
			}
			if m, err := importer.Verify(src, db, true); err != nil || m != int64(len(want)) {
				t.Fatalf("Verify: %d keys, %v", m, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = tempest.Open(dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := dumpTempest(t, db); !maps.Equal(got, want) {
				t.Fatalf("after reopen: %d keys, want %d (or values differ)", len(got), len(want))
			}
			if err := db.Check(); err != nil {
				t.Fatal(err)
			}
			if entries, _ := filepath.Glob(filepath.Join(root, ".dest.import-*")); len(entries) != 0 {
				t.Fatalf("the temporary directory %v is left behind", entries)
			}
		})
	}
}

// TestImportOverExisting imports into a DB that holds some of the
// source's keys and others: the source's keys take its values, the
// others stay, and Verify accepts it (not exact) and refuses it (exact)
// naming an extra key.
func TestImportOverExisting(t *testing.T) {
	seed := testutil.Seed(t)
	ops, want := sourceOps(seed, 2000)
	root := t.TempDir()
	srcDir, dest := filepath.Join(root, "src"), filepath.Join(root, "dest")
	writeSource(t, "goleveldb", srcDir, ops)
	db, err := tempest.Open(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 3000; i += 2 { // every other source key, and 1000 more
		k := fmt.Sprintf("user:%08d", i)
		if err := db.Set([]byte(k), []byte("old"), nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := want[k]; !ok {
			want[k] = "old"
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := importer.Open("goleveldb", srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := importer.Import(src, db, dest, importer.Options{TargetFileSize: 32 << 10}); err != nil {
		t.Fatal(err)
	}
	if got := dumpTempest(t, db); !maps.Equal(got, want) {
		t.Fatalf("%d keys, want %d (or values differ)", len(got), len(want))
	}
	if _, err := importer.Verify(src, db, false); err != nil {
		t.Fatalf("Verify, not exact: %v", err)
	}
	if _, err := importer.Verify(src, db, true); !errors.Is(err, importer.ErrMismatch) {
		t.Fatalf("Verify, exact, with extra keys: %v, want ErrMismatch", err)
	}
}

// TestVerifyFindsDifferences: Verify names a changed value and a missing
// key.
func TestVerifyFindsDifferences(t *testing.T) {
	ops, _ := sourceOps(1, 500)
	root := t.TempDir()
	srcDir, dest := filepath.Join(root, "src"), filepath.Join(root, "dest")
	writeSource(t, "pebble", srcDir, ops)
	src, err := importer.Open("pebble", srcDir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	db, err := tempest.Open(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := importer.Import(src, db, dest, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	var first []byte
	if err := src.Scan(func(k, _ []byte) error { first = bytes.Clone(k); return errStop }); !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	if err := db.Set(first, []byte("changed"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Verify(src, db, true); !errors.Is(err, importer.ErrMismatch) {
		t.Fatalf("Verify after a value changed: %v, want ErrMismatch", err)
	}
	if err := db.Delete(first, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Verify(src, db, false); !errors.Is(err, importer.ErrMismatch) {
		t.Fatalf("Verify after a key was deleted: %v, want ErrMismatch", err)
	}
}

var errStop = errors.New("stop")

// TestOpenRefuses: an unknown engine and a missing directory are errors,
// and no directory is created.
func TestOpenRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	for _, kind := range append(importer.Kinds, "rocksdb") {
		if _, err := importer.Open(kind, dir); err == nil {
			t.Fatalf("Open(%s) of a missing directory succeeded", kind)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open(%s) created %s", kind, dir)
		}
	}
}
