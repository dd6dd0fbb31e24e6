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

func BenchmarkAdd(b *testing.B) {
	keys := randomKeys(1 << 16)
	value := make([]byte, 100)
	m := New(base.DefaultComparer, benchArena, 1)
	b.SetBytes(int64(len(keys[0]) + len(value)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		err := m.Add(base.MakeInternalKey(k, base.SeqNum(i), base.KindSet), value)
		if err == ErrArenaFull {
			b.StopTimer()
			m = New(base.DefaultComparer, benchArena, uint64(i))
			b.StartTimer()
			err = m.Add(base.MakeInternalKey(k, base.SeqNum(i), base.KindSet), value)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
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
	value := make([]byte, 100)
	m := New(base.DefaultComparer, benchArena, 1)
	b.SetBytes(int64(16 + len(value)))
	b.ReportAllocs()
	var k []byte
	for i := 0; b.Loop(); i++ {
		k = binary.BigEndian.AppendUint64(append(k[:0], "key-\x00\x00\x00\x00"...), uint64(i))
		err := m.Add(base.MakeInternalKey(k, base.SeqNum(i), base.KindSet), value)
		if err == ErrArenaFull {
			b.StopTimer()
			m = New(base.DefaultComparer, benchArena, uint64(i))
			b.StartTimer()
			err = m.Add(base.MakeInternalKey(k, base.SeqNum(i), base.KindSet), value)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
