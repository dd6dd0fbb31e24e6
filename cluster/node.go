// Package cluster is tempest serve --cluster: the Redis Cluster slots
// split into shards, each shard a hashicorp/raft group replicated on some
// of the nodes, its state machine on the node's Tempest database, and a
// RESP server that routes keys as Redis Cluster does. docs/cluster.md
// describes it.
package cluster

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/cluster/raftmux"
	"github.com/tempestdb/tempest/raftstore"
	"github.com/tempestdb/tempest/server"
	"github.com/tempestdb/tempest/server/rediscmd"
	"github.com/tempestdb/tempest/vfs"
)

// Config configures a Node.
type Config struct {
	Dir    string  // the node's directory
	Addr   string  // client (RESP) address; empty on restart: the stored one
	Bus    string  // cluster-bus address; empty on restart: the stored one
	NodeID string  // empty on restart
	Layout *Layout // the cluster; nil on restart or to join
	// Join, at a first start without Layout, is the client address of a
	// member: the node joins that running cluster, holding no replica
	// until CLUSTER REPLACE or ADDREPLICA places one on it.
	Join string

	// Raft tunes each shard's raft configuration (timeouts); nil keeps
	// hashicorp/raft's defaults.
	Raft func(*raft.Config)
	// DBOptions, if not nil, opens the database.
	DBOptions *tempest.Options
	// Logf logs node events; nil discards them.
	Logf func(format string, args ...any)
	// NoLeaderBalance turns off leadership balancing (balance.go): the
	// leaders stay where elections put them.
	NoLeaderBalance bool
	// SweepEvery is the period of the expiry sweep of the shards the
	// node leads (expire.go; default rediscmd.SweepEvery, 100ms). A
	// negative value turns it off: expired keys then read as absent but
	// stay stored until rewritten or flushed.
	SweepEvery time.Duration
	// RequirePass, if not empty, is the password clients must give with
	// AUTH (or HELLO AUTH); a node whose client address is not loopback
	// needs one. The cluster bus has no authentication.
	RequirePass string
	// Client limits, as tempest serve's (rediscmd.Limits); zero means
	// the default.
	MaxClients  int // connections at once (default 10000)
	MaxPipeline int // commands read in one go from a connection (default 100000)
	MaxArgBytes int // bytes in one argument (default 512 MiB)
}

// limits are the configuration's client limits.
func (cfg *Config) limits() rediscmd.Limits {
	return rediscmd.Limits{MaxClients: cfg.MaxClients, MaxPipeline: cfg.MaxPipeline, MaxArgBytes: cfg.MaxArgBytes}
}

// Node is one member of a cluster: its database, its shards' raft groups
// and (once Serve runs) its RESP server.
type Node struct {
	cfg Config
	id  string
	me  NodeInfo
	// layout is the newest Layout this node knows; changed (and stored)
	// only under layoutMu, read anywhere through lay().
	layout      atomic.Pointer[Layout]
	layoutMu    sync.Mutex
	founding    []int  // the shards this node bootstraps (identity.Founding)
	incarnation string // identity.Incarnation
	db          *tempest.DB
	logger      hclog.Logger
	// mux is the node's one listener on its cluster bus: each local
	// shard's raft transport is a StreamLayer of it, and so is the
	// leadership stream (leaders.go).
	mux     *raftmux.Mux
	leaders *raftmux.StreamLayer // the leadership stream on mux
	mu      sync.RWMutex
	shards  map[int]*shard // the local shards; guarded by mu (shard())
	srv     *respServer
	env     rediscmd.Env // the connection commands' side
	hints   leaderHints
	balance balancer      // hintLoop only
	stop    chan struct{} // closed by Close: stops hintLoop and expireLoop
	bg      sync.WaitGroup
	expired atomic.Int64 // keys deleted by the sweep entries this node proposed
}

// shard is one local raft group.
type shard struct {
	id    int
	fsm   *shardFSM
	raft  *raft.Raft
	trans *raft.NetworkTransport
	logs  *raftstore.Store

	// cutOffAfter: a replica that heard from no leader for this long
	// (two election timeouts) sends clients to the other replicas.
	cutOffAfter time.Duration
	redirects   atomic.Uint64 // turns of those redirects

	stopOnce sync.Once
	stopped  chan struct{} // closed by stop: ends reads waiting to apply
	nodeStop chan struct{} // the node's stop: closed first by Node.Close
}

