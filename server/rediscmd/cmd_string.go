package rediscmd

import (
	"math"
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

func cmdGet(x *Ctx, args [][]byte) {
	e, ok, err := x.Tx.Get(args[1])
	switch {
	case err != nil:
		x.Fail(err)
	case !ok:
		x.W.Null()
	default:
		x.W.Bulk(e.Val)
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
func expireMs(x *Ctx, cmd, unit string, arg []byte) (int64, bool) {
	v, ok := resp.ParseInt(arg)
	if !ok {
		x.W.Error(ErrNotInteger)
		return 0, false
	}
	seconds := unit == "ex" || unit == "exat"
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		x.W.Error(expireTimeError(cmd))
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if unit == "ex" || unit == "px" {
		v += x.Tx.Now // wraps on overflow, caught below as redis-server does
	}
	if v <= 0 {
		x.W.Error(expireTimeError(cmd))
		return 0, false
	}
	return v, true
}

func expireTimeError(cmd string) string {
	return "ERR invalid expire time in '" + cmd + "' command"
}

func cmdSet(x *Ctx, args [][]byte) {
	o, ok := parseSetOptions(args[3:])
	if !ok {
		x.W.Error(ErrSyntax)
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
	var old Entry
	var found bool
	if o.get || o.nx || o.xx || o.keepTTL {
		var err error
		if old, found, err = x.Tx.Get(args[1]); err != nil {
			x.Fail(err)
			return
		}
	}
	if o.get {
		if found {
			x.W.Bulk(old.Val)
		} else {
			x.W.Null()
		}
	}
	if (o.nx && found) || (o.xx && !found) {
		if !o.get {
			x.W.Null()
		}
		return
	}
	if o.keepTTL && found {
		exp = old.Exp
	}
	if err := x.Tx.Set(args[1], Entry{Val: args[2], Exp: exp}); err != nil {
		x.Fail(err)
		return
	}
	if !o.get {
		x.W.OK()
	}
}

func cmdSetNX(x *Ctx, args [][]byte) { setAllIfAbsent(x, args[1:]) }

func cmdGetDel(x *Ctx, args [][]byte) {
	e, ok, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	if !ok {
		x.W.Null()
		return
	}
	val := append([]byte(nil), e.Val...)
	if _, err := x.Tx.Del(args[1]); err != nil {
		x.Fail(err)
		return
	}
	x.W.Bulk(val)
}

func cmdMGet(x *Ctx, args [][]byte) {
	x.W.Array(len(args) - 1)
	for _, k := range args[1:] {
		e, ok, err := x.Tx.Get(k)
		if err != nil || !ok {
			x.W.Null() // as redis-server: MGET answers nil for what it cannot read
			continue
		}
		x.W.Bulk(e.Val)
	}
}

func cmdMSet(x *Ctx, args [][]byte) {
	if len(args)%2 == 0 {
		x.W.Error(ArityError("mset"))
		return
	}
	for i := 1; i < len(args); i += 2 {
		if err := x.Tx.Set(args[i], Entry{Val: args[i+1]}); err != nil {
			x.Fail(err)
			return
		}
	}
	x.W.OK()
}

func cmdMSetNX(x *Ctx, args [][]byte) {
	if len(args)%2 == 0 {
		x.W.Error(ArityError("msetnx"))
		return
	}
	setAllIfAbsent(x, args[1:])
}

// setAllIfAbsent sets every key of the key–value pairs kv, and replies 1,
// if none of the keys exists; otherwise it sets nothing and replies 0
// (SETNX, MSETNX).
func setAllIfAbsent(x *Ctx, kv [][]byte) {
	for i := 0; i < len(kv); i += 2 {
		found, err := x.Tx.Exists(kv[i])
		if err != nil {
			x.Fail(err)
			return
		}
		if found {
			x.W.Int(0)
			return
		}
	}
	for i := 0; i < len(kv); i += 2 {
		if err := x.Tx.Set(kv[i], Entry{Val: kv[i+1]}); err != nil {
			x.Fail(err)
			return
		}
	}
	x.W.Int(1)
}

// maxStringBytes is redis-server's proto-max-bulk-len, the largest string
// APPEND may build.
const maxStringBytes = 512 << 20

func cmdAppend(x *Ctx, args [][]byte) {
	e, ok, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	if !ok {
		e = Entry{}
	}
	if len(e.Val)+len(args[2]) > maxStringBytes {
		x.W.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return
	}
	val := make([]byte, 0, len(e.Val)+len(args[2]))
	val = append(append(val, e.Val...), args[2]...)
	if err := x.Tx.Set(args[1], Entry{Val: val, Exp: e.Exp}); err != nil {
		x.Fail(err)
		return
	}
	x.W.Int(int64(len(val)))
}

func cmdStrlen(x *Ctx, args [][]byte) {
	e, _, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	x.W.Int(int64(len(e.Val)))
}

// cmdGetRange is redis-server 7.0's getrangeCommand, index rules included.
func cmdGetRange(x *Ctx, args [][]byte) {
	start, ok1 := resp.ParseInt(args[2])
	end, ok2 := resp.ParseInt(args[3])
	if !ok1 || !ok2 {
		x.W.Error(ErrNotInteger)
		return
	}
	e, _, err := x.Tx.Get(args[1])
	if err != nil {
		x.Fail(err)
		return
	}
	n := int64(len(e.Val))
	if start < 0 && end < 0 && start > end {
		x.W.Bulk(nil)
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
		x.W.Bulk(nil)
		return
	}
	x.W.Bulk(e.Val[start : end+1])
}
