package rediscmd

import (
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

func cmdDel(x *Ctx, args [][]byte) { countKeys(x, args[1:], x.Tx.Del) }

func cmdExists(x *Ctx, args [][]byte) { countKeys(x, args[1:], x.Tx.Exists) }

// countKeys replies with the number of keys for which f reports true.
func countKeys(x *Ctx, keys [][]byte, f func([]byte) (bool, error)) {
	var n int64
	for _, k := range keys {
		ok, err := f(k)
		if err != nil {
			x.Fail(err)
			return
		}
		if ok {
			n++
		}
	}
	x.W.Int(n)
}

// Expire flags (redis-server 7.0's EXPIRE_NX ...).
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

func cmdExpire(x *Ctx, args [][]byte)   { expireGeneric(x, args, "expire", 0, true) }
func cmdPExpire(x *Ctx, args [][]byte)  { expireGeneric(x, args, "pexpire", 0, false) }
func cmdExpireAt(x *Ctx, args [][]byte) { expireGeneric(x, args, "expireat", -1, true) }
func cmdPExpireAt(x *Ctx, args [][]byte) {
	expireGeneric(x, args, "pexpireat", -1, false)
}

// expireGeneric is redis-server 7.0's expireGenericCommand. base is 0 for
// a relative time (now is added) and -1 for an absolute one.
func expireGeneric(x *Ctx, args [][]byte, name string, base int64, seconds bool) {
	flags, ok := parseExpireFlags(x, args[3:])
	if !ok {
		return
	}
	when, ok := resp.ParseInt(args[2])
	if !ok {
		x.W.Error(ErrNotInteger)
		return
	}
	if seconds {
		if when > maxInt64/1000 || when < minInt64/1000 {
			x.W.Error(expireTimeError(name))
			return
		}
		when *= 1000
	}
	basetime := int64(0)
	if base == 0 {
		basetime = x.Tx.Now
	}
	if when > maxInt64-basetime {
		x.W.Error(expireTimeError(name))
		return
	}
	when += basetime
	e, found, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	if !found {
		x.W.Int(0)
		return
	}
	cur := e.Exp
	if cur == 0 {
		cur = -1
	}
	switch {
	case flags&expNX != 0 && cur != -1,
		flags&expXX != 0 && cur == -1,
		flags&expGT != 0 && (when <= cur || cur == -1),
		flags&expLT != 0 && cur != -1 && when >= cur:
		x.W.Int(0)
		return
	}
	if when <= x.Tx.Now {
		_, err = x.Tx.Del(args[1])
	} else {
		err = x.Tx.Set(args[1], Entry{Val: e.Val, Exp: when})
	}
	if err != nil {
		x.Fail(err)
		return
	}
	x.W.Int(1)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// parseExpireFlags is parseExtendedExpireArgumentsOrReply.
func parseExpireFlags(x *Ctx, args [][]byte) (int, bool) {
	flags := 0
	for _, a := range args {
		switch strings.ToLower(string(a)) {
		case "nx":
			flags |= expNX
		case "xx":
			flags |= expXX
		case "gt":
			flags |= expGT
		case "lt":
			flags |= expLT
		default:
			x.W.Error("ERR Unsupported option " + string(a))
			return 0, false
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		x.W.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		x.W.Error("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

func cmdTTL(x *Ctx, args [][]byte)  { ttlGeneric(x, args[1], false) }
func cmdPTTL(x *Ctx, args [][]byte) { ttlGeneric(x, args[1], true) }

// ttlGeneric is redis-server's ttlGenericCommand: -2 for a missing key,
// -1 for one without expiry, else the time left (seconds rounded).
func ttlGeneric(x *Ctx, key []byte, ms bool) {
	e, ok, err := x.Tx.Get(key)
	switch {
	case err != nil:
		x.Fail(err)
	case !ok:
		x.W.Int(-2)
	case e.Exp == 0:
		x.W.Int(-1)
	default:
		left := max(e.Exp-x.Tx.Now, 0)
		if !ms {
			left = (left + 500) / 1000
		}
		x.W.Int(left)
	}
}

func cmdPersist(x *Ctx, args [][]byte) {
	e, ok, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	if !ok || e.Exp == 0 {
		x.W.Int(0)
		return
	}
	if err := x.Tx.Set(args[1], Entry{Val: e.Val}); err != nil {
		x.Fail(err)
		return
	}
	x.W.Int(1)
}
