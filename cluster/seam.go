package cluster

import (
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// Deps are the pieces a node takes from outside the package: the raft
// log and stable stores and the raft transport of each shard. The zero
// Deps uses the interim ones (store_interim.go, and one TCP listener per
// shard from NewTCPTransport); the raftstore package and the multiplexed
// cluster-bus transport plug in here.
type Deps struct {
	// Stores returns a shard's log and stable store on db, under prefix.
	Stores func(db *tempest.DB, prefix []byte) (raft.LogStore, raft.StableStore, error)
	// Transport returns shard's transport on the node's bus address;
	// AddrOf maps a node's bus address to that node's raft address of
	// the shard (nil: the bus address itself, as for a transport that
	// multiplexes every shard on one listener).
	Transport func(shard int, bus string, logger hclog.Logger) (raft.Transport, error)
	AddrOf    func(shard int, bus string) raft.ServerAddress
}

func (d Deps) withDefaults() Deps {
	if d.Stores == nil {
		d.Stores = newInterimStores
	}
	if d.Transport == nil {
		d.Transport = tcpTransport
		d.AddrOf = portPerShard
	}
	if d.AddrOf == nil {
		d.AddrOf = func(_ int, bus string) raft.ServerAddress { return raft.ServerAddress(bus) }
	}
	return d
}

// portPerShard is the interim addressing: shard s of a node listens on
// the bus host at the bus port + s.
func portPerShard(shard int, bus string) raft.ServerAddress {
	host, port, err := net.SplitHostPort(bus)
	if err != nil {
		return raft.ServerAddress(bus)
	}
	p, _ := strconv.Atoi(port)
	return raft.ServerAddress(net.JoinHostPort(host, strconv.Itoa(p+shard)))
}

func tcpTransport(shard int, bus string, logger hclog.Logger) (raft.Transport, error) {
	addr := string(portPerShard(shard, bus))
	return raft.NewTCPTransportWithLogger(addr, nil, 3, 2*time.Second, logger)
}
