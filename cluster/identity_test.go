package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tempestdb/tempest"
)

// TestIdentityDamage: the identity file round-trips, and a truncated,
// zeroed or garbled one is ErrCorruption naming it, never a first start.
func TestIdentityDamage(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Shards: 3, Replicas: 3}
	for i := range 3 {
		l.Nodes = append(l.Nodes, NodeInfo{ID: fmt.Sprint("n", i), Addr: "a", Bus: "b"})
	}
	want := &identity{NodeID: "n1", Layout: l, Founding: []int{0, 2}}
	if err := saveIdentity(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := loadIdentity(dir)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	path := filepath.Join(dir, identityFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"zeroed":    make([]byte, len(good)),
		"empty":     nil,
	} {
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		if id, err := loadIdentity(dir); !errors.Is(err, tempest.ErrCorruption) || id != nil {
			t.Errorf("%s: %+v, %v; want ErrCorruption", name, id, err)
		}
	}
}
