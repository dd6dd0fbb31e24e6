package memtable

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/tempestdb/tempest/internal/base"
)

const benchArena = 64 << 20

func randomKeys(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([][]byte, n)
	for i := range keys {
		k := make([]byte, 16)
		for j := 0; j < 16; j += 8 {
			v := rng.Uint64()
			for b := 0; b < 8; b++ {
				k[j+b] = byte(v >> (8 * b))
			}
		}
		keys[i] = k
	}
	return keys
}

// filled returns a memtable holding n random 16-byte keys with 100-byte
// values, and the keys.
func filled(b *testing.B, n int) (*Memtable, [][]byte) {
	keys := randomKeys(n)
	m := New(base.DefaultComparer, benchArena, 1)
	value := make([]byte, 100)
	for i, k := range keys {
		if err := m.Add(base.MakeInternalKey(k, base.SeqNum(i), base.KindSet), value); err != nil {
			b.Fatal(err)
		}
	}
	return m, keys
}

// benchAdd adds key(i) with a 100-byte value for each iteration i,
// starting a new memtable (off the clock) whenever one is full.
func benchAdd(b *testing.B, keyLen int, key func(i int) []byte) {
	value := make([]byte, 100)
	m := New(base.DefaultComparer, benchArena, 1)
	b.SetBytes(int64(keyLen + len(value)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ik := base.MakeInternalKey(key(i), base.SeqNum(i), base.KindSet)
		err := m.Add(ik, value)
		if err == ErrArenaFull {
			b.StopTimer()
			m = New(base.DefaultComparer, benchArena, uint64(i))
			b.StartTimer()
			err = m.Add(ik, value)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	keys := randomKeys(1 << 16)
	benchAdd(b, len(keys[0]), func(i int) []byte { return keys[i&(len(keys)-1)] })
}

func BenchmarkSeekGE(b *testing.B) {
	m, keys := filled(b, 200000)
	it := m.NewIter()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !it.SeekGE(base.MakeSearchKey(keys[i%len(keys)], base.SeqNumMax)) {
			b.Fatal("key not found")
		}
	}
}

func BenchmarkIterNext(b *testing.B) {
	m, _ := filled(b, 200000)
	it := m.NewIter()
	it.First()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !it.Next() {
			it.First()
		}
	}
}

func BenchmarkIterPrev(b *testing.B) {
	m, _ := filled(b, 200000)
	it := m.NewIter()
	it.Last()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !it.Prev() {
			it.Last()
		}
	}
}

// BenchmarkAddSequential inserts ascending keys, as a bulk load or an
// append-only log does; Add then reuses the previous splice.
func BenchmarkAddSequential(b *testing.B) {
	var k []byte
	benchAdd(b, 16, func(i int) []byte {
		k = binary.BigEndian.AppendUint64(append(k[:0], "key-\x00\x00\x00\x00"...), uint64(i))
		return k
	})
}

// BenchmarkAddRandom inserts fresh random 16-byte keys with 100-byte
// values into a 64 MiB memtable, as a random load at the default
// memtable size does: the skiplist search and the prefix filter miss the
// CPU cache.
func BenchmarkAddRandom(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	k := make([]byte, 16)
	benchAdd(b, len(k), func(int) []byte {
		binary.LittleEndian.PutUint64(k, rng.Uint64())
		binary.LittleEndian.PutUint64(k[8:], rng.Uint64())
		return k
	})
}
