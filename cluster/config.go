package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/vfs"
)

// ParseMembers parses the --cluster flag: "id=addr/bus,id=addr/bus,...".
func ParseMembers(s string) ([]NodeInfo, error) {
	var out []NodeInfo
	for _, part := range strings.Split(s, ",") {
		id, rest, ok1 := strings.Cut(strings.TrimSpace(part), "=")
		addr, bus, ok2 := strings.Cut(rest, "/")
		if !ok1 || !ok2 || id == "" || addr == "" || bus == "" {
			return nil, fmt.Errorf("%w: cluster: member %q is not id=addr/bus", tempest.ErrInvalidArgument, part)
		}
		out = append(out, NodeInfo{ID: id, Addr: addr, Bus: bus})
	}
	return out, nil
}

// identity is what a node stores in its directory at its first start,
// so that it restarts with --dir alone: the layout and its own id.
type identity struct {
	NodeID string `json:"node_id"`
	Layout Layout `json:"layout"`
	// Founding lists the shards this node bootstraps: at a first start
	// from the cluster flags, the shards the initial placement gives it;
	// none for a node that joined a running cluster.
	Founding []int `json:"founding,omitempty"`
}

const identityFile = "cluster.json"

func loadIdentity(dir string) (*identity, error) {
	b, err := vfs.ReadFile(vfs.Default, filepath.Join(dir, identityFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var id identity
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, fmt.Errorf("%w: cluster: %s: %v", tempest.ErrCorruption, identityFile, err)
	}
	return &id, id.Layout.Validate()
}

// saveIdentity writes the file durably: a temporary file, synced, then
// renamed over, and the directory synced.
func saveIdentity(dir string, id *identity) error {
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, identityFile+".tmp")
	f, err := vfs.Default.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := vfs.Default.Rename(tmp, filepath.Join(dir, identityFile)); err != nil {
		return err
	}
	return vfs.SyncDir(vfs.Default, dir)
}

// resolveIdentity returns the node's identity: the stored one, which the
// flags (if given) must match, or at a first start the one the flags
// give, then stored.
func resolveIdentity(cfg *Config) (*identity, error) {
	stored, err := loadIdentity(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if stored == nil {
		joined := cfg.Layout == nil && cfg.Join != ""
		if joined {
			if cfg.NodeID == "" || cfg.Addr == "" || cfg.Bus == "" {
				return nil, fmt.Errorf("%w: cluster: joining needs --node-id, --addr and --cluster-bus", tempest.ErrInvalidArgument)
			}
			if cfg.Layout, err = askJoin(cfg.Join, NodeInfo{ID: cfg.NodeID, Addr: cfg.Addr, Bus: cfg.Bus}); err != nil {
				return nil, err
			}
		}
		if cfg.Layout == nil || cfg.NodeID == "" {
			return nil, fmt.Errorf("%w: cluster: %s holds no cluster: a first start needs --cluster, --shards, --replicas and --node-id, or --join", tempest.ErrInvalidArgument, cfg.Dir)
		}
		id := &identity{NodeID: cfg.NodeID, Layout: *cfg.Layout}
		if err := id.Layout.Validate(); err != nil {
			return nil, err
		}
		i := id.Layout.NodeIndex(id.NodeID)
		if i < 0 {
			return nil, fmt.Errorf("%w: cluster: node id %q is not a member", tempest.ErrInvalidArgument, id.NodeID)
		}
		if !joined {
			id.Founding = id.Layout.NodeShards(i)
		}
		return id, saveIdentity(cfg.Dir, id)
	}
	if cfg.NodeID != "" && cfg.NodeID != stored.NodeID {
		return nil, fmt.Errorf("%w: cluster: %s belongs to node %q, not %q", tempest.ErrInvalidArgument, cfg.Dir, stored.NodeID, cfg.NodeID)
	}
	if cfg.Layout != nil && stored.Layout.Epoch == 0 {
		// (After a membership change the stored layout rules.)
		a, _ := json.Marshal(cfg.Layout)
		b, _ := json.Marshal(stored.Layout)
		if string(a) != string(b) {
			return nil, fmt.Errorf("%w: cluster: the flags name another cluster than the one stored in %s", tempest.ErrInvalidArgument, cfg.Dir)
		}
	}
	me := stored.Layout.Nodes[stored.Layout.NodeIndex(stored.NodeID)]
	if (cfg.Addr != "" && cfg.Addr != me.Addr) || (cfg.Bus != "" && cfg.Bus != me.Bus) {
		return nil, fmt.Errorf("%w: cluster: node %q was created with --addr %s --cluster-bus %s", tempest.ErrInvalidArgument, me.ID, me.Addr, me.Bus)
	}
	return stored, nil
}
