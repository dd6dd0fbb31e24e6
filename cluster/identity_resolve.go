package cluster

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tempestdb/tempest"
)

// identityWrites says what Open writes once the database is open, in
// this order: the record, then the file.
type identityWrites struct{ record, file bool }

// resolveIdentity decides the node's identity from cluster.json (file,
// nil if absent), the database's identity record (rec, nil if none),
// whether the database holds shard state, and the flags in cfg. It
// writes nothing (askJoin, at a first start only, asks a member to add
// the node); what must be written is returned. The decision table
// (docs/cluster.md, "Identity"):
//
//	file     record   state   outcome
//	absent   absent   no      first start from the flags (or --join); writes the record, then the file
//	absent   absent   yes     ErrIdentityMissing: nothing to rebuild the file from
//	absent   present  any     --node-id naming the record's node: rewrite the file from the record
//	                          (a first start cut short, or the operator's repair); else ErrIdentityMissing
//	present  absent   any     ErrIdentityUnrecorded
//	present  present  any     compareIdentity: equal starts; a newer file (a change cut short) is
//	                          recorded; another cluster's, another node's or an older file is refused
func resolveIdentity(cfg *Config, file, rec *identity, state bool) (*identity, identityWrites, error) {
	switch {
	case file == nil && rec == nil && !state:
		id, err := firstStart(cfg)
		return id, identityWrites{record: true, file: true}, err
	case file == nil && rec == nil:
		return nil, identityWrites{}, fmt.Errorf("%w from %s, and its database holds raft state but no identity record to rebuild it from: put back this node's %s",
			ErrIdentityMissing, cfg.Dir, identityFile)
	case file == nil:
		if cfg.NodeID != rec.NodeID {
			return nil, identityWrites{}, fmt.Errorf("%w from %s; its database records %s. Put back this node's %s, or %s",
				ErrIdentityMissing, cfg.Dir, describe(rec), identityFile, repairHint(rec, false))
		}
		return rec, identityWrites{file: true}, checkFlags(cfg, rec)
	case rec == nil:
		held := "no raft state"
		if state {
			held = "raft state but no identity record"
		}
		return nil, identityWrites{}, fmt.Errorf("%w: %s in %s names %s, and the database holds %s: the file was copied beside another database, or the database was replaced. Start the node with its own directory; a node whose data is lost is replaced by a new node (CLUSTER REPLACE)",
			ErrIdentityUnrecorded, identityFile, cfg.Dir, describe(file), held)
	}
	w, err := compareIdentity(cfg.Dir, file, rec)
	if err != nil {
		return nil, identityWrites{}, err
	}
	return file, w, checkFlags(cfg, file)
}

// compareIdentity judges a cluster.json against the database's record
// of the same directory dir.
func compareIdentity(dir string, file, rec *identity) (identityWrites, error) {
	fj, _ := json.Marshal(file.Layout)
	rj, _ := json.Marshal(rec.Layout)
	sameLayout := string(fj) == string(rj)
	switch {
	case file.Layout.ClusterID != rec.Layout.ClusterID:
		return identityWrites{}, fmt.Errorf("%w: %s in %s names %s; the database records %s. Put back this node's file, or %s",
			ErrIdentityOtherCluster, identityFile, dir, describe(file), describe(rec), repairHint(rec, true))
	case file.NodeID != rec.NodeID || file.Incarnation != rec.Incarnation:
		return identityWrites{}, fmt.Errorf("%w: %s in %s names %s (incarnation %s); the database records %s (incarnation %s). Put back this node's file, or %s",
			ErrIdentityOtherNode, identityFile, dir, describe(file), file.Incarnation, describe(rec), rec.Incarnation, repairHint(rec, true))
	case !slices.Equal(file.Founding, rec.Founding):
		return identityWrites{}, fmt.Errorf("%w: %s in %s names the founding shards %v of node %q; the database records %v. Put back this node's file, or %s",
			ErrIdentityOtherNode, identityFile, dir, file.Founding, file.NodeID, rec.Founding, repairHint(rec, true))
	case sameLayout:
		return identityWrites{}, nil
	case newer(&rec.Layout, &file.Layout):
		return identityWrites{}, fmt.Errorf("%w: %s in %s holds the layout of epoch %d, the database records epoch %d: it is an older copy (restored from a backup?), from before a membership change. Put back the newest copy, or %s",
			ErrIdentityRolledBack, identityFile, dir, file.Layout.Epoch, rec.Layout.Epoch, repairHint(rec, true))
	case !extends(&file.Layout, &rec.Layout):
		return identityWrites{}, fmt.Errorf("%w: %s in %s holds a layout of epoch %d that is no later layout of the database's (epoch %d): nodes or shards differ. Put back this node's file, or %s",
			ErrIdentityOtherCluster, identityFile, dir, file.Layout.Epoch, rec.Layout.Epoch, repairHint(rec, true))
	}
	// A newer layout of this node: a membership change cut short between
	// writing the file and the record. Record it.
	return identityWrites{record: true}, nil
}

