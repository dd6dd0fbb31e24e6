package tempest

import (
	"context"
	"errors"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// The compaction horizon survives a restart: a token whose versions a
// compaction dropped is refused by NewSnapshotAt before and after
// reopening, while a later token is accepted.
func TestHorizonSurvivesRestart(t *testing.T) {
	fs := vfs.NewMem()
	o := smallOptions(fs)
	d := mustOpen(t, "/db", o)
	b := d.NewBatch()
	b.Set([]byte("k"), []byte("v1"))
	old, err := d.Apply(b, NoSync)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set([]byte("k"), []byte("v2"), NoSync); err != nil {
		t.Fatal(err)
	}
	if err := d.Compact(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	refused := func(stage string) {
		t.Helper()
		if s, err := d.NewSnapshotAt(old); !errors.Is(err, ErrInvalidArgument) {
			if s != nil {
				v, _ := s.Get([]byte("k"))
				s.Close()
				t.Fatalf("%s: NewSnapshotAt(%v) accepted, reads k=%q (v1 is gone)", stage, old, v)
			}
			t.Fatalf("%s: NewSnapshotAt: %v", stage, err)
		}
	}
	refused("before restart")
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	defer mustClose(t, d)
	refused("after restart")
	b = d.NewBatch()
	b.Set([]byte("k"), []byte("v3"))
	tok, err := d.Apply(b, NoSync)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.NewSnapshotAt(tok)
	if err != nil {
		t.Fatalf("NewSnapshotAt of a new token: %v", err)
	}
	s.Close()
}

// A committed batch that left no entry behind (an empty batch, here
// flushed and its WAL deleted) keeps its token valid after a restart: Open
// makes its seqnum visible from the manifest.
func TestEmptyBatchTokenSurvivesRestart(t *testing.T) {
	fs := vfs.NewMem()
	o := smallOptions(fs)
	o.DisableAutomaticCompactions = true
	d := mustOpen(t, "/db", o)
	if err := d.Set([]byte("a"), []byte("1"), NoSync); err != nil {
		t.Fatal(err)
	}
	tok, err := d.Apply(d.NewBatch(), NoSync)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	defer mustClose(t, d)
	s, err := d.NewSnapshotAt(tok)
	if err != nil {
		t.Fatalf("NewSnapshotAt(%v) after restart: %v", tok, err)
	}
	defer s.Close()
	if v, err := s.Get([]byte("a")); err != nil || string(v) != "1" {
		t.Fatalf("snapshot reads a=%q, %v", v, err)
	}
}
