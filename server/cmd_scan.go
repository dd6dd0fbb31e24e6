package server

import (
	"strings"
)

// scanOptions are SCAN's MATCH, COUNT and TYPE.
type scanOptions struct {
	match []byte // nil: every key
	count int64
	typ   string
}

func parseScanOptions(x *execCtx, args [][]byte) (scanOptions, bool) {
	o := scanOptions{count: 10}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			x.r.error(errSyntax)
			return o, false
		}
		switch strings.ToLower(string(args[i])) {
		case "count":
			n, ok := parseInt(args[i+1])
			if !ok {
				x.r.error(errNotInteger)
				return o, false
			}
			if n < 1 {
				x.r.error(errSyntax)
				return o, false
			}
			o.count = n
		case "match":
			o.match = args[i+1]
			if len(o.match) == 1 && o.match[0] == '*' {
				o.match = nil
			}
		case "type":
			o.typ = strings.ToLower(string(args[i+1]))
		default:
			x.r.error(errSyntax)
			return o, false
		}
	}
	return o, true
}

// cmdScan walks the keys in key order from the cursor's position (see
// cursorTable), examining COUNT stored entries.
func cmdScan(x *execCtx, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		x.r.error("ERR invalid cursor")
		return
	}
	o, ok := parseScanOptions(x, args[2:])
	if !ok {
		return
	}
	var from []byte
	if cursor != 0 {
		from, _ = x.s.cursors.get(cursor)
	}
	it, err := x.tx.iter()
	if err != nil {
		x.fail(err)
		return
	}
	defer it.Close()
	var keys [][]byte
	var next uint64
	valid := it.SeekGE(storeKey(from))
	for n := int64(0); valid; valid = it.Next() {
		if n == o.count {
			next = x.s.cursors.put(it.Key()[1:])
			break
		}
		n++
		if k, ok := x.liveKey(it.Key(), it.Value(), o); ok {
			keys = append(keys, k)
		}
	}
	if err := it.Error(); err != nil {
		x.fail(err)
		return
	}
	x.r.array(2)
	x.r.bulkString(itou(next))
	x.r.array(len(keys))
	for _, k := range keys {
		x.r.bulk(k)
	}
}

// liveKey returns the Redis key of a stored entry if it is live and
// passes the MATCH and TYPE filters.
func (x *execCtx) liveKey(sk, v []byte, o scanOptions) ([]byte, bool) {
	e, err := decodeValue(v)
	if err != nil || e.expiredAt(x.tx.now) {
		return nil, false
	}
	k := sk[1:]
	if o.typ != "" && o.typ != "string" {
		return nil, false
	}
	if o.match != nil && !globMatch(o.match, k) {
		return nil, false
	}
	return append([]byte(nil), k...), true
}

func cmdKeys(x *execCtx, args [][]byte) {
	o := scanOptions{match: args[1]}
	if len(o.match) == 1 && o.match[0] == '*' {
		o.match = nil
	}
	it, err := x.tx.iter()
	if err != nil {
		x.fail(err)
		return
	}
	defer it.Close()
	var keys [][]byte
	for valid := it.First(); valid; valid = it.Next() {
		if k, ok := x.liveKey(it.Key(), it.Value(), o); ok {
			keys = append(keys, k)
		}
	}
	if err := it.Error(); err != nil {
		x.fail(err)
		return
	}
	x.r.array(len(keys))
	for _, k := range keys {
		x.r.bulk(k)
	}
}

// countKeys counts the live keys and those of them with an expiry.
func (x *execCtx) countKeys() (keys, expires int64, err error) {
	it, err := x.tx.iter()
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		e, derr := decodeValue(it.Value())
		if derr != nil || e.expiredAt(x.tx.now) {
			continue
		}
		keys++
		if e.exp != 0 {
			expires++
		}
	}
	return keys, expires, it.Error()
}

func cmdDBSize(x *execCtx, _ [][]byte) {
	n, _, err := x.countKeys()
	if err != nil {
		x.fail(err)
		return
	}
	x.r.int(n)
}

func cmdFlushDB(x *execCtx, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "sync") && !strings.EqualFold(string(args[1]), "async")) {
		x.r.error(errSyntax)
		return
	}
	if err := x.tx.flush(); err != nil {
		x.fail(err)
		return
	}
	x.r.ok()
}

func itou(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
