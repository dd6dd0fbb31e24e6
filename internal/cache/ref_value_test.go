//go:build invariants

package cache

import (
	"bytes"
	"testing"
)

// These tests rely on the invariants build of internal/manual, which
// poisons freed buffers.

// TestReleaseFreesEvictedValue checks that an evicted value is freed by
// its last Release, not before.
func TestReleaseFreesEvictedValue(t *testing.T) {
	c := New(2 * (100 + EntryOverhead))
	id := c.NewID()
	v := Alloc(100)
	copy(v, value(id, 1, 0, 100))
	h1 := c.Set(id, 1, 0, v) // never hit (Get would count): evicted first
	h2 := h1
	h2.v.ref() // a second holder, as a second Get would make
	for off := uint64(1); off < 10; off++ {
		c.Set(id, 1, off, value(id, 1, off, 100)).Release()
	}
	mustMiss(t, c, id, 1, 0)
	h1.Release()
	if !bytes.Equal(h2.Value(), value(id, 1, 0, 100)) {
		t.Fatal("value changed while a Handle still holds it")
	}
	h2.Release()
	if !bytes.Equal(v, bytes.Repeat([]byte{0xdb}, 100)) {
		t.Fatalf("value not freed after the last Release: %x", v[:8])
	}
}

// TestCachedValueNotFreedByRelease checks that releasing every Handle of a
// value the cache still holds leaves it intact.
func TestCachedValueNotFreedByRelease(t *testing.T) {
	c := New(1 << 20)
	id := c.NewID()
	v := Alloc(100)
	copy(v, value(id, 1, 0, 100))
	c.Set(id, 1, 0, v).Release()
	for range 3 {
		h, _ := c.Get(id, 1, 0)
		h.Release()
	}
	if !bytes.Equal(mustGet(t, c, id, 1, 0), value(id, 1, 0, 100)) {
		t.Fatal("cached value changed")
	}
	c.EvictFile(id, 1)
	if v[0] != 0xdb {
		t.Fatal("value not freed by EvictFile")
	}
}

func TestDoubleReleasePanics(t *testing.T) {
	c := New(1 << 20)
	h := c.Set(c.NewID(), 1, 0, Alloc(10))
	h.Release()
	defer func() {
		if recover() == nil {
			t.Fatal("releasing a Handle twice did not panic in an invariants build")
		}
	}()
	h2 := h
	c.EvictFile(1, 1)
	h2.Release()
}

func TestOwnFreesOnRelease(t *testing.T) {
	v := Alloc(10)
	copy(v, "0123456789")
	h := Own(v)
	if string(h.Value()) != "0123456789" {
		t.Fatalf("value %q", h.Value())
	}
	h.Release()
	if v[0] != 0xdb {
		t.Fatal("owned value not freed by Release")
	}
}
