package benchmark

import (
	"bytes"
	"flag"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestKeyOrderAndSize(t *testing.T) {
	f := keyFormat{16}
	prev := f.main(nil, 0)
	for n := uint64(0); n < 1000; n++ {
		k, miss := f.main(nil, n), f.missing(nil, n)
		if len(k) != 16 || len(miss) != 16 {
			t.Fatalf("key sizes %d, %d", len(k), len(miss))
		}
		if n > 0 && bytes.Compare(prev, k) >= 0 {
			t.Fatalf("key %d does not sort after key %d", n, n-1)
		}
		if bytes.Compare(k, miss) >= 0 || bytes.Compare(miss, f.main(nil, n+1)) >= 0 {
			t.Fatalf("missing key %d is not between keys %d and %d", n, n, n+1)
		}
		if f.number(k) != 2*n {
			t.Fatalf("number(key %d) = %d", n, f.number(k))
		}
		prev = k
	}
	if q := f.appendKey(nil, tagQueue, 0); bytes.Compare(q, prev) <= 0 {
		t.Fatal("queue keys do not sort after main keys")
	}
}

func TestPermutationIsBijection(t *testing.T) {
	rng := testRand(t)
	for _, n := range []uint64{1, 2, 3, 10, 97, 1000, 4096} {
		p := newPermutation(n, rng)
		seen := make([]bool, n)
		for i := range n {
			v := p.at(i)
			if v >= n || seen[v] {
				t.Fatalf("n=%d %+v: at(%d) = %d repeats or is out of range", n, p, i, v)
			}
			seen[v] = true
		}
	}
}

func TestValueSourceCompressible(t *testing.T) {
	s := newValueSource(1, 100)
	rng := testRand(t)
	v := s.value(rng)
	if len(v) != 100 {
		t.Fatalf("value of %d bytes", len(v))
	}
	// Each 100-byte run is 50 random bytes repeated once.
	run := s.buf[:100]
	if !bytes.Equal(run[:50], run[50:]) {
		t.Fatalf("run is not half repeated: %q", run)
	}
}

func TestLiveSet(t *testing.T) {
	s := newLiveSet(100)
	s.add(3)
	s.add(3)
	s.add(64)
	s.remove(5)
	if n, ok := s.len(); n != 2 || !ok {
		t.Fatalf("len = %d, %v", n, ok)
	}
	s.remove(3)
	s.add(1000)
	if n, ok := s.len(); n != 1 || ok {
		t.Fatalf("after overflow len = %d, %v", n, ok)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "512": 512, "4MiB": 4 << 20, "64kb": 64 << 10, "1G": 1 << 30, "2 MB": 2 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "4XB", "1.5M", "99999999999G"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestOptionsArgsRoundTrip(t *testing.T) {
	in := Options{
		Benchmarks: []string{"fillseq", "ycsb-e"}, Num: 1234, Duration: 3 * time.Second, Concurrency: 3,
		KeySize: 20, ValueSize: 50, Sync: true, Seed: 9, MemTableSize: 1 << 20, CacheSize: 3 << 20,
		Compression: "none", Distribution: "uniform", Dir: "/x", FsyncProbe: 5 * time.Second,
		SettleWait: 7 * time.Second,
	}
	out := DefaultOptions()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	out.RegisterFlags(fs)
	if err := fs.Parse(in.Args()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Benchmarks, out.Benchmarks) {
		t.Fatalf("benchmarks %v", out.Benchmarks)
	}
	in.Benchmarks, out.Benchmarks = nil, nil
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{
		{Benchmarks: []string{"nope"}}, {Num: -1}, {KeySize: 8}, {Concurrency: -2}, {ValueSize: MaxValueSize + 1},
		{MemTableSize: 1000}, {Compression: "lz4"}, {Distribution: "normal"}, {Duration: -time.Second},
		{FsyncProbe: -time.Second}, {FsyncProbe: time.Hour}, {SettleWait: -time.Second}, {SettleWait: 2 * time.Hour},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o := Options{}
	if err := o.Validate(); err != nil || !slices.Equal(o.Benchmarks, Names()) || o.Num != DefaultNum {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	o = Options{Benchmarks: []string{FsyncProbeName, "sync16"}}
	if err := o.Validate(); err != nil || o.FsyncProbe != DefaultFsyncProbe {
		t.Fatalf("probe entry: %+v, %v", o, err)
	}
	if !strings.Contains(Describe("ycsb-f"), "read-modify-write") {
		t.Errorf("ycsb-f: %q", Describe("ycsb-f"))
	}
}
