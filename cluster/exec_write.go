package cluster

import (
	"math"
	"strconv"
	"strings"
)

// The write commands a shard's FSM executes. Each decides its outcome
// from the entry (its arguments and the leader's clock) and the shard's
// state alone: NX/XX, INCR's arithmetic and expiry are the same on every
// replica.
var writeCommands = map[string]func(v *view, argv [][]byte) (Reply, error){
	"set":     execSet,
	"setnx":   execSetNX,
	"getdel":  execGetDel,
	"del":     execDel,
	"unlink":  execDel,
	"incr":    func(v *view, a [][]byte) (Reply, error) { return incrBy(v, a[1], 1) },
	"decr":    func(v *view, a [][]byte) (Reply, error) { return incrBy(v, a[1], -1) },
	"incrby":  execIncrBy,
	"decrby":  execIncrBy,
	"mset":    execMSet,
	"append":  execAppend,
	"expire":  execExpire,
	"pexpire": execExpire,
	"persist": execPersist,
}

var (
	errSyntax    = errReply("ERR syntax error")
	errNotInt    = errReply("ERR value is not an integer or out of range")
	errOverflow  = errReply("ERR increment or decrement would overflow")
	errExpireSet = errReply("ERR invalid expire time in 'set' command")
)

func parseInt(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// execSet is SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].
func execSet(v *view, a [][]byte) (Reply, error) {
	var nx, xx, get, keep bool
	var exp int64
	for i := 3; i < len(a); i++ {
		opt := strings.ToLower(string(a[i]))
		switch opt {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "get":
			get = true
		case "keepttl":
			keep = true
		case "ex", "px", "exat", "pxat":
			if exp != 0 || i+1 >= len(a) {
				return errSyntax, nil
			}
			i++
			n, ok := parseInt(a[i])
			if !ok {
				return errNotInt, nil
			}
			var good bool
			if exp, good = expiryAt(v.now, opt, n); !good {
				return errExpireSet, nil
			}
		default:
			return errSyntax, nil
		}
	}
	if (nx && xx) || (keep && exp != 0) {
		return errSyntax, nil
	}
	old, oldExp, had, err := v.get(a[1])
	if err != nil {
		return Reply{}, err
	}
	if (nx && had) || (xx && !had) {
		if get && had {
			return bulkReply(old), nil
		}
		return Reply{Kind: KindNull}, nil
	}
	if keep && had {
		exp = oldExp
	}
	if err := v.put(a[1], a[2], exp); err != nil {
		return Reply{}, err
	}
	switch {
	case get && had:
		return bulkReply(old), nil
	case get:
		return Reply{Kind: KindNull}, nil
	}
	return okReply, nil
}

// expiryAt converts an expiry option to Unix ms; ok is false for a time
// Redis rejects (not positive, or overflowing).
func expiryAt(now int64, opt string, n int64) (int64, bool) {
	if n <= 0 {
		return 0, false
	}
	switch opt {
	case "ex", "exat":
		if n > math.MaxInt64/1000 {
			return 0, false
		}
		n *= 1000
	}
	if opt == "ex" || opt == "px" {
		if n > math.MaxInt64-now {
			return 0, false
		}
		n += now
	}
	return n, true
}

func execSetNX(v *view, a [][]byte) (Reply, error) {
	_, _, had, err := v.get(a[1])
	if err != nil || had {
		return intReply(0), err
	}
	return intReply(1), v.put(a[1], a[2], 0)
}

func execGetDel(v *view, a [][]byte) (Reply, error) {
	old, _, had, err := v.get(a[1])
	if err != nil || !had {
		return Reply{Kind: KindNull}, err
	}
	return bulkReply(old), v.del(a[1])
}

func execDel(v *view, a [][]byte) (Reply, error) {
	var n int64
	for _, k := range a[1:] {
		_, _, had, err := v.get(k)
		if err != nil {
			return Reply{}, err
		}
		if had {
			n++
			if err := v.del(k); err != nil {
				return Reply{}, err
			}
		}
	}
	return intReply(n), nil
}

func execIncrBy(v *view, a [][]byte) (Reply, error) {
	d, ok := parseInt(a[2])
	if !ok {
		return errNotInt, nil
	}
	if strings.EqualFold(string(a[0]), "decrby") {
		if d == math.MinInt64 {
			return errReply("ERR decrement would overflow"), nil
		}
		d = -d
	}
	return incrBy(v, a[1], d)
}

// incrBy adds d to key's integer, keeping its expiry.
func incrBy(v *view, key []byte, d int64) (Reply, error) {
	old, exp, had, err := v.get(key)
	if err != nil {
		return Reply{}, err
	}
	var n int64
	if had {
		var ok bool
		if n, ok = parseInt(old); !ok || len(old) > 20 {
			return errNotInt, nil
		}
	}
	if (d > 0 && n > math.MaxInt64-d) || (d < 0 && n < math.MinInt64-d) {
		return errOverflow, nil
	}
	n += d
	return intReply(n), v.put(key, strconv.AppendInt(nil, n, 10), exp)
}

func execMSet(v *view, a [][]byte) (Reply, error) {
	for i := 1; i+1 < len(a); i += 2 {
		if err := v.put(a[i], a[i+1], 0); err != nil {
			return Reply{}, err
		}
	}
	return okReply, nil
}

func execAppend(v *view, a [][]byte) (Reply, error) {
	old, exp, _, err := v.get(a[1])
	if err != nil {
		return Reply{}, err
	}
	val := append(append([]byte(nil), old...), a[2]...)
	return intReply(int64(len(val))), v.put(a[1], val, exp)
}

// execExpire is EXPIRE key seconds and PEXPIRE key ms; a time at or
// before now deletes the key, as in Redis.
func execExpire(v *view, a [][]byte) (Reply, error) {
	n, ok := parseInt(a[2])
	if !ok {
		return errNotInt, nil
	}
	if len(a) > 3 {
		return errSyntax, nil
	}
	old, _, had, err := v.get(a[1])
	if err != nil || !had {
		return intReply(0), err
	}
	ms := n
	if strings.EqualFold(string(a[0]), "expire") {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return errReply("ERR invalid expire time in 'expire' command"), nil
		}
		ms = n * 1000
	}
	if (ms > 0 && ms > math.MaxInt64-v.now) || ms+v.now <= v.now {
		if ms > 0 {
			return errReply("ERR invalid expire time in '" + strings.ToLower(string(a[0])) + "' command"), nil
		}
		return intReply(1), v.del(a[1])
	}
	return intReply(1), v.put(a[1], old, v.now+ms)
}

func execPersist(v *view, a [][]byte) (Reply, error) {
	old, exp, had, err := v.get(a[1])
	if err != nil || !had || exp == 0 {
		return intReply(0), err
	}
	return intReply(1), v.put(a[1], old, 0)
}
