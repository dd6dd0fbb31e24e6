package vfs_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// FuzzMemFSCrash interprets the input as a workload script and checks the
// crash invariants on the outcome.
func FuzzMemFSCrash(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint64(0))
	f.Add([]byte{0, 0, 1, 3, 40, 2, 5, 4, 6, 1, 7, 2, 8, 3}, uint8(50), uint64(1))
	f.Add([]byte("create write sync rename remove dirsync close and more bytes"), uint8(30), uint64(7))
	f.Add([]byte{1, 1, 2, 4, 200, 3, 5, 9, 6, 0, 7, 1, 2, 1, 8, 4, 4, 255, 0, 9}, uint8(100), uint64(3))
	f.Fuzz(func(t *testing.T, script []byte, pct uint8, seed uint64) {
		pos := 0
		intn := func(n int) int {
			if pos >= len(script) {
				return 0
			}
			v := int(script[pos]) % n
			pos++
			return v
		}
		fs := vfs.NewMem()
		w := newWorkload(fs, intn)
		defer w.close()
		for pos < len(script) {
			if err := w.step(); err != nil {
				t.Fatal(err)
			}
		}
		c := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: int(pct % 101),
			Rand: rand.New(rand.NewPCG(seed, 0))})
		if err := w.check(c); err != nil {
			t.Fatalf("%v\n%s", err, fs)
		}
		if err := w.checkComplete(fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100})); err != nil {
			t.Fatalf("%v\n%s", err, fs)
		}
	})
}
