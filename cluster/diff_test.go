package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/redistest"
)

// clusterDiffSession is what TestClusterReplyDiff sends to a real
// redis-server 7.0 in cluster mode (every slot its own) and to the
// leader of a one-shard cluster of three nodes, comparing raw replies
// (redistest.Step explains the normalizations). Its keys share the hash
// tag {t}, so that they are in one slot, as a Redis Cluster client's
// transaction must be.
var clusterDiffSession = `
FLUSHDB
@hello HELLO
@hello HELLO 2
HELLO 4
HELLO abc
HELLO 2 FOO
HELLO 2 AUTH default
HELLO 2 SETNAME 'a b'
AUTH
AUTH foo
AUTH default anything
AUTH someone pass
AUTH a b c
CLIENT SETNAME me
CLIENT GETNAME
@int CLIENT ID
SELECT 0
SELECT 1
SELECT abc
MGET {t}a b
MSET {t}a 1 b 2
SET {t}k1 v1
GET {t}k1
MSETNX {t}a 1 {t}x 2
MSETNX {t}x 1 {t}y 2
MGET {t}a {t}x {t}y
MSETNX {t}x 1 {t}y
MSETNX {t}x
MSETNX a 1 b 2
APPEND {t}ap hello
APPEND {t}ap ' world'
GETRANGE {t}ap 0 4
GETRANGE {t}ap -5 -1
GETRANGE {t}ap 0 -1
GETRANGE {t}ap 6 100
GETRANGE {t}ap 5 2
GETRANGE {t}ap -1 -5
GETRANGE {t}ap -100 -50
GETRANGE {t}ap -100 3
GETRANGE {t}ap 100 200
GETRANGE {t}nokey 0 -1
GETRANGE {t}ap a 1
GETRANGE {t}ap 0
SET {t}e1 v
EXPIRE {t}nokey 10
EXPIRE {t}e1 100
@ttl TTL {t}e1
EXPIRE {t}e1 100 NX
EXPIRE {t}e1 100 XX
EXPIRE {t}e1 50 GT
EXPIRE {t}e1 200 GT
@ttl TTL {t}e1
EXPIRE {t}e1 300 LT
EXPIRE {t}e1 150 LT
@ttl TTL {t}e1
EXPIRE {t}e1 10 NX XX
EXPIRE {t}e1 10 GT LT
EXPIRE {t}e1 10 NX GT
EXPIRE {t}e1 10 FOO
EXPIRE {t}e1 abc
EXPIRE {t}e1 9223372036854775807
EXPIRE {t}e1 -9223372036854775808
PEXPIRE {t}e1 9223372036854775807
PEXPIRE {t}e1 200000 LT
@ttl TTL {t}e1
EXPIREAT {t}e1 9223372036854775807
PEXPIREAT {t}e1 9223372036854775807
EXPIREAT {t}e1 99999999999 NX
EXPIREAT {t}e1 99999999999 GT
@ttl PTTL {t}nokey
PERSIST {t}e1
EXPIREAT {t}e1 99999999999 LT
EXPIREAT {t}e1 99999999999 XX
PEXPIREAT {t}e1 99999999999999 NX
EXPIREAT {t}e1 abc
EXPIREAT {t}e1
PEXPIREAT {t}e1 1
EXISTS {t}e1
SET {t}e1 v
EXPIREAT {t}e1 1
EXISTS {t}e1
EXPIREAT {t}nokey 99999999999
PEXPIREAT {t}nokey 99999999999999
MULTI
SET {t}t 1
INCR {t}t
GET {t}t
INCR {t}nokey-t
EXEC
MULTI
MULTI
EXEC
EXEC
DISCARD
MULTI
SET {t}t
EXEC
MULTI
NOSUCHCOMMAND
GET {t}t
EXEC
MULTI
SET {t}t 5
DISCARD
GET {t}t
MULTI
WATCH {t}t
EXEC
MULTI
SET {t}s hello
INCR {t}s
GET {t}s
EXEC
WATCH {t}t
SET {t}t 3
MULTI
GET {t}t
EXEC
WATCH {t}t
UNWATCH
SET {t}t 4
MULTI
EXEC
WATCH {t}t {t}nokey
MULTI
GET {t}t
EXEC
MULTI
SET {t}a b EX abc
SET {t}a b
INCR {t}s
GETRANGE {t}a x y
MSETNX {t}a 1 {t}m 2
EXPIRE {t}a 100 XX
AUTH x
HELLO
ECHO done
@hello EXEC
MULTI
SELECT 1
CLIENT SETNAME 'bad name'
PING
EXEC
MULTI
SET {t}a 1
GET b
EXEC
MULTI
GET a
GET b
EXEC
MULTI
MGET {t}a b
EXEC
WATCH a b
WATCH
UNWATCH x
MULTI x
EXEC x
DISCARD x
MULTI
PING
EXEC
MULTI
EXEC
WATCH {t}w
MULTI
PING
EXEC
@info=redis_version,redis_mode,cluster_enabled,db0 INFO
@info=cluster_enabled INFO cluster
@info=db0 INFO keyspace
@info=redis_mode,cluster_enabled,db0 INFO server cluster keyspace
INFO nosuchsection
FLUSHDB
MSET {t}k1 1 {t}k2 2 {t}key3 3 {t}other 4
@sort KEYS *
@sort KEYS {t}k*
@sort KEYS {t}k?
@sort KEYS *[^0-9]
@sort KEYS *3
@sort KEYS nomatch
KEYS
@scan SCAN 0 COUNT 1000
@scan SCAN 0 MATCH {t}k* COUNT 1000
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
@info=db0 INFO keyspace
FLUSHDB FOO
FLUSHDB SYNC x
FLUSHDB ASYNC
DBSIZE
KEYS *
@info=db0 INFO keyspace
SET {t}m1 1
MULTI
DBSIZE
KEYS {t}m*
SCAN 0 MATCH {t}m* COUNT 1000
SET {t}m2 2
DEL {t}m1
DBSIZE
KEYS *
SCAN 0 COUNT 1000
EXEC
MULTI
SET {t}m3 3
FLUSHDB
SET {t}m4 4
DBSIZE
KEYS *
GET {t}m2
EXEC
MULTI
DBSIZE
FLUSHDB
SET {t}m5 5
DBSIZE
EXEC
MULTI
FLUSHDB x
FLUSHDB ASYNC x
SCAN abc
SCAN 0 COUNT 0
KEYS
DBSIZE
FLUSHDB SYNC
EXEC
MULTI
DBSIZE x
EXEC
SET {t}w 1
WATCH {t}w
SET {t}w 2
MULTI
FLUSHDB
DBSIZE
EXEC
GET {t}w
WATCH {t}w
MULTI
FLUSHDB
SET {t}w 3
DBSIZE
EXEC
GET {t}w
MULTI
PING
FLUSHDB
DBSIZE
KEYS *
EXEC
`