// describe names the node an identity is.
func describe(id *identity) string {
	return fmt.Sprintf("node %q of cluster %s at layout epoch %d", id.NodeID, id.Layout.ClusterID, id.Layout.Epoch)
}

// repairHint tells the operator how to rebuild cluster.json from the
// record; present says the file exists (it must be moved aside: the node
// never overwrites it).
func repairHint(rec *identity, present bool) string {
	aside := ""
	if present {
		aside = "move it aside and "
	}
	return fmt.Sprintf("%sstart once with --node-id %s: the node then writes %s from its database's record",
		aside, rec.NodeID, identityFile)
}

// firstStart makes the identity of a node started for the first time:
// from the flags' layout, or from the layout of the cluster it joins.
func firstStart(cfg *Config) (*identity, error) {
	var l Layout
	switch {
	case cfg.Layout == nil && cfg.Join != "":
		if cfg.NodeID == "" || cfg.Addr == "" || cfg.Bus == "" {
			return nil, fmt.Errorf("%w: cluster: joining needs --node-id, --addr and --cluster-bus", tempest.ErrInvalidArgument)
		}
		joined, err := askJoin(cfg.Join, NodeInfo{ID: cfg.NodeID, Addr: cfg.Addr, Bus: cfg.Bus}, cfg.RequirePass)
		if err != nil {
			return nil, err
		}
		if joined.ClusterID == "" {
			return nil, fmt.Errorf("%w: cluster: %s answered the join with a layout without a cluster id", tempest.ErrInvalidArgument, cfg.Join)
		}
		l = *joined
	case cfg.Layout == nil || cfg.NodeID == "":
		return nil, fmt.Errorf("%w: cluster: %s holds no cluster: a first start needs --cluster, --shards, --replicas and --node-id, or --join", tempest.ErrInvalidArgument, cfg.Dir)
	default:
		l = *cfg.Layout
		l.ClusterID = foundingClusterID(&l)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	i := l.NodeIndex(cfg.NodeID)
	if i < 0 {
		return nil, fmt.Errorf("%w: cluster: node id %q is not a member", tempest.ErrInvalidArgument, cfg.NodeID)
	}
	inc, err := newIncarnation()
	if err != nil {
		return nil, err
	}
	id := &identity{NodeID: cfg.NodeID, Incarnation: inc, Layout: l}
	if cfg.Layout != nil {
		id.Founding = l.NodeShards(i)
	}
	return id, nil
}

// checkFlags checks the flags of a restart against the stored identity:
// a --node-id, a --cluster (its cluster, and at epoch 0 its layout),
// --addr and --cluster-bus, where given, must match.
func checkFlags(cfg *Config, stored *identity) error {
	if cfg.NodeID != "" && cfg.NodeID != stored.NodeID {
		return fmt.Errorf("%w: cluster: %s belongs to node %q, not %q", tempest.ErrInvalidArgument, cfg.Dir, stored.NodeID, cfg.NodeID)
	}
	if cfg.Layout != nil {
		l := *cfg.Layout
		l.ClusterID = foundingClusterID(&l)
		a, _ := json.Marshal(&l)
		b, _ := json.Marshal(&stored.Layout)
		// After a membership change the stored layout rules; the cluster
		// stays the one the flags founded.
		if l.ClusterID != stored.Layout.ClusterID || (stored.Layout.Epoch == 0 && string(a) != string(b)) {
			return fmt.Errorf("%w: cluster: the flags name another cluster than the one stored in %s", tempest.ErrInvalidArgument, cfg.Dir)
		}
	}
	me := stored.Layout.Nodes[stored.Layout.NodeIndex(stored.NodeID)]
	if (cfg.Addr != "" && cfg.Addr != me.Addr) || (cfg.Bus != "" && cfg.Bus != me.Bus) {
		return fmt.Errorf("%w: cluster: node %q was created with --addr %s --cluster-bus %s", tempest.ErrInvalidArgument, me.ID, me.Addr, me.Bus)
	}
	return nil
}
