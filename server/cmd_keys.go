package server

import (
	"strings"
)

func cmdDel(x *execCtx, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		ok, err := x.tx.del(k)
		if err != nil {
			x.fail(err)
			return
		}
		if ok {
			n++
		}
	}
	x.r.int(n)
}

func cmdExists(x *execCtx, args [][]byte) {
	var n int64
	for _, k := range args[1:] {
		ok, err := x.tx.exists(k)
		if err != nil {
			x.fail(err)
			return
		}
		if ok {
			n++
		}
	}
	x.r.int(n)
}

// Expire flags (redis-server 7.0's EXPIRE_NX ...).
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

func cmdExpire(x *execCtx, args [][]byte)   { expireGeneric(x, args, "expire", 0, true) }
func cmdPExpire(x *execCtx, args [][]byte)  { expireGeneric(x, args, "pexpire", 0, false) }
func cmdExpireAt(x *execCtx, args [][]byte) { expireGeneric(x, args, "expireat", -1, true) }
func cmdPExpireAt(x *execCtx, args [][]byte) {
	expireGeneric(x, args, "pexpireat", -1, false)
}

// expireGeneric is redis-server 7.0's expireGenericCommand. base is 0 for
// a relative time (now is added) and -1 for an absolute one.
func expireGeneric(x *execCtx, args [][]byte, name string, base int64, seconds bool) {
	flags, ok := parseExpireFlags(x, args[3:])
	if !ok {
		return
	}
	when, ok := parseInt(args[2])
	if !ok {
		x.r.error(errNotInteger)
		return
	}
	if seconds {
		if when > maxInt64/1000 || when < minInt64/1000 {
			x.r.error(expireTimeError(name))
			return
		}
		when *= 1000
	}
	basetime := int64(0)
	if base == 0 {
		basetime = x.tx.now
	}
	if when > maxInt64-basetime {
		x.r.error(expireTimeError(name))
		return
	}
	when += basetime
	e, found, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	if !found {
		x.r.int(0)
		return
	}
	cur := e.exp
	if cur == 0 {
		cur = -1
	}
	switch {
	case flags&expNX != 0 && cur != -1,
		flags&expXX != 0 && cur == -1,
		flags&expGT != 0 && (when <= cur || cur == -1),
		flags&expLT != 0 && cur != -1 && when >= cur:
		x.r.int(0)
		return
	}
	if when <= x.tx.now {
		_, err = x.tx.del(args[1])
	} else {
		err = x.tx.set(args[1], entry{val: e.val, exp: when})
	}
	if err != nil {
		x.fail(err)
		return
	}
	x.r.int(1)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

// parseExpireFlags is parseExtendedExpireArgumentsOrReply.
func parseExpireFlags(x *execCtx, args [][]byte) (int, bool) {
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
			x.r.error("ERR Unsupported option " + string(a))
			return 0, false
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		x.r.error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		x.r.error("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

func cmdTTL(x *execCtx, args [][]byte)  { ttlGeneric(x, args[1], false) }
func cmdPTTL(x *execCtx, args [][]byte) { ttlGeneric(x, args[1], true) }

// ttlGeneric is redis-server's ttlGenericCommand: -2 for a missing key,
// -1 for one without expiry, else the time left (seconds rounded).
func ttlGeneric(x *execCtx, key []byte, ms bool) {
	e, ok, err := x.tx.get(key)
	switch {
	case err != nil:
		x.fail(err)
	case !ok:
		x.r.int(-2)
	case e.exp == 0:
		x.r.int(-1)
	default:
		left := max(e.exp-x.tx.now, 0)
		if !ms {
			left = (left + 500) / 1000
		}
		x.r.int(left)
	}
}

func cmdPersist(x *execCtx, args [][]byte) {
	e, ok, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	if !ok || e.exp == 0 {
		x.r.int(0)
		return
	}
	if err := x.tx.set(args[1], entry{val: e.val}); err != nil {
		x.fail(err)
		return
	}
	x.r.int(1)
}
