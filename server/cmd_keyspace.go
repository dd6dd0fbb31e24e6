package server

import "github.com/tempestdb/tempest/server/rediscmd"

// cmdScan walks the keys in key order from the cursor's position (see
// rediscmd.CursorTable), examining COUNT stored entries.
func cmdScan(x *execCtx, args [][]byte) {
	cursor, ok := rediscmd.ParseCursor(x.r, args[1])
	if !ok {
		return
	}
	o, ok := rediscmd.ParseScanOptions(x.r, args[2:])
	if !ok {
		return
	}
	var from []byte
	if cursor != 0 {
		from, _ = x.s.cursors.Get(cursor)
	}
	keys, next, _, err := x.tx.Scan(from, o.Count, o)
	if err != nil {
		x.fail(err)
		return
	}
	var id uint64
	if next != nil {
		id = x.s.cursors.Put(next)
	}
	rediscmd.WriteScan(x.r, id, keys)
}

func cmdKeys(x *execCtx, args [][]byte) {
	keys, err := x.tx.MatchingKeys(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	rediscmd.WriteKeys(x.r, keys)
}

func cmdDBSize(x *execCtx, _ [][]byte) {
	n, _, err := x.tx.CountKeys()
	if err != nil {
		x.fail(err)
		return
	}
	x.r.Int(n)
}

// cmdFlushDB deletes every key with one range tombstone. The watched
// keys it finds alive count as modified, as redis-server's FLUSHDB
// touches them.
func cmdFlushDB(x *execCtx, args [][]byte) {
	if !rediscmd.ValidFlushArgs(args) {
		x.r.Error(rediscmd.ErrSyntax)
		return
	}
	for _, k := range x.s.watches.keys() {
		ok, err := x.tx.Exists(k)
		if err != nil {
			x.fail(err)
			return
		}
		if ok {
			x.tx.Touch(k)
		}
	}
	if err := x.tx.DeleteAll(); err != nil {
		x.fail(err)
		return
	}
	x.r.OK()
}
