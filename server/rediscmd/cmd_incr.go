package rediscmd

import (
	"math"
	"strconv"

	"github.com/tempestdb/tempest/internal/resp"
)

func cmdIncr(x *Ctx, args [][]byte) { incrBy(x, args[1], 1) }
func cmdDecr(x *Ctx, args [][]byte) { incrBy(x, args[1], -1) }

func cmdIncrBy(x *Ctx, args [][]byte) {
	n, ok := resp.ParseInt(args[2])
	if !ok {
		x.W.Error(ErrNotInteger)
		return
	}
	incrBy(x, args[1], n)
}

func cmdDecrBy(x *Ctx, args [][]byte) {
	n, ok := resp.ParseInt(args[2])
	if !ok {
		x.W.Error(ErrNotInteger)
		return
	}
	if n == math.MinInt64 {
		x.W.Error("ERR decrement would overflow")
		return
	}
	incrBy(x, args[1], -n)
}

// incrBy adds n to the decimal integer stored at key (0 if absent),
// keeping the key's expiry, as redis-server's incrDecrCommand.
func incrBy(x *Ctx, key []byte, n int64) {
	e, ok, err := x.Tx.Get(key)
	if err != nil {
		x.Fail(err)
		return
	}
	var v int64
	if ok {
		if v, ok = resp.ParseInt(e.Val); !ok {
			x.W.Error(ErrNotInteger)
			return
		}
	}
	if (n < 0 && v < 0 && n < math.MinInt64-v) || (n > 0 && v > 0 && n > math.MaxInt64-v) {
		x.W.Error(ErrOverflow)
		return
	}
	v += n
	if err := x.Tx.Set(key, Entry{Val: strconv.AppendInt(nil, v, 10), Exp: e.Exp}); err != nil {
		x.Fail(err)
		return
	}
	x.W.Int(v)
}
