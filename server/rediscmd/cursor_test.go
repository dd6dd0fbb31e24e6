package rediscmd

import (
	"bytes"
	"testing"
)

// TestCursorTable: cursors resolve to their keys; the oldest are
// forgotten past the count and past the byte budget.
func TestCursorTable(t *testing.T) {
	tab := NewCursorTable(3)
	ids := make([]uint64, 4)
	for i := range ids {
		ids[i] = tab.Put([]byte{byte('a' + i)})
		if ids[i] == 0 {
			t.Fatal("cursor 0 handed out")
		}
	}
	if _, ok := tab.Get(ids[0]); ok {
		t.Fatal("the oldest of 4 cursors in a table of 3 is still known")
	}
	for i := 1; i < 4; i++ {
		if k, ok := tab.Get(ids[i]); !ok || !bytes.Equal(k, []byte{byte('a' + i)}) {
			t.Fatalf("cursor %d: %q, %v", i, k, ok)
		}
	}
	big := make([]byte, maxCursorBytes/2+1)
	b1 := tab.Put(big)
	b2 := tab.Put(big)
	if _, ok := tab.Get(b1); ok {
		t.Fatal("two keys over the byte budget are both held")
	}
	if _, ok := tab.Get(b2); !ok || tab.bytes != len(big) {
		t.Fatalf("newest big cursor: known %v, bytes %d", ok, tab.bytes)
	}
}
