package server

import (
	"math"
	"strings"
)

// fail replies with an engine error and discards the txn's writes.
func (x *execCtx) fail(err error) {
	msg := engineError(err)
	x.r.error(msg)
	if x.tx != nil {
		x.tx.failed = true
		x.tx.failMsg = msg
	}
}

func cmdGet(x *execCtx, args [][]byte) {
	e, ok, err := x.tx.get(args[1])
	switch {
	case err != nil:
		x.fail(err)
	case !ok:
		x.r.null()
	default:
		x.r.bulk(e.val)
	}
}

// setOptions are SET's options, parsed as redis-server 7.0's
// parseExtendedStringArgumentsOrReply does.
type setOptions struct {
	nx, xx, get, keepTTL bool
	unit                 string // "ex", "px", "exat", "pxat" or ""
	expire               []byte
}

func parseSetOptions(args [][]byte) (setOptions, bool) {
	var o setOptions
	for j := 0; j < len(args); j++ {
		opt := strings.ToLower(string(args[j]))
		hasNext := j+1 < len(args)
		switch {
		case opt == "nx" && !o.xx:
			o.nx = true
		case opt == "xx" && !o.nx:
			o.xx = true
		case opt == "get":
			o.get = true
		case opt == "keepttl" && o.unit == "":
			o.keepTTL = true
		case (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") &&
			!o.keepTTL && (o.unit == "" || o.unit == opt) && hasNext:
			o.unit = opt
			o.expire = args[j+1]
			j++
		default:
			return o, false
		}
	}
	return o, true
}

// expireMs turns SET's expire argument into an absolute Unix ms, with
// redis-server's checks (getExpireMillisecondsOrReply).
func expireMs(x *execCtx, cmd, unit string, arg []byte) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		x.r.error(errNotInteger)
		return 0, false
	}
	seconds := unit == "ex" || unit == "exat"
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		x.r.error(expireTimeError(cmd))
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if unit == "ex" || unit == "px" {
		v += x.tx.now // wraps on overflow, caught below as redis-server does
	}
	if v <= 0 {
		x.r.error(expireTimeError(cmd))
		return 0, false
	}
	return v, true
}

func expireTimeError(cmd string) string {
	return "ERR invalid expire time in '" + cmd + "' command"
}

func cmdSet(x *execCtx, args [][]byte) {
	o, ok := parseSetOptions(args[3:])
	if !ok {
		x.r.error(errSyntax)
		return
	}
	var exp int64
	if o.unit != "" {
		if exp, ok = expireMs(x, "set", o.unit, o.expire); !ok {
			return
		}
	}
	// Only GET, NX, XX and KEEPTTL depend on the old value; a plain SET
	// writes blind.
	var old entry
	var found bool
	if o.get || o.nx || o.xx || o.keepTTL {
		var err error
		if old, found, err = x.tx.get(args[1]); err != nil {
			x.fail(err)
			return
		}
	}
	if o.get {
		if found {
			x.r.bulk(old.val)
		} else {
			x.r.null()
		}
	}
	if (o.nx && found) || (o.xx && !found) {
		if !o.get {
			x.r.null()
		}
		return
	}
	if o.keepTTL && found {
		exp = old.exp
	}
	if err := x.tx.set(args[1], entry{val: args[2], exp: exp}); err != nil {
		x.fail(err)
		return
	}
	if !o.get {
		x.r.ok()
	}
}

func cmdSetNX(x *execCtx, args [][]byte) {
	found, err := x.tx.exists(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	if found {
		x.r.int(0)
		return
	}
	if err := x.tx.set(args[1], entry{val: args[2]}); err != nil {
		x.fail(err)
		return
	}
	x.r.int(1)
}

func cmdGetDel(x *execCtx, args [][]byte) {
	e, ok, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	if !ok {
		x.r.null()
		return
	}
	val := append([]byte(nil), e.val...)
	if _, err := x.tx.del(args[1]); err != nil {
		x.fail(err)
		return
	}
	x.r.bulk(val)
}

func cmdMGet(x *execCtx, args [][]byte) {
	x.r.array(len(args) - 1)
	for _, k := range args[1:] {
		e, ok, err := x.tx.get(k)
		if err != nil || !ok {
			x.r.null() // as redis-server: MGET answers nil for what it cannot read
			continue
		}
		x.r.bulk(e.val)
	}
}

func cmdMSet(x *execCtx, args [][]byte) {
	if len(args)%2 == 0 {
		x.r.error(arityError("mset"))
		return
	}
	for i := 1; i < len(args); i += 2 {
		if err := x.tx.set(args[i], entry{val: args[i+1]}); err != nil {
			x.fail(err)
			return
		}
	}
	x.r.ok()
}

func cmdMSetNX(x *execCtx, args [][]byte) {
	if len(args)%2 == 0 {
		x.r.error(arityError("msetnx"))
		return
	}
	for i := 1; i < len(args); i += 2 {
		found, err := x.tx.exists(args[i])
		if err != nil {
			x.fail(err)
			return
		}
		if found {
			x.r.int(0)
			return
		}
	}
	for i := 1; i < len(args); i += 2 {
		if err := x.tx.set(args[i], entry{val: args[i+1]}); err != nil {
			x.fail(err)
			return
		}
	}
	x.r.int(1)
}

// maxStringBytes is redis-server's proto-max-bulk-len, the largest string
// APPEND may build.
const maxStringBytes = 512 << 20

func cmdAppend(x *execCtx, args [][]byte) {
	e, ok, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	if !ok {
		e = entry{}
	}
	if len(e.val)+len(args[2]) > maxStringBytes {
		x.r.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return
	}
	val := make([]byte, 0, len(e.val)+len(args[2]))
	val = append(append(val, e.val...), args[2]...)
	if err := x.tx.set(args[1], entry{val: val, exp: e.exp}); err != nil {
		x.fail(err)
		return
	}
	x.r.int(int64(len(val)))
}

func cmdStrlen(x *execCtx, args [][]byte) {
	e, _, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	x.r.int(int64(len(e.val)))
}

// cmdGetRange is redis-server 7.0's getrangeCommand, index rules included.
func cmdGetRange(x *execCtx, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		x.r.error(errNotInteger)
		return
	}
	e, _, err := x.tx.get(args[1])
	if err != nil {
		x.fail(err)
		return
	}
	n := int64(len(e.val))
	if start < 0 && end < 0 && start > end {
		x.r.bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		x.r.bulk(nil)
		return
	}
	x.r.bulk(e.val[start : end+1])
}
