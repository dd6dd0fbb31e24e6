package raftstore

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
)

// TestCodecRoundTrip encodes entries of every type with and without
// data, extensions and a time, and requires each to decode equal.
func TestCodecRoundTrip(t *testing.T) {
	seed := testSeed(t)
	rng := newRand(seed)
	for i := range 2000 {
		l := &raft.Log{Index: rng.Uint64(), Term: rng.Uint64() >> rng.UintN(64), Type: raft.LogType(rng.UintN(6))}
		if rng.IntN(2) == 0 {
			l.Data = randBytes(rng, 1+rng.IntN(300))
		}
		if rng.IntN(2) == 0 {
			l.Extensions = randBytes(rng, 1+rng.IntN(20))
		}
		if rng.IntN(2) == 0 {
			l.AppendedAt = time.Unix(rng.Int64N(1<<33), rng.Int64N(1e9))
		}
		var got raft.Log
		if err := decodeLog(l.Index, encodeLog(nil, l), &got); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if !sameLog(l, &got) {
			t.Fatalf("entry %d: got %+v, want %+v", i, got, *l)
		}
	}
}

// TestCodecRejectsDamage requires every truncation of an encoded entry,
// trailing bytes and an unknown version to decode as ErrCorruption.
func TestCodecRejectsDamage(t *testing.T) {
	v := encodeLog(nil, testLog(6, 3))
	var l raft.Log
	for n := range len(v) {
		if err := decodeLog(6, v[:n], &l); !errors.Is(err, tempest.ErrCorruption) {
			t.Fatalf("truncated to %d of %d bytes: %v, want ErrCorruption", n, len(v), err)
		}
	}
	if err := decodeLog(6, append(v[:len(v):len(v)], 0), &l); !errors.Is(err, tempest.ErrCorruption) {
		t.Fatalf("trailing byte: %v, want ErrCorruption", err)
	}
	bad := append([]byte{}, v...)
	bad[0] = logVersion + 1
	if err := decodeLog(6, bad, &l); !errors.Is(err, tempest.ErrCorruption) {
		t.Fatalf("version %d: %v, want ErrCorruption", bad[0], err)
	}
}
