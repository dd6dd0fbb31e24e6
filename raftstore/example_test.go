package raftstore_test

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/raftstore"
)

// counter is a raft.FSM that counts the commands it applies.
type counter struct{ n int }

func (c *counter) Apply(*raft.Log) any                 { c.n++; return c.n }
func (c *counter) Snapshot() (raft.FSMSnapshot, error) { return nil, fmt.Errorf("not supported") }
func (c *counter) Restore(io.ReadCloser) error         { return nil }

// A single-node raft group whose log and stable state are kept under the
// prefix "shard/1/" of a Tempest DB.
func Example() {
	dir, err := os.MkdirTemp("", "raftstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := tempest.Open(dir, nil)
	if err != nil {
		panic(err)
	}
	defer db.Close() // after the raft node has shut down
	store, err := raftstore.New(db, []byte("shard/1/"))
	if err != nil {
		panic(err)
	}

	conf := raft.DefaultConfig()
	conf.LocalID = "n1"
	conf.Logger = hclog.NewNullLogger()
	addr, trans := raft.NewInmemTransport("n1")
	r, err := raft.NewRaft(conf, &counter{}, store, store, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		panic(err)
	}
	defer func() { r.Shutdown().Error() }()
	if err := r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{ID: "n1", Address: addr}}}).Error(); err != nil {
		panic(err)
	}
	for i := 0; r.State() != raft.Leader && i < 1000; i++ {
		time.Sleep(10 * time.Millisecond) // a single node elects itself
	}
	f := r.Apply([]byte("hello"), time.Second)
	if err := f.Error(); err != nil {
		panic(err)
	}
	term, _ := store.GetUint64([]byte("CurrentTerm")) // raft's own key
	fmt.Println("applied:", f.Response(), "term recorded:", term > 0)
	// Output: applied: 1 term recorded: true
}
