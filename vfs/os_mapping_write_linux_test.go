//go:build linux

package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOSMappingLargeStores stores records of one to three slices, of
// sizes on both sides of writeFrom, through small windows: the large
// stores, and only they, go through pwritev(2) (here cut into short
// writes that end inside and between slices), and the file holds every
// byte in order. A small store after large ones is still prepared for by
// the pager.
func TestOSMappingLargeStores(t *testing.T) {
	setTunables(t, 64<<10, 16<<10, 32<<10)
	old := writeFrom
	t.Cleanup(func() { writeFrom = old })
	writeFrom = 8 << 10
	var calls int
	hookSyscall(t, &pwritev, func(fd int, iovs [][]byte, off int64) (int, error) {
		calls++
		// Write at most 5000 bytes, of the first two slices.
		var short [][]byte
		left := 5000
		for _, q := range iovs[:min(len(iovs), 2)] {
			k := min(len(q), left)
			short, left = append(short, q[:k]), left-k
		}
		return unix.Pwritev(fd, short, off)
	})
	_, m, path := mapTemp(t)
	var want []byte
	large := 0
	for i := 0; len(want) < 1<<20; i++ {
		var p [][]byte
		size := 0
		for j := range 1 + i%3 {
			q := bytes.Repeat([]byte{byte(i + j + 1)}, (i*7919+j*104729)%(2*int(writeFrom)))
			p, size = append(p, q), size+len(q)
		}
		if int64(size) >= writeFrom {
			large++
		}
		off := int64(len(want))
		if err := m.Allocate(off + int64(size)); err != nil {
			t.Fatal(err)
		}
		if err := m.Store(off, p...); err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Join(p, nil)...)
	}
	if large == 0 || calls < large {
		t.Fatalf("%d pwritev calls for %d large stores", calls, large)
	}
	end := int64(len(want))
	if err := m.Allocate(end + 64<<10); err != nil {
		t.Fatal(err)
	}
	if err := m.Store(end, []byte("small")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "small"...)
	deadline := time.Now().Add(10 * time.Second)
	for m.pager.populated.Load() < end+5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := m.pager.populated.Load(); got < end+5 {
		t.Errorf("pages prepared up to %d, below the small store's end %d", got, end+5)
	}
	unmapAndCheck(t, m, path, want)
}

// TestOSMappingLargeStoreErrors checks that a failed pwritev(2) of a
// large store is its error, that one writing nothing is an error too,
// never a loop, and that a large store past the allocated size is
// refused as a small one is.
func TestOSMappingLargeStoreErrors(t *testing.T) {
	_, m, _ := mapTemp(t)
	if err := m.Allocate(4 * writeFrom); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, writeFrom)
	hookSyscall(t, &pwritev, func(int, [][]byte, int64) (int, error) { return 0, unix.EIO })
	if err := m.Store(0, p); !errors.Is(err, unix.EIO) {
		t.Fatalf("Store: %v, want EIO", err)
	}
	pwritev = func(int, [][]byte, int64) (int, error) { return 0, nil }
	if err := m.Store(0, p[:1], p[1:]); err == nil {
		t.Fatal("Store of which nothing was written succeeded")
	}
	if err := m.Store(4*writeFrom-1, p); !errors.Is(err, ErrMappingFault) {
		t.Fatalf("large Store past the allocated size: %v, want ErrMappingFault", err)
	}
}

// BenchmarkOSMappingStore appends stores of one size to a file whose
// space is allocated ahead, as the WAL does: "copy" through the window
// (page faults, or the pager's prefault), "pwrite" with the system call
// (pwritev(2)).
// cpu-ns/op counts the process's CPU time, the pager's included (and
// the allocations and truncations).
func BenchmarkOSMappingStore(b *testing.B) {
	for _, size := range []int64{4 << 10, 16 << 10, 64 << 10, 1 << 20, 4 << 20} {
		for _, mode := range []string{"copy", "pwrite"} {
			b.Run(fmt.Sprintf("size=%d/%s", size, mode), func(b *testing.B) {
				old := writeFrom
				defer func() { writeFrom = old }()
				writeFrom = 1 << 62
				if mode == "pwrite" {
					writeFrom = 0
				}
				f, err := Default.Create(b.TempDir() + "/f")
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				mp, err := f.(MappableFile).Map()
				if err != nil {
					b.Fatal(err)
				}
				defer mp.Unmap()
				p := bytes.Repeat([]byte{7}, int(size))
				// The space is allocated 64 MiB ahead, as the WAL does; a
				// file of 256 MiB is cut back to nothing (its dirty pages
				// dropped, not written back), as a WAL is replaced.
				const step, limit = 64 << 20, 256 << 20
				var off, allocated int64
				b.SetBytes(size)
				start := cpuTime()
				for b.Loop() {
					if off+size > limit {
						if err := mp.Truncate(0); err != nil {
							b.Fatal(err)
						}
						off, allocated = 0, 0
					}
					if off+size > allocated {
						allocated += step
						if err := mp.Allocate(allocated); err != nil {
							b.Fatal(err)
						}
					}
					if err := mp.Store(off, p); err != nil {
						b.Fatal(err)
					}
					off += size
				}
				b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// cpuTime is the process's CPU time so far.
func cpuTime() time.Duration {
	var r unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
