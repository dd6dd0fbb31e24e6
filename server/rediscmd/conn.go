package rediscmd

import (
	"crypto/subtle"
	"strings"

	"github.com/tempestdb/tempest/internal/resp"
)

// Version is the redis-server version whose replies tempest serve
// reproduces; HELLO and INFO report it.
const Version = "7.0.15"

// Session is one client connection's state that the connection commands
// read and change.
type Session struct {
	ID     int64
	Authed bool
	Name   string
	// Out holds the replies not yet sent, in the connection's protocol
	// (Out.Proto: 2, or 3 after HELLO 3).
	Out resp.Writer
}

// Env is the front end's side of the connection commands.
type Env struct {
	// Password, if not empty, is the password AUTH must give.
	Password string
	// Cluster says the front end is a cluster node (HELLO's mode, SELECT).
	Cluster bool
	// Table is the front end's command table (COMMAND).
	Table Table
}

// Reply texts shared by many commands (redis-server 7.0's shared.*).
const (
	ErrNotInteger = "ERR value is not an integer or out of range"
	ErrSyntax     = "ERR syntax error"
	ErrOverflow   = "ERR increment or decrement would overflow"
	ErrWrongPass  = "WRONGPASS invalid username-password pair or user is disabled."
	ErrNoAuth     = "NOAUTH Authentication required."
	errClientName = "ERR Client names cannot contain spaces, newlines or special characters."
)

func connPing(s *Session, _ *Env, args [][]byte) {
	switch len(args) {
	case 1:
		s.Out.Simple("PONG")
	case 2:
		s.Out.Bulk(args[1])
	default:
		s.Out.Error(ArityError("ping"))
	}
}

func connEcho(s *Session, _ *Env, args [][]byte) { s.Out.Bulk(args[1]) }

// connSelect is redis-server 7.0's selectCommand with one database.
func connSelect(s *Session, env *Env, args [][]byte) {
	id, ok := resp.ParseInt(args[1])
	switch {
	case !ok:
		s.Out.Error(ErrNotInteger)
	case id < -1<<31 || id > 1<<31-1:
		s.Out.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
	case id != 0 && env.Cluster:
		s.Out.Error("ERR SELECT is not allowed in cluster mode")
	case id != 0:
		s.Out.Error("ERR DB index is out of range")
	default:
		s.Out.OK()
	}
}

// CheckPassword reports whether user and pass authenticate: only the
// user "default" exists, and with no password configured any password
// is accepted for it (redis-server's nopass default user).
func (env *Env) CheckPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	if env.Password == "" {
		return true
	}
	return subtle.ConstantTimeCompare(pass, []byte(env.Password)) == 1
}

func connAuth(s *Session, env *Env, args [][]byte) {
	if len(args) > 3 {
		s.Out.Error(ErrSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if env.Password == "" {
		s.Out.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !env.CheckPassword(user, pass) {
		s.Out.Error(ErrWrongPass)
		return
	}
	s.Authed = true
	s.Out.OK()
}

// connHello is redis-server 7.0's helloCommand.
func connHello(s *Session, env *Env, args [][]byte) {
	ver := int64(0)
	next := 1
	if len(args) >= 2 {
		v, ok := resp.ParseInt(args[1])
		if !ok {
			s.Out.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			s.Out.Error("NOPROTO unsupported protocol version")
			return
		}
		ver, next = v, 2
	}
	var user, pass, name []byte
	setName := false
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "auth" && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case opt == "setname" && more >= 1:
			name, setName = args[j+1], true
			j++
		default:
			s.Out.Error("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if !env.CheckPassword(user, pass) {
			s.Out.Error(ErrWrongPass)
			return
		}
		s.Authed = true
	}
	if !s.Authed {
		s.Out.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		if !validClientName(name) {
			s.Out.Error(errClientName)
			return
		}
		s.Name = string(name)
	}
	if ver != 0 {
		s.Out.Proto = int(ver)
	}
	helloReply(s, env)
}

func helloReply(s *Session, env *Env) {
	mode := "standalone"
	if env.Cluster {
		mode = "cluster"
	}
	w := &s.Out
	w.Map(7)
	w.BulkString("server")
	w.BulkString("tempest")
	w.BulkString("version")
	w.BulkString(Version)
	w.BulkString("proto")
	w.Int(int64(w.Proto))
	w.BulkString("id")
	w.Int(s.ID)
	w.BulkString("mode")
	w.BulkString(mode)
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// validClientName is redis-server's validateClientName: printable ASCII
// from '!' to '~'.
func validClientName(name []byte) bool {
	for _, c := range name {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func connClientSetName(s *Session, _ *Env, args [][]byte) {
	if !validClientName(args[2]) {
		s.Out.Error(errClientName)
		return
	}
	s.Name = string(args[2])
	s.Out.OK()
}

func connClientGetName(s *Session, _ *Env, _ [][]byte) {
	if s.Name == "" {
		s.Out.Null()
		return
	}
	s.Out.BulkString(s.Name)
}

func connClientID(s *Session, _ *Env, _ [][]byte) { s.Out.Int(s.ID) }