// Open opens (or, at a first start, creates) the node's directory and
// starts the raft groups of its shards. Before it writes anything it
// checks cluster.json against the database's identity record, and
// refuses a directory whose two disagree (identity_resolve.go). At a first start every founding
// node bootstraps each of its shards with the same configuration (the
// shard's replicas), which hashicorp/raft allows; a node that joined
// later never bootstraps: the shards' leaders add it.
func Open(cfg Config) (*Node, error) {
	if _, err := cfg.limits().WithDefaults(); err != nil {
		return nil, err
	}
	if err := vfs.Default.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	ident, writes, err := checkIdentity(&cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, id: ident.NodeID, incarnation: ident.Incarnation, shards: map[int]*shard{}, stop: make(chan struct{})}
	n.layout.Store(&ident.Layout)
	n.founding = ident.Founding
	n.me = n.lay().Nodes[n.lay().NodeIndex(n.id)]
	n.env = rediscmd.Env{Password: cfg.RequirePass, Cluster: true, Table: commands}
	if err := checkLoopback(n.me, cfg.RequirePass != ""); err != nil {
		return nil, err
	}
	n.logger = hclog.New(&hclog.LoggerOptions{Name: "raft " + n.id, Level: hclog.Warn, Output: logWriter{cfg.Logf}})
	if n.db, err = tempest.Open(dbDir(cfg.Dir), cfg.DBOptions); err != nil {
		return nil, err
	}
	if err := storeIdentity(n.db, cfg.Dir, ident, writes); err != nil {
		return nil, errors.Join(err, n.db.Close())
	}
	// What a snapshot's persist or restore left there when the node
	// stopped is of no use: the files were ingested (linked into the
	// database) or never were.
	if err := vfs.RemoveAll(n.db.Options().FS, n.scratchRoot()); err != nil {
		return nil, errors.Join(err, n.db.Close())
	}
	if err := n.listenBus(); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	for _, s := range n.lay().NodeShards(n.lay().NodeIndex(n.id)) {
		sh, err := n.startShard(s, slices.Contains(ident.Founding, s))
		if err != nil {
			return nil, errors.Join(err, n.Close())
		}
		n.shards[s] = sh
	}
	n.bg.Add(2)
	go func() {
		defer n.bg.Done()
		n.hintLoop(n.stop)
	}()
	go func() {
		defer n.bg.Done()
		n.serveLeaders()
	}()
	if every := cmp.Or(cfg.SweepEvery, rediscmd.SweepEvery); every > 0 {
		n.bg.Add(1)
		go func() {
			defer n.bg.Done()
			n.expireLoop(n.stop, every)
		}()
	}
	return n, nil
}

// listenBus opens the node's cluster-bus listener and serves the
// leadership stream on it. Other nodes dial the bus address as written
// in the layout, so that is the address the Mux advertises.
func (n *Node) listenBus() error {
	ln, err := net.Listen("tcp", n.me.Bus)
	if err != nil {
		return err
	}
	if n.mux, err = raftmux.New(ln, n.me.Bus); err != nil {
		ln.Close()
		return err
	}
	return n.openLeaders()
}

// scratchRoot is the node's directory of temporary files: each shard's
// snapshot files, under shard-S.
func (n *Node) scratchRoot() string { return filepath.Join(n.cfg.Dir, "tmp") }

// shard returns local shard s, or nil.
func (n *Node) shard(s int) *shard {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.shards[s]
}

// lay returns the newest layout the node knows.
func (n *Node) lay() *Layout { return n.layout.Load() }