// clusterWatchSession is run by two clients, "1" and "2" (the first field
// of each line): which writes of another client make EXEC abort.
var clusterWatchSession = `
1 SET {t}k 1
1 WATCH {t}k
2 FLUSHDB
1 MULTI
1 SET {t}k 2
1 EXEC
1 SET {t}k 1
1 WATCH {t}k
2 SET {t}k 1
1 MULTI
1 EXEC
1 WATCH {t}k
2 GET {t}k
2 DEL {t}nokey
2 SET {t}k v NX
2 PERSIST {t}k
2 EXPIRE {t}k 100 GT
2 GETDEL {t}nokey
2 INCR {t}k2
1 MULTI
1 EXEC
1 WATCH {t}k
2 EXPIRE {t}k 100
1 MULTI
1 EXEC
1 WATCH {t}k
2 PERSIST {t}k
1 MULTI
1 EXEC
1 WATCH {t}k
2 APPEND {t}k ''
1 MULTI
1 EXEC
1 SET {t}s x
1 WATCH {t}s
2 INCR {t}s
2 MULTI
2 SET {t}s y
2 DISCARD
1 MULTI
1 EXEC
1 WATCH {t}s
2 MULTI
2 SET {t}s y
2 EXEC
1 MULTI
1 GET {t}s
1 EXEC
1 WATCH {t}k {t}s
1 UNWATCH
2 DEL {t}k {t}s
1 MULTI
1 EXEC
1 WATCH {t}k
2 MSET {t}k 1 {t}s 2
1 DISCARD
1 MULTI
1 EXEC
1 WATCH {t}n
2 SET {t}n 1
2 DEL {t}n
1 MULTI
1 SET {t}n 2
1 EXEC
1 GET {t}n
1 WATCH {t}n
2 MSETNX {t}n 1 {t}k 2
1 MULTI
1 EXEC
1 WATCH {t}k {t}n
2 EXPIRE {t}n 100 NX
2 PEXPIREAT {t}k 1
1 MULTI
1 EXISTS {t}k {t}n
1 EXEC
`

