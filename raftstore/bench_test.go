package raftstore

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftbench "github.com/hashicorp/raft/bench"

	"github.com/tempestdb/tempest"
)

// benchStore is a raft log and stable store under benchmark.
type benchStore interface {
	raft.LogStore
	raft.StableStore
}

// benchStores open each compared store, fresh, in a directory: a Store
// in a Tempest DB with default options, and raft-boltdb/v2's BoltStore
// (both sync every write).
var benchStores = []struct {
	name string
	open func(b *testing.B, dir string) (benchStore, func())
}{
	{"tempest", func(b *testing.B, dir string) (benchStore, func()) {
		db, err := tempest.Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		s, err := New(db, []byte("bench/"))
		if err != nil {
			b.Fatal(err)
		}
		return s, func() { db.Close() }
	}},
	{"boltdb", func(b *testing.B, dir string) (benchStore, func()) {
		s, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s, func() { s.Close() }
	}},
}

// BenchmarkRaftStores runs hashicorp/raft's own bench package over each
// store, so that their figures come from one run:
// go test -run X -bench RaftStores ./raftstore.
func BenchmarkRaftStores(b *testing.B) {
	logBenches := []struct {
		name string
		fn   func(*testing.B, raft.LogStore)
	}{
		{"FirstIndex", raftbench.FirstIndex}, {"LastIndex", raftbench.LastIndex},
		{"GetLog", raftbench.GetLog}, {"StoreLog", raftbench.StoreLog},
		{"StoreLogs", raftbench.StoreLogs}, {"DeleteRange", raftbench.DeleteRange},
	}
	stableBenches := []struct {
		name string
		fn   func(*testing.B, raft.StableStore)
	}{
		{"Set", raftbench.Set}, {"Get", raftbench.Get},
		{"SetUint64", raftbench.SetUint64}, {"GetUint64", raftbench.GetUint64},
	}
	for _, s := range benchStores {
		for _, lb := range logBenches {
			b.Run(lb.name+"/"+s.name, func(b *testing.B) {
				store, done := s.open(b, b.TempDir())
				defer done()
				lb.fn(b, store)
			})
		}
		for _, sb := range stableBenches {
			b.Run(sb.name+"/"+s.name, func(b *testing.B) {
				store, done := s.open(b, b.TempDir())
				defer done()
				sb.fn(b, store)
			})
		}
	}
}
