package rediscmd

import (
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

// ScanOptions are SCAN's MATCH, COUNT and TYPE.
type ScanOptions struct {
	Match []byte // nil: every key
	Count int64
	Type  string
}

// ParseScanOptions parses SCAN's options (the arguments after the
// cursor), or writes redis-server's error and returns false.
func ParseScanOptions(w *resp.Writer, args [][]byte) (ScanOptions, bool) {
	o := ScanOptions{Count: 10}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			w.Error(ErrSyntax)
			return o, false
		}
		switch strings.ToLower(string(args[i])) {
		case "count":
			n, ok := resp.ParseInt(args[i+1])
			if !ok {
				w.Error(ErrNotInteger)
				return o, false
			}
			if n < 1 {
				w.Error(ErrSyntax)
				return o, false
			}
			o.Count = n
		case "match":
			o.Match = matchPattern(args[i+1])
		case "type":
			o.Type = strings.ToLower(string(args[i+1]))
		default:
			w.Error(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// matchPattern is nil for "*", which redis-server treats apart (Glob's
// "*" does not match the empty key).
func matchPattern(p []byte) []byte {
	if len(p) == 1 && p[0] == '*' {
		return nil
	}
	return p
}

// Scan examines up to count stored entries of the keyspace from the
// Redis key from (nil: the first), in key order, and returns the live
// keys among them that pass o's filters, the key where the next step
// resumes (nil: the keyspace has no more keys), and how many entries it
// examined.
func (t *Txn) Scan(from []byte, count int64, o ScanOptions) (keys [][]byte, next []byte, examined int64, err error) {
	it, err := t.Iter()
	if err != nil {
		return nil, nil, 0, err
	}
	defer it.Close()
	for valid := it.SeekGE(t.Key(from)); valid; valid = it.Next() {
		if examined == count {
			next = append([]byte(nil), it.Key()[len(t.Prefix):]...)
			break
		}
		examined++
		if k, ok := t.liveKey(it.Key(), it.Value(), o); ok {
			keys = append(keys, k)
		}
	}
	return keys, next, examined, it.Error()
}

// MatchingKeys returns every live key matching the KEYS pattern.
func (t *Txn) MatchingKeys(pattern []byte) ([][]byte, error) {
	keys, _, _, err := t.Scan(nil, -1, ScanOptions{Match: matchPattern(pattern)})
	return keys, err
}

// liveKey returns the Redis key of a stored entry if it is live and
// passes the MATCH and TYPE filters.
func (t *Txn) liveKey(sk, v []byte, o ScanOptions) ([]byte, bool) {
	e, err := DecodeValue(v)
	if err != nil || e.ExpiredAt(t.Now) {
		return nil, false
	}
	k := sk[len(t.Prefix):]
	if o.Type != "" && o.Type != "string" {
		return nil, false
	}
	if o.Match != nil && !resp.Glob(o.Match, k) {
		return nil, false
	}
	return append([]byte(nil), k...), true
}

// CountKeys counts the live keys and those of them with an expiry.
func (t *Txn) CountKeys() (keys, expires int64, err error) {
	it, err := t.Iter()
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	for valid := it.First(); valid; valid = it.Next() {
		e, derr := DecodeValue(it.Value())
		if derr != nil || e.ExpiredAt(t.Now) {
			continue
		}
		keys++
		if e.Exp != 0 {
			expires++
		}
	}
	return keys, expires, it.Error()
}

// WriteScan writes SCAN's reply: the next cursor and the keys.
func WriteScan(w *resp.Writer, cursor uint64, keys [][]byte) {
	w.Array(2)
	w.BulkString(resp.FormatUint(cursor))
	w.Array(len(keys))
	for _, k := range keys {
		w.Bulk(k)
	}
}

// WriteKeys writes an array of keys (KEYS).
func WriteKeys(w *resp.Writer, keys [][]byte) {
	w.Array(len(keys))
	for _, k := range keys {
		w.Bulk(k)
	}
}

// ValidFlushArgs reports whether FLUSHDB's arguments are valid: none,
// SYNC or ASYNC.
func ValidFlushArgs(args [][]byte) bool {
	return len(args) == 1 || (len(args) == 2 && (strings.EqualFold(string(args[1]), "sync") || strings.EqualFold(string(args[1]), "async")))
}

// ParseCursor parses SCAN's cursor, or writes redis-server's error and
// returns false.
func ParseCursor(w *resp.Writer, arg []byte) (uint64, bool) {
	c, ok := resp.ParseCursor(arg)
	if !ok {
		w.Error("ERR invalid cursor")
	}
	return c, ok
}
