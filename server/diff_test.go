package server

import (
	"testing"

	"github.com/tempestdb/tempest/internal/redistest"
)

// diffSession is the scripted session TestReplyDiff sends to a real
// redis-server and to tempest serve, comparing raw reply bytes. One line
// is one command; a '...' argument may hold spaces; a line may begin with
// a normalization (redistest.Step).
var diffSession = `
FLUSHDB
PING
PING hello
PING a b
ECHO hi
ECHO
ECHO a b
SELECT 0
SELECT 1
SELECT abc
SELECT 99999999999
NOSUCHCOMMAND a b
NOSUCHCOMMAND xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx b
NOSUCHCOMMAND yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz w
NOSUCHCOMMAND
GET
GET a b
SET k1
SET k1 v1
GET k1
GET nokey
SET k1 v2 NX
SET k1 v2 XX
GET k1
SET newk v NX
SET nk2 v XX
GET nk2
SET k1 v3 GET
SET missing v GET
SET missing2 v NX GET
SET k1 v4 NX GET
SET k1 v EX 100
@ttl TTL k1
SET k1 v KEEPTTL
@ttl TTL k1
SET k1 v
@ttl TTL k1
SET k1 v EX 0
SET k1 v EX -5
SET k1 v EX abc
SET k1 v PX 0
SET k1 v EX 10 PX 10
SET k1 v EX 10 EX 100
@ttl TTL k1
SET k1 v NX XX
SET k1 v KEEPTTL EX 10
SET k1 v EX 10 KEEPTTL
SET k1 v EX
SET k1 v FOO
SET k1 v EX 9223372036854775807
SET k1 v PX 9223372036854775807
SET k1 v EXAT 1
GET k1
EXISTS k1
SET k1 v PXAT 1
GET k1
SET k1 v PXAT 99999999999999
PERSIST k1
@ttl TTL k1
GETDEL k1
GETDEL k1
GETDEL
SETNX sn 1
SETNX sn 2
GET sn
SETNX sn
MSET a 1 b 2 c 3
MGET a b c nokey
MGET
MSET a 1 b
MSET a
MSETNX a 1 x 2
MSETNX x 1 y 2
MGET x y
MSETNX x 1 y
DEL a b nokey
DEL
EXISTS c c x nokey
EXISTS
UNLINK c x
UNLINK
EXISTS c x
INCR ctr
INCR ctr
INCRBY ctr 10
INCRBY ctr -3
DECR ctr
DECRBY ctr 5
DECRBY ctr -5
GET ctr
INCRBY ctr abc
INCRBY ctr 1.5
INCR
INCRBY ctr
SET big 9223372036854775807
INCR big
INCRBY big 0
DECRBY big 9223372036854775807
DECRBY big -9223372036854775808
DECRBY big 9223372036854775808
SET small -9223372036854775808
DECR small
INCRBY small -1
SET sp ' 1'
INCR sp
SET lz 01
INCR lz
SET pl +1
INCR pl
SET mz -0
INCR mz
SET str hello
INCR str
SET neg -5
INCR neg
SET ex1 5 EX 100
INCR ex1
@ttl TTL ex1
APPEND ap hello
APPEND ap ' world'
GET ap
STRLEN ap
STRLEN nokey
STRLEN
APPEND ap
GETRANGE ap 0 4
GETRANGE ap -5 -1
GETRANGE ap 0 -1
GETRANGE ap 6 100
GETRANGE ap 5 2
GETRANGE ap -1 -5
GETRANGE ap -100 -50
GETRANGE ap -100 3
GETRANGE ap 100 200
GETRANGE nokey 0 -1
GETRANGE ap a 1
GETRANGE ap 0
SET e1 v
EXPIRE nokey 10
EXPIRE e1 100
@ttl TTL e1
EXPIRE e1 100 NX
EXPIRE e1 100 XX
EXPIRE e1 50 GT
EXPIRE e1 200 GT
@ttl TTL e1
EXPIRE e1 300 LT
EXPIRE e1 150 LT
@ttl TTL e1
EXPIRE e1 10 NX XX
EXPIRE e1 10 GT LT
EXPIRE e1 10 NX GT
EXPIRE e1 10 FOO
EXPIRE e1 abc
EXPIRE e1
EXPIRE e1 9223372036854775807
EXPIRE e1 -9223372036854775808
PEXPIRE e1 9223372036854775807
EXPIREAT e1 9223372036854775807
PEXPIREAT e1 9223372036854775807
PERSIST e1
@ttl TTL e1
PERSIST e1
EXPIRE e1 100 XX
EXPIRE e1 100 GT
EXPIRE e1 100 LT
@ttl TTL e1
PEXPIRE e1 200000
@ttl TTL e1
PEXPIREAT e1 1
EXISTS e1
SET e1 v
EXPIREAT e1 1
EXISTS e1
SET e1 v
EXPIRE e1 -1
EXISTS e1
SET e1 v
PEXPIRE e1 0
EXISTS e1
TTL nokey
PTTL nokey
SET np v
PTTL np
TTL
PTTL
PERSIST
PERSIST nokey
FLUSHDB
MSET k1 1 k2 2 key3 3 other 4
@sort KEYS *
@sort KEYS k*
@sort KEYS k?
@sort KEYS [ko]*
@sort KEYS *[^0-9]
@sort KEYS k\*
@sort KEYS nomatch
@sort KEYS [k
@sort KEYS k[
@sort KEYS k[e
@sort KEYS \\k*
@sort KEYS *3
@sort KEYS ?????
@sort KEYS [a-l]*
@sort KEYS [l-a]*
@sort KEYS k[^e]*
@sort KEYS ***
@sort KEYS *e*
@sort KEYS k*y*
@sort KEYS [\\k]*
@sort KEYS other*
KEYS
@scan SCAN 0 COUNT 1000
@scan SCAN 0 MATCH k* COUNT 1000
@scan SCAN 0 MATCH nomatch COUNT 1000
@scan SCAN 0 TYPE string COUNT 1000
@scan SCAN 0 TYPE list COUNT 1000
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN abc
SCAN ' 1'
SCAN 18446744073709551616
SCAN 0 FOO bar
SCAN 0 MATCH
SCAN 0 COUNT
SCAN
DBSIZE
DBSIZE x
FLUSHDB FOO
FLUSHDB SYNC x
FLUSHDB ASYNC
DBSIZE
MULTI
SET t 1
INCR t
GET t
INCR nokey-t
EXEC
MULTI
MULTI
EXEC
EXEC
DISCARD
MULTI
SET t
EXEC
MULTI
NOSUCHCOMMAND
GET t
EXEC
MULTI
SET t 5
DISCARD
GET t
MULTI
WATCH t
EXEC
MULTI
SET s hello
INCR s
GET s
EXEC
WATCH t
SET t 3
MULTI
GET t
EXEC
WATCH t
UNWATCH
SET t 4
MULTI
EXEC
WATCH t nokey
MULTI
GET t
EXEC
MULTI
SET a b EX abc
SET a b
INCR s
GETRANGE a x y
AUTH x
HELLO
ECHO done
@hello EXEC
MULTI
SELECT 1
CLIENT SETNAME 'bad name'
PING
EXEC
WATCH
UNWATCH x
MULTI x
EXEC x
DISCARD x
CLIENT GETNAME
CLIENT SETNAME foo
CLIENT GETNAME
CLIENT SETNAME 'a b'
CLIENT SETNAME ''
CLIENT GETNAME
CLIENT SETNAME
CLIENT GETNAME x
CLIENT
CLIENT NOSUCH
@int CLIENT ID
CLIENT ID x
CONFIG GET save
CONFIG GET appendonly
CONFIG GET appendfsync
CONFIG GET databases
@pairs CONFIG GET save appendonly
CONFIG GET nosuchparameter
CONFIG GET
CONFIG
CONFIG NOSUCH
AUTH
AUTH foo
AUTH default anything
AUTH someone pass
AUTH a b c
HELLO 4
HELLO 1
HELLO abc
HELLO 2 FOO
HELLO 2 AUTH default
HELLO 2 SETNAME 'a b'
COMMAND NOSUCH
QUIT
`