// startShard starts local shard s's raft group; bootstrap (a founding
// node's shard) writes the shard's initial configuration if the group
// has no state yet.
func (n *Node) startShard(s int, bootstrap bool) (*shard, error) {
	prefix := shardPrefix(s)
	fsm, err := openFSM(n.db, prefix, filepath.Join(n.scratchRoot(), fmt.Sprint("shard-", s)))
	if err != nil {
		return nil, err
	}
	store, err := raftstore.New(n.db, withSub(prefix, subRaft))
	if err != nil {
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(n.cfg.Dir, "snapshots", fmt.Sprint("shard-", s)), 2, n.logger)
	if err != nil {
		return nil, err
	}
	layer, err := n.mux.StreamLayer(strconv.Itoa(s))
	if err != nil {
		return nil, err
	}
	trans := raft.NewNetworkTransportWithLogger(layer, 3, 2*time.Second, n.logger)
	sh := &shard{id: s, fsm: fsm, trans: trans, logs: store, stopped: make(chan struct{}), nodeStop: n.stop}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.id)
	rc.Logger = n.logger
	if n.cfg.Raft != nil {
		n.cfg.Raft(rc)
	}
	sh.cutOffAfter = 2 * max(rc.ElectionTimeout, rc.HeartbeatTimeout)
	// The FSM's data survives a restart (applied index in the same batch),
	// so a restart does not restore the snapshot; unless the FSM has not
	// applied it all (restoreOnStart).
	restore, err := fsm.restoreOnStart(snaps)
	if err != nil {
		trans.Close()
		return nil, err
	}
	rc.NoSnapshotRestoreOnStart = !restore
	existing, err := raft.HasExistingState(store, store, snaps)
	if err == nil && !existing && bootstrap {
		err = raft.BootstrapCluster(rc, store, store, snaps, trans, n.shardConfiguration(s))
	}
	if err == nil {
		sh.raft, err = raft.NewRaft(rc, fsm, store, store, snaps, trans)
	}
	if err != nil {
		trans.Close()
		return nil, fmt.Errorf("cluster: shard %d: %w", s, err)
	}
	return sh, nil
}

// shardConfiguration is shard s's initial raft membership: its replicas.
func (n *Node) shardConfiguration(s int) raft.Configuration {
	var c raft.Configuration
	for _, i := range n.lay().ShardNodes(s) {
		nd := n.lay().Nodes[i]
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(nd.ID), Address: raft.ServerAddress(nd.Bus)})
	}
	return c
}

// ID returns the node's id.
func (n *Node) ID() string { return n.id }

// Layout returns the cluster's layout.
func (n *Node) Layout() Layout { return *n.lay() }

// StopShard shuts down one local raft group, as if its replica failed;
// the node then answers for the shard as a node that does not hold it.
// Tests use it to kill a shard's leader without killing the node.
func (n *Node) StopShard(s int) error {
	sh := n.shard(s)
	if sh == nil {
		return fmt.Errorf("%w: cluster: shard %d is not on node %s", tempest.ErrInvalidArgument, s, n.id)
	}
	return sh.stop()
}

func (sh *shard) stop() error {
	var err error
	sh.stopOnce.Do(func() {
		close(sh.stopped)
		err = errors.Join(sh.raft.Shutdown().Error(), sh.trans.Close())
	})
	return err
}

// Close stops the server, the raft groups and closes the database.
func (n *Node) Close() error {
	var errs []error
	close(n.stop)
	if n.leaders != nil {
		n.leaders.Close() // ends serveLeaders' accept loop
	}
	n.bg.Wait()
	if n.srv != nil {
		errs = append(errs, n.srv.close())
	}
	n.mu.RLock()
	for _, sh := range n.shards {
		if sh.raft != nil {
			errs = append(errs, sh.stop())
		}
	}
	n.mu.RUnlock()
	if n.srv != nil {
		n.srv.drain()
	}
	if n.mux != nil {
		errs = append(errs, n.mux.Close())
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
	}
	return errors.Join(errs...)
}

// logWriter sends raft's log lines to Logf.
type logWriter struct{ logf func(string, ...any) }

func (w logWriter) Write(p []byte) (int, error) {
	if w.logf != nil {
		w.logf("%s", p)
	}
	return len(p), nil
}

// applyTimeout bounds how long a write waits for its entry to commit.
const applyTimeout = 5 * time.Second

// checkLoopback refuses a bus address beyond loopback (the cluster bus
// carries no authentication), and a client address beyond loopback
// without a password.
func checkLoopback(me NodeInfo, password bool) error {
	for _, a := range []string{me.Addr, me.Bus} {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("%w: cluster: address %q: %v", tempest.ErrInvalidArgument, a, err)
		}
		switch {
		case server.IsLoopback(host):
		case a == me.Bus:
			return fmt.Errorf("%w: cluster: refusing cluster bus %s: the bus has no authentication, bind it to a loopback address", tempest.ErrInvalidArgument, a)
		case !password:
			return fmt.Errorf("%w: cluster: refusing to listen on %s without a password: give --requirepass, or bind to a loopback address", tempest.ErrInvalidArgument, a)
		}
	}
	return nil
}
