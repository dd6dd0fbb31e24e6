package backup_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/backup"
	"github.com/tempestdb/tempest/vfs"
)

// dbOptions are small-table options on fs, with inline background work,
// so a few hundred KB spread over many SSTs.
func dbOptions(fs vfs.FS) *tempest.Options {
	return &tempest.Options{
		FS:                    fs,
		MemTableSize:          tempest.MinMemTableSize,
		MaxImmutableMemTables: 2,
		TargetFileSize:        4 << 10,
		LBaseMaxBytes:         256 << 10,
		BlockSize:             1 << 10,
		Scheduler:             tempest.InlineScheduler{},
	}
}

// model is the expected state of a DB.
type model map[string]string

func (m model) clone() model { return maps.Clone(m) }

func key(i int) string { return fmt.Sprintf("key%06d", i) }

// randValue is an incompressible value of n bytes.
func randValue(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}

// put writes keys [lo, hi), in random order, with fresh values and
// records them in m.
func put(t *testing.T, d *tempest.DB, m model, rng *rand.Rand, lo, hi, valueSize int) {
	t.Helper()
	for _, j := range rng.Perm(hi - lo) {
		i := lo + j
		v := randValue(rng, valueSize)
		if err := d.Set([]byte(key(i)), []byte(v), nil); err != nil {
			t.Fatal(err)
		}
		m[key(i)] = v
	}
}

// dump returns the state of d.
func dump(d *tempest.DB) (model, error) {
	it, err := d.NewIter(nil)
	if err != nil {
		return nil, err
	}
	got := model{}
	for ok := it.First(); ok; ok = it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		it.Close()
		return nil, err
	}
	return got, it.Close()
}

// openState opens dir on fs, checks it, and returns its state.
func openState(fs vfs.FS, dir string) (model, error) {
	d, err := tempest.Open(dir, dbOptions(fs))
	if err != nil {
		return nil, err
	}
	got, err := dump(d)
	if err == nil {
		err = d.Check()
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return got, err
}

// checkRestore verifies backup id, restores it to dest and requires the
// result to equal want.
func checkRestore(fs vfs.FS, repo string, id uint64, dest string, want model) error {
	o := backup.Options{FS: fs}
	if err := o.Verify(repo, id); err != nil {
		return err
	}
	if err := o.Restore(repo, id, dest); err != nil {
		return err
	}
	got, err := openState(fs, dest)
	if err != nil {
		return fmt.Errorf("open restored %d: %w", id, err)
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("restored backup %d: %d keys, want %d (or values differ)", id, len(got), len(want))
	}
	return nil
}
