package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// A node's identity is kept twice: in cluster.json in its directory,
// which an operator reads and which tells a restart what to open, and as
// the identity record in its database, beside the raft state it was
// built under. The record is authoritative: Open compares the two before
// it changes anything (identity_resolve.go has the decision table;
// docs/cluster.md, "Identity", explains it).
//
// Write order, which makes every state a crash can leave recognizable:
//   - a first start writes the record, then the file: a crash between
//     leaves a record without a file, which the same start (its
//     --node-id) completes;
//   - a membership change writes the file, then the record: a crash
//     between leaves a file newer than the record, which the next start
//     records. A file older than the record is never left by a crash:
//     it was put there.
type identity struct {
	NodeID string `json:"node_id"`
	// Incarnation is drawn at random at the node's first start: it tells
	// this directory's node from another node started with the same id
	// (in another directory, or in another cluster of the same flags).
	Incarnation string `json:"incarnation"`
	Layout      Layout `json:"layout"`
	// Founding lists the shards this node bootstraps: at a first start
	// from the cluster flags, the shards the initial placement gives it;
	// none for a node that joined a running cluster.
	Founding []int `json:"founding,omitempty"`
}

const identityFile = "cluster.json"

// Errors of Open when cluster.json and the database's identity record
// disagree. Each also matches tempest.ErrCorruption (the directory is
// not as the node left it), and its message names both sides and the
// repair. Open changes nothing in the directory when it returns one.
var (
	// ErrIdentityMissing: cluster.json is absent but the database holds
	// a node (its identity record, or raft state).
	ErrIdentityMissing = fmt.Errorf("%w: cluster: %s is missing", tempest.ErrCorruption, identityFile)
	// ErrIdentityUnrecorded: cluster.json names a node but the database
	// holds no record of it (a database of another node or a new one
	// beside a copied file, or one written before identity records).
	ErrIdentityUnrecorded = fmt.Errorf("%w: cluster: the database holds no record of the node %s names", tempest.ErrCorruption, identityFile)
	// ErrIdentityOtherNode: cluster.json is another node's (of this
	// cluster, or another node of the same id: another incarnation).
	ErrIdentityOtherNode = fmt.Errorf("%w: cluster: %s belongs to another node", tempest.ErrCorruption, identityFile)
	// ErrIdentityOtherCluster: cluster.json is of another cluster.
	ErrIdentityOtherCluster = fmt.Errorf("%w: cluster: %s belongs to another cluster", tempest.ErrCorruption, identityFile)
	// ErrIdentityRolledBack: cluster.json is an older copy of this node's
	// identity than the database records (a restored backup).
	ErrIdentityRolledBack = fmt.Errorf("%w: cluster: %s is older than the database's record", tempest.ErrCorruption, identityFile)
)

// identityKey is the database key of the identity record (keys.go).
var identityKey = []byte{subIdentity}

func (id *identity) encode() []byte {
	b, _ := json.MarshalIndent(id, "", "  ")
	return b
}

// decodeIdentity parses a file's or a record's bytes; what names them.
func decodeIdentity(b []byte, what string) (*identity, error) {
	var id identity
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, fmt.Errorf("%w: cluster: %s: %v", tempest.ErrCorruption, what, err)
	}
	switch {
	case id.NodeID == "" || id.Incarnation == "" || id.Layout.ClusterID == "":
		return nil, fmt.Errorf("%w: cluster: %s lacks a node id, incarnation or cluster id (written before identity records?)", tempest.ErrCorruption, what)
	case id.Layout.Validate() != nil:
		return nil, fmt.Errorf("%w: cluster: %s: %v", tempest.ErrCorruption, what, id.Layout.Validate())
	case id.Layout.NodeIndex(id.NodeID) < 0:
		return nil, fmt.Errorf("%w: cluster: %s: node %q is not in its layout", tempest.ErrCorruption, what, id.NodeID)
	}
	return &id, nil
}

// loadIdentity reads cluster.json: nil if it does not exist.
func loadIdentity(dir string) (*identity, error) {
	b, err := vfs.ReadFile(vfs.Default, filepath.Join(dir, identityFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeIdentity(b, identityFile)
}

// saveIdentity writes the file durably: a temporary file, synced, then
// renamed over, and the directory synced.
func saveIdentity(dir string, id *identity) error {
	tmp := filepath.Join(dir, identityFile+".tmp")
	f, err := vfs.Default.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(id.encode())
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := vfs.Default.Rename(tmp, filepath.Join(dir, identityFile)); err != nil {
		return err
	}
	return vfs.SyncDir(vfs.Default, dir)
}

// recordReader reads the record and looks for shard state: a DB.
type recordReader interface {
	getter
	NewIter(o *tempest.IterOptions) (*tempest.Iterator, error)
}

// readRecord returns the database's identity record (nil if none) and
// whether the database holds any shard's state (raft log, stable store
// or data).
func readRecord(db recordReader) (rec *identity, state bool, err error) {
	b, err := db.Get(identityKey)
	switch {
	case errors.Is(err, tempest.ErrNotFound):
	case err != nil:
		return nil, false, err
	default:
		if rec, err = decodeIdentity(b, "the database's identity record"); err != nil {
			return nil, false, err
		}
	}
	it, err := db.NewIter(&tempest.IterOptions{LowerBound: []byte{shardsFirst}, UpperBound: []byte{shardsFirst + 1}})
	if err != nil {
		return nil, false, err
	}
	state = it.First()
	return rec, state, errors.Join(it.Error(), it.Close())
}

// writeRecord stores id as the database's identity record, synced.
func writeRecord(db *tempest.DB, id *identity) error {
	return db.Set(identityKey, id.encode(), tempest.Sync)
}

// foundingClusterID names the cluster that the flags' layout l founds:
// every founding node computes the same id from the same flags, without
// asking the others. A node that joins learns it with the layout.
func foundingClusterID(l *Layout) string {
	b, _ := json.Marshal(Layout{Nodes: l.Nodes, Shards: l.Shards, Replicas: l.Replicas})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// newIncarnation draws a node's incarnation.
func newIncarnation() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// checkIdentity reads cluster.json and the database's record, the
// database opened read-only (which writes nothing), and resolves them
// (resolveIdentity).
func checkIdentity(cfg *Config) (*identity, identityWrites, error) {
	file, err := loadIdentity(cfg.Dir)
	if err != nil {
		return nil, identityWrites{}, err
	}
	o := tempest.Options{}
	if cfg.DBOptions != nil {
		o = *cfg.DBOptions
	}
	o.ReadOnly = true
	db, err := tempest.Open(dbDir(cfg.Dir), &o)
	var rec *identity
	state := false
	switch {
	case errors.Is(err, fs.ErrNotExist): // no database yet
	case err != nil:
		return nil, identityWrites{}, fmt.Errorf("cluster: reading the identity record: %w", err)
	default:
		rec, state, err = readRecord(db)
		if err = errors.Join(err, db.Close()); err != nil {
			return nil, identityWrites{}, err
		}
	}
	return resolveIdentity(cfg, file, rec, state)
}

// storeIdentity writes what resolveIdentity asked for: the record, then
// the file.
func storeIdentity(db *tempest.DB, dir string, id *identity, w identityWrites) error {
	if w.record {
		if err := writeRecord(db, id); err != nil {
			return err
		}
	}
	if w.file {
		return saveIdentity(dir, id)
	}
	return nil
}

// dbDir is the node's database directory.
func dbDir(dir string) string { return filepath.Join(dir, "db") }
