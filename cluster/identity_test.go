package cluster

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/internal/redistest"
)

// identityErrors are the typed errors of a damaged identity; a case must
// match its own and no other.
var identityErrors = map[string]error{
	"ErrIdentityMissing":      ErrIdentityMissing,
	"ErrIdentityUnrecorded":   ErrIdentityUnrecorded,
	"ErrIdentityOtherNode":    ErrIdentityOtherNode,
	"ErrIdentityOtherCluster": ErrIdentityOtherCluster,
	"ErrIdentityRolledBack":   ErrIdentityRolledBack,
}

// TestIdentityDamage: the identity file round-trips, and a truncated,
// zeroed or garbled one is ErrCorruption naming it, never a first start.
// Then, on the directories of a real cluster whose membership changed
// once (CLUSTER ADDREPLICA: epoch 0 to 1), each damage of a node's
// cluster.json makes Open fail with its own typed error, which matches
// ErrCorruption and names the repair, and changes nothing in the node's
// directory (a hash of every file's name and bytes, before and after):
// deleted, swapped between two nodes, rolled back to the copy of epoch 0,
// replaced by another cluster's, and copied beside a new database.
func TestIdentityDamage(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Shards: 3, Replicas: 3}
	for i := range 3 {
		l.Nodes = append(l.Nodes, NodeInfo{ID: fmt.Sprint("n", i), Addr: "a", Bus: "b"})
	}
	l.ClusterID = foundingClusterID(&l)
	want := &identity{NodeID: "n1", Incarnation: "0123456789abcdef", Layout: l, Founding: []int{0, 2}}
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
		"truncated":      good[:len(good)/2],
		"zeroed":         make([]byte, len(good)),
		"empty":          nil,
		"no incarnation": []byte(strings.Replace(string(good), want.Incarnation, "", 1)),
	} {
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		if id, err := loadIdentity(dir); !errors.Is(err, tempest.ErrCorruption) || id != nil {
			t.Errorf("%s: %+v, %v; want ErrCorruption", name, id, err)
		}
	}

	d := newDamageDirs(t)
	for _, c := range []struct {
		name, want string
		node       int              // the node whose directory is opened
		damage     func(dir string) // applied to that directory
		dir        func() string    // the directory to open, if not the node's
		hint       string           // the repair the message must name
	}{
		{name: "deleted", want: "ErrIdentityMissing", damage: func(dir string) { d.remove(dir) }, hint: "--node-id n1"},
		{name: "swapped (n1 holds n2's)", want: "ErrIdentityOtherNode", damage: func(dir string) { d.write(dir, d.files[1]) }, hint: "--node-id n1"},
		{name: "swapped (n2 holds n1's)", want: "ErrIdentityOtherNode", node: 1, damage: func(dir string) { d.write(dir, d.files[0]) }, hint: "--node-id n2"},
		{name: "rolled back to epoch 0", want: "ErrIdentityRolledBack", damage: func(dir string) { d.write(dir, d.epoch0[0]) }, hint: "--node-id n1"},
		{name: "another cluster's", want: "ErrIdentityOtherCluster", damage: func(dir string) { d.write(dir, d.foreign) }, hint: "--node-id n1"},
		{name: "beside a new database", want: "ErrIdentityUnrecorded", dir: func() string {
			dir := filepath.Join(t.TempDir(), "new")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			d.write(dir, d.files[0])
			return dir
		}, hint: "CLUSTER REPLACE"},
	} {
		dir := d.tc.dirs[c.node]
		if c.dir != nil {
			dir = c.dir()
		} else {
			c.damage(dir)
		}
		before := hashTree(t, dir)
		n, err := Open(Config{Dir: dir, Raft: testRaft, DBOptions: smallDB()})
		if err == nil {
			n.Close()
			t.Fatalf("%s: Open succeeded", c.name)
		}
		for name, e := range identityErrors {
			if errors.Is(err, e) != (name == c.want) {
				t.Errorf("%s: %v; want %s and no other identity error", c.name, err, c.want)
			}
		}
		if !errors.Is(err, tempest.ErrCorruption) || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("%s: %v; want ErrCorruption naming the repair (%s)", c.name, err, c.hint)
		}
		if after := hashTree(t, dir); after != before {
			t.Errorf("%s: the refused Open changed the directory", c.name)
		}
		t.Logf("%s: %v", c.name, err)
		if c.dir == nil {
			d.write(dir, d.files[c.node])
		}
	}
}