// startRedisCluster runs a redis-server in cluster mode that holds every
// slot, and returns its address once its cluster state is ok.
func startRedisCluster(t *testing.T, extra ...string) string {
	t.Helper()
	addr := redistest.StartRedis(t, append([]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}, extra...)...)
	c := redistest.Dial(t, addr)
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--requirepass" {
			c.Do("AUTH", extra[i+1])
		}
	}
	if got := string(c.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383")); got != "+OK\r\n" {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(c.Do("CLUSTER", "INFO")), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatal("redis-server's cluster state not ok after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

// newDiffCluster starts three nodes holding one shard (three replicas),
// so that the leader answers for every slot as the redis-server of
// startRedisCluster does, with leadership balancing off (a transfer
// would redirect the session), and returns the leader's address.
func newDiffCluster(t *testing.T, password string) (*testCluster, string) {
	t.Helper()
	tc := newTestClusterConfig(t, 3, 1, 3, testRaft, smallDB(), func(c *Config) {
		c.NoLeaderBalance = true
		c.RequirePass = password
	})
	tc.waitLeadersKnown()
	return tc, tc.layout.Nodes[tc.waitLeader(0)].Addr
}

// TestClusterReplyDiff compares clusterDiffSession's replies, in RESP2
// and after HELLO 3, then checks that the replicas agree.
func TestClusterReplyDiff(t *testing.T) {
	redisAddr := startRedisCluster(t)
	tc, addr := newDiffCluster(t, "")
	lines := redistest.Lines(t, clusterDiffSession)
	for _, proto := range []string{"2", "3"} {
		steps := lines
		if proto == "3" {
			steps = append([]redistest.Step{{How: "@hello", Args: []string{"HELLO", "3"}}}, lines...)
		}
		fails := redistest.Compare(t, "RESP"+proto, steps, redistest.Dial(t, redisAddr), redistest.Dial(t, addr))
		t.Logf("RESP%s: %d commands compared, %d differ", proto, len(steps), fails)
	}
	tc.waitCaughtUp()
}

// clusterAuthSession runs against servers that require the password
// "secret".
var clusterAuthSession = `
GET {t}a
PING
NOSUCHCOMMAND
GET
MULTI
EXEC
EXEC x
CLUSTER INFO
HELLO 3
HELLO 3 SETNAME x
AUTH wrong
AUTH default wrong
AUTH nobody secret
HELLO 2 AUTH default wrong
GET {t}a
AUTH secret
SET {t}a 1
GET {t}a
AUTH default secret
@hello HELLO 3 AUTH default secret SETNAME me
CLIENT GETNAME
GET {t}nokey
AUTH wrong
GET {t}a
`

// TestClusterReplyDiffAuth compares the replies of servers that require
// a password, before and after AUTH.
func TestClusterReplyDiffAuth(t *testing.T) {
	redisAddr := startRedisCluster(t, "--requirepass", "secret")
	_, addr := newDiffCluster(t, "secret")
	redistest.Compare(t, "auth", redistest.Lines(t, clusterAuthSession), redistest.Dial(t, redisAddr), redistest.Dial(t, addr))
}

// TestClusterReplyDiffWatch compares WATCH's outcomes across two clients,
// then checks that the replicas agree.
func TestClusterReplyDiffWatch(t *testing.T) {
	redisAddr := startRedisCluster(t)
	tc, addr := newDiffCluster(t, "")
	r := map[string]*redistest.Client{"1": redistest.Dial(t, redisAddr), "2": redistest.Dial(t, redisAddr)}
	m := map[string]*redistest.Client{"1": redistest.Dial(t, addr), "2": redistest.Dial(t, addr)}
	redistest.CompareClients(t, clusterWatchSession, r, m)
	tc.waitCaughtUp()
}
