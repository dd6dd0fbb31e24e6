package cluster

import (
	"time"

	"github.com/tempestdb/tempest/server/rediscmd"
)

// commands is the cluster's command table: rediscmd's shared commands
// (the key commands run in the shards' state machines or on their
// leaders' state; the connection commands on the connection) and the
// cluster's own.
var commands = rediscmd.NewTable(
	&rediscmd.Command{Name: "cluster", Arity: -2},
	&rediscmd.Command{Name: "readonly", Arity: 1},
	&rediscmd.Command{Name: "readwrite", Arity: 1},
	&rediscmd.Command{Name: "asking", Arity: 1},
)

// handlers run the commands of the table that are neither key nor
// connection commands, by name.
var handlers map[string]func(n *Node, st *connState, argv [][]byte)

func init() {
	handlers = map[string]func(n *Node, st *connState, argv [][]byte){
		"cluster":   cmdCluster,
		"readonly":  func(_ *Node, st *connState, _ [][]byte) { st.readonly = true; st.Out.OK() },
		"readwrite": func(_ *Node, st *connState, _ [][]byte) { st.readonly = false; st.Out.OK() },
		"asking":    func(_ *Node, st *connState, _ [][]byte) { st.Out.OK() },
		"info":      cmdInfo,
		"dbsize":    cmdDBSize,
		"keys":      cmdKeys,
		"scan":      cmdScan,
		"flushdb":   cmdFlushDB,
		"multi":     cmdMulti,
		"exec":      cmdExec,
		"discard":   cmdDiscard,
		"watch":     cmdWatch,
		"unwatch":   cmdUnwatch,
	}
}

// nowMillis is the node's clock for reads and for stamping entries.
func nowMillis() int64 { return time.Now().UnixMilli() }
