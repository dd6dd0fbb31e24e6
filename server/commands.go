package server

import "github.com/tempestdb/tempest/server/rediscmd"

// commands is the command table: the shared commands of rediscmd and
// CONFIG GET.
var commands = rediscmd.NewTable(
	&rediscmd.Command{Name: "config", Arity: -2, Subs: map[string]*rediscmd.Command{
		"get": {Name: "config|get", Arity: -3},
	}},
)

// handlers run the commands of the table that are neither key nor
// connection commands (rediscmd runs those), by name.
var handlers map[string]func(x *execCtx, args [][]byte)

func init() {
	handlers = map[string]func(x *execCtx, args [][]byte){
		"info":       cmdInfo,
		"config|get": cmdConfigGet,
		"dbsize":     cmdDBSize,
		"flushdb":    cmdFlushDB,
		"scan":       cmdScan,
		"keys":       cmdKeys,
		"multi":      cmdMulti,
		"exec":       cmdExec,
		"discard":    cmdDiscard,
		"watch":      cmdWatch,
		"unwatch":    cmdUnwatch,
	}
}