// TestReplyDiff sends diffSession to a real redis-server 7.0 and to
// tempest serve, in RESP2 and then, on new connections, after HELLO 3,
// and requires byte-identical replies (after the normalizations above).
func TestReplyDiff(t *testing.T) {
	redisAddr := startRedis(t)
	s := startTempest(t, Config{})
	lines := redistest.Lines(t, diffSession)
	for _, proto := range []string{"2", "3"} {
		rc, tc := dialRaw(t, redisAddr), dialRaw(t, s.Addr().String())
		steps := lines
		if proto == "3" {
			steps = append([]redistest.Step{{How: "@hello", Args: []string{"HELLO", "3"}}}, lines...)
		}
		fails := redistest.Compare(t, "RESP"+proto, steps, rc, tc)
		t.Logf("RESP%s: %d commands compared, %d differ", proto, len(steps), fails)
	}
}

// diffAuthSession runs against servers that require the password
// "secret".
var diffAuthSession = `
GET a
PING
NOSUCHCOMMAND
GET
MULTI
EXEC
EXEC x
HELLO 3
HELLO 3 SETNAME x
AUTH wrong
AUTH default wrong
AUTH nobody secret
HELLO 2 AUTH default wrong
GET a
AUTH secret
GET a
AUTH default secret
@hello HELLO 3 AUTH default secret SETNAME me
CLIENT GETNAME
AUTH wrong
GET a
`

