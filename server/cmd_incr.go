package server

import "math"

func cmdIncr(x *execCtx, args [][]byte) { incrBy(x, args[1], 1) }
func cmdDecr(x *execCtx, args [][]byte) { incrBy(x, args[1], -1) }

func cmdIncrBy(x *execCtx, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		x.r.error(errNotInteger)
		return
	}
	incrBy(x, args[1], n)
}

func cmdDecrBy(x *execCtx, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		x.r.error(errNotInteger)
		return
	}
	if n == math.MinInt64 {
		x.r.error("ERR decrement would overflow")
		return
	}
	incrBy(x, args[1], -n)
}

// incrBy adds n to the decimal integer stored at key (0 if absent),
// keeping the key's expiry, as redis-server's incrDecrCommand.
func incrBy(x *execCtx, key []byte, n int64) {
	e, ok, err := x.tx.get(key)
	if err != nil {
		x.fail(err)
		return
	}
	var v int64
	if ok {
		if v, ok = parseInt(e.val); !ok {
			x.r.error(errNotInteger)
			return
		}
	}
	if (n < 0 && v < 0 && n < math.MinInt64-v) || (n > 0 && v > 0 && n > math.MaxInt64-v) {
		x.r.error(errOverflow)
		return
	}
	v += n
	if err := x.tx.set(key, entry{val: []byte(itoa(v)), exp: e.exp}); err != nil {
		x.fail(err)
		return
	}
	x.r.int(v)
}