// TestIdentityRepair: the repairs of the decision table. A node whose
// cluster.json is missing starts once it is given the --node-id its
// database records, and writes the file back from the record (the very
// file it had); a file newer than the record (a membership change cut
// short between the two writes) starts and is recorded; flags of
// another cluster are refused.
func TestIdentityRepair(t *testing.T) {
	d := newDamageDirs(t)
	dir := d.tc.dirs[0]
	d.remove(dir)
	n, err := Open(Config{Dir: dir, NodeID: "n1", Raft: testRaft, DBOptions: smallDB()})
	if err != nil {
		t.Fatalf("missing file, --node-id n1: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, identityFile)); err != nil || string(b) != string(d.files[0]) {
		t.Fatalf("the rewritten file differs from the node's own (%v):\n%s\nwant\n%s", err, b, d.files[0])
	}

	// n2's record goes back to epoch 0, as if the node had stopped
	// between writing cluster.json and the record of epoch 1.
	dir = d.tc.dirs[1]
	old, err := decodeIdentity(d.epoch0[1], "epoch 0")
	if err != nil {
		t.Fatal(err)
	}
	db := openSmallDB(t, dbDir(dir))
	if err := writeRecord(db, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	n, err = Open(Config{Dir: dir, Raft: testRaft, DBOptions: smallDB()})
	if err != nil {
		t.Fatalf("file newer than the record: %v", err)
	}
	if e := n.Layout().Epoch; e != 1 {
		t.Fatalf("started at layout epoch %d, want 1", e)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	db = openSmallDB(t, dbDir(dir))
	rec, _, err := readRecord(db)
	db.Close()
	if err != nil || string(rec.encode()) != string(d.files[1]) {
		t.Fatalf("the record after the start: %v\n%s\nwant\n%s", err, rec.encode(), d.files[1])
	}

	other := d.tc.layout
	other.Nodes = append([]NodeInfo(nil), other.Nodes...)
	other.Nodes[2].Addr = "127.0.0.1:1"
	if _, err := Open(Config{Dir: dir, NodeID: "n2", Layout: &other, Raft: testRaft, DBOptions: smallDB()}); !errors.Is(err, tempest.ErrInvalidArgument) {
		t.Fatalf("flags of another cluster: %v, want ErrInvalidArgument", err)
	}
}

// damageDirs are the closed directories of a 3-node cluster (1 shard, 2
// replicas) after one membership change, with each node's cluster.json
// (files), its copy from before the change (epoch0), and the
// cluster.json of a node of another cluster (foreign).
type damageDirs struct {
	t       *testing.T
	tc      *testCluster
	files   [3][]byte
	epoch0  [3][]byte
	foreign []byte
}

func newDamageDirs(t *testing.T) *damageDirs {
	d := &damageDirs{t: t, tc: newTestClusterWith(t, 3, 1, 2, testRaft, smallDB())}
	d.tc.waitLeaders()
	for i := range 3 {
		d.epoch0[i] = d.read(d.tc.dirs[i])
	}
	d.tc.command(0, "cluster", "addreplica", "0", "n3")
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 3; {
		if d.tc.nodes[i].Layout().Epoch == 1 {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %d did not adopt the layout of epoch 1", i)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 3 {
		d.tc.stop(i)
		d.files[i] = d.read(d.tc.dirs[i])
	}

	fl := Layout{Shards: 1, Replicas: 1, Nodes: []NodeInfo{{ID: "n1", Addr: "127.0.0.1:" + itoa(redistest.FreePort(t)), Bus: "127.0.0.1:" + itoa(redistest.FreePort(t))}}}
	fdir := filepath.Join(t.TempDir(), "foreign")
	n, err := Open(Config{Dir: fdir, NodeID: "n1", Layout: &fl, Raft: testRaft, DBOptions: smallDB()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	d.foreign = d.read(fdir)
	return d
}

func (d *damageDirs) read(dir string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, identityFile))
	if err != nil {
		d.t.Fatal(err)
	}
	return b
}

func (d *damageDirs) write(dir string, b []byte) {
	if err := os.WriteFile(filepath.Join(dir, identityFile), b, 0o644); err != nil {
		d.t.Fatal(err)
	}
}

func (d *damageDirs) remove(dir string) {
	if err := os.Remove(filepath.Join(dir, identityFile)); err != nil {
		d.t.Fatal(err)
	}
}

// hashTree hashes the names, kinds and bytes of everything under dir.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if e.IsDir() {
			lines = append(lines, rel+"/")
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %x", rel, sha256.Sum256(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(lines, "\n"))))
}

func openSmallDB(t *testing.T, dir string) *tempest.DB {
	t.Helper()
	db, err := tempest.Open(dir, smallDB())
	if err != nil {
		t.Fatal(err)
	}
	return db
}