// TestReplyDiffAuth compares the replies of servers that require a
// password, before and after AUTH.
func TestReplyDiffAuth(t *testing.T) {
	redisAddr := startRedis(t, "--requirepass", "secret")
	s := startTempest(t, Config{RequirePass: "secret"})
	rc, tc := dialRaw(t, redisAddr), dialRaw(t, s.Addr().String())
	redistest.Compare(t, "auth", redistest.Lines(t, diffAuthSession), rc, tc)
}

// diffWatchSession is run by two clients, "1" and "2" (the first field of
// each line), against both servers: which writes of another client make
// EXEC abort.
var diffWatchSession = `
1 SET k 1
1 WATCH k
2 FLUSHDB
1 MULTI
1 SET k 2
1 EXEC
1 WATCH nokey
2 FLUSHDB
1 MULTI
1 EXEC
1 SET k 1
1 WATCH k
2 SET k 1
1 MULTI
1 EXEC
1 WATCH k
2 GET k
2 DEL nokey
2 SET k v NX
2 PERSIST k
2 EXPIRE k 100 GT
2 GETDEL nokey
2 INCR k2
1 MULTI
1 EXEC
1 WATCH k
2 EXPIRE k 100
1 MULTI
1 EXEC
1 WATCH k
2 PERSIST k
1 MULTI
1 EXEC
1 WATCH k
2 APPEND k ''
1 MULTI
1 EXEC
1 SET s x
1 WATCH s
2 INCR s
2 MULTI
2 SET s y
2 DISCARD
1 MULTI
1 EXEC
1 WATCH s
2 MULTI
2 SET s y
2 EXEC
1 MULTI
1 GET s
1 EXEC
1 WATCH k s
1 UNWATCH
2 DEL k s
1 MULTI
1 EXEC
1 WATCH k
2 MSET k 1 s 2
1 DISCARD
1 MULTI
1 EXEC
`

// TestReplyDiffWatch compares WATCH's outcomes across two clients.
func TestReplyDiffWatch(t *testing.T) {
	redisAddr := startRedis(t)
	s := startTempest(t, Config{})
	r := map[string]*rawClient{"1": dialRaw(t, redisAddr), "2": dialRaw(t, redisAddr)}
	m := map[string]*rawClient{"1": dialRaw(t, s.Addr().String()), "2": dialRaw(t, s.Addr().String())}
	redistest.CompareClients(t, diffWatchSession, r, m)
}
