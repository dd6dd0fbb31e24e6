package server

import (
	"crypto/subtle"
	"strings"
)

// Version is the redis-server version whose replies tempest serve
// reproduces; HELLO and INFO report it.
const Version = "7.0.15"

func cmdPing(x *execCtx, args [][]byte) {
	switch len(args) {
	case 1:
		x.r.simple("PONG")
	case 2:
		x.r.bulk(args[1])
	default:
		x.r.error(arityError("ping"))
	}
}

func cmdEcho(x *execCtx, args [][]byte) { x.r.bulk(args[1]) }

func cmdSelect(x *execCtx, args [][]byte) {
	id, ok := parseInt(args[1])
	if !ok {
		x.r.error(errNotInteger)
		return
	}
	if id < -1<<31 || id > 1<<31-1 {
		x.r.error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if id != 0 {
		x.r.error("ERR DB index is out of range")
		return
	}
	x.r.ok()
}

// checkPassword reports whether user and pass authenticate: only the user
// "default" exists, and with no password configured any password is
// accepted for it (redis-server's nopass default user).
func (s *Server) checkPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	if s.cfg.RequirePass == "" {
		return true
	}
	return subtle.ConstantTimeCompare(pass, []byte(s.cfg.RequirePass)) == 1
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(x *execCtx, args [][]byte) {
	if len(args) > 3 {
		x.r.error(errSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if x.s.cfg.RequirePass == "" {
		x.r.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !x.s.checkPassword(user, pass) {
		x.r.error(errWrongPass)
		return
	}
	x.c.authed = true
	x.r.ok()
}

// cmdHello is redis-server 7.0's helloCommand.
func cmdHello(x *execCtx, args [][]byte) {
	ver := int64(0)
	next := 1
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			x.r.error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			x.r.error("NOPROTO unsupported protocol version")
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
			x.r.error("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if !x.s.checkPassword(user, pass) {
			x.r.error(errWrongPass)
			return
		}
		x.c.authed = true
	}
	if !x.c.authed {
		x.r.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		if !validClientName(name) {
			x.r.error(errClientName)
			return
		}
		x.c.name = string(name)
	}
	if ver != 0 {
		x.r.proto = int(ver)
	}
	x.r.mapLen(7)
	x.r.bulkString("server")
	x.r.bulkString("tempest")
	x.r.bulkString("version")
	x.r.bulkString(Version)
	x.r.bulkString("proto")
	x.r.int(int64(x.r.proto))
	x.r.bulkString("id")
	x.r.int(x.c.id)
	x.r.bulkString("mode")
	x.r.bulkString("standalone")
	x.r.bulkString("role")
	x.r.bulkString("master")
	x.r.bulkString("modules")
	x.r.array(0)
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

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

func cmdClientSetName(x *execCtx, args [][]byte) {
	if !validClientName(args[2]) {
		x.r.error(errClientName)
		return
	}
	x.c.name = string(args[2])
	x.r.ok()
}

func cmdClientGetName(x *execCtx, _ [][]byte) {
	if x.c.name == "" {
		x.r.null()
		return
	}
	x.r.bulkString(x.c.name)
}

func cmdClientID(x *execCtx, _ [][]byte) { x.r.int(x.c.id) }
