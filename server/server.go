// Package server is tempest serve: a Redis-protocol (RESP2 and RESP3)
// server over one Tempest database, built on github.com/tidwall/redcon.
// docs/server.md describes the commands, the durability promises, expiry
// and the differences from redis-server.
package server

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/server/rediscmd"
	"github.com/tidwall/redcon"
)

// Fsync policies (redis-server's appendfsync).
const (
	FsyncAlways   = "always"
	FsyncEverySec = "everysec"
)

// Config configures a Server.
type Config struct {
	Dir  string // database directory
	Addr string // listen address, host:port
	// RequirePass, if not empty, is the password AUTH must give.
	RequirePass string
	// AppendFsync is FsyncAlways (the default: every write is fsynced
	// before its reply) or FsyncEverySec.
	AppendFsync string
	// Limits; zero means the default.
	MaxClients  int // connections at once (default 10000)
	MaxPipeline int // commands read in one go from a connection (default 100000)
	MaxArgBytes int // bytes in one argument (default 512 MiB)
	// SweepEvery is the period of the expiry sweep (default 100ms; a
	// negative value turns the background sweep off: expired keys then
	// read as absent but stay stored until SweepExpired).
	SweepEvery time.Duration
	// DBOptions, if not nil, opens the database (Comparer must be the
	// default).
	DBOptions *tempest.Options
	// Logf logs server events; nil discards them.
	Logf func(format string, args ...any)
}

// Server serves one database.
type Server struct {
	cfg Config
	db  *tempest.DB
	ln  net.Listener
	rs  *redcon.Server

	// wmu serializes write txns, WATCH and EXEC: a write txn reads and
	// commits under it, so its reads are still true at its commit.
	wmu     sync.Mutex
	watches *watchRegistry // guarded by wmu
	dur     *durability
	cursors *rediscmd.CursorTable
	env     rediscmd.Env // the connection commands' side

	started  time.Time
	nextID   atomic.Int64
	clients  atomic.Int64
	conns    atomic.Int64 // connections accepted, ever
	commands atomic.Int64 // commands processed
	rejected atomic.Int64 // connections refused (maxclients)
	expired  atomic.Int64 // keys the expiry sweep removed

	stop      chan struct{}
	bg        sync.WaitGroup // background loops
	connWG    sync.WaitGroup // connection goroutines
	served    chan struct{}  // closed when Serve returns
	closeOnce sync.Once
	closeErr  error
}

// Open validates cfg, opens the database and listens on cfg.Addr; Serve
// then serves.
func Open(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	opts := tempest.Options{}
	if cfg.DBOptions != nil {
		opts = *cfg.DBOptions
	}
	db, err := tempest.Open(cfg.Dir, &opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Server{
		cfg: cfg, db: db, ln: ln,
		watches: newWatchRegistry(),
		cursors: rediscmd.NewCursorTable(rediscmd.MaxCursors),
		started: time.Now(),
		stop:    make(chan struct{}),
		served:  make(chan struct{}),
	}
	s.env = rediscmd.Env{Password: cfg.RequirePass, Table: commands}
	s.dur = newDurability(s)
	s.rs = redcon.NewServerNetwork("tcp", cfg.Addr, s.serveRESP, s.accept, s.closed)
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = rediscmd.SweepEvery
	}
	if cfg.SweepEvery > 0 {
		s.bg.Add(1)
		go func() { defer s.bg.Done(); s.expireLoop(s.stop, cfg.SweepEvery) }()
	}
	if cfg.AppendFsync == FsyncEverySec {
		s.bg.Add(1)
		go func() { defer s.bg.Done(); s.dur.everySecond(s.stop) }()
	}
	return s, nil
}

// check validates the configuration: the fsync policy, and that a server
// reachable beyond loopback has a password.
func (cfg *Config) check() error {
	switch cfg.AppendFsync {
	case "":
		cfg.AppendFsync = FsyncAlways
	case FsyncAlways, FsyncEverySec:
	default:
		return fmt.Errorf("%w: appendfsync %q: want always or everysec", tempest.ErrInvalidArgument, cfg.AppendFsync)
	}
	lim, err := cfg.limits().WithDefaults()
	if err != nil {
		return err
	}
	cfg.MaxClients, cfg.MaxPipeline, cfg.MaxArgBytes = lim.MaxClients, lim.MaxPipeline, lim.MaxArgBytes
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", tempest.ErrInvalidArgument, cfg.Addr, err)
	}
	if cfg.RequirePass == "" && !isLoopback(host) {
		return fmt.Errorf("%w: refusing to listen on %s without a password: give --requirepass, or bind to a loopback address", tempest.ErrInvalidArgument, cfg.Addr)
	}
	return nil
}

// limits are the configuration's client limits.
func (cfg *Config) limits() rediscmd.Limits {
	return rediscmd.Limits{MaxClients: cfg.MaxClients, MaxPipeline: cfg.MaxPipeline, MaxArgBytes: cfg.MaxArgBytes}
}

// isLoopback reports whether host names only loopback addresses ("" and
// unspecified addresses listen everywhere, so they are not).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// DB is the served database.
func (s *Server) DB() *tempest.DB { return s.db }

// Serve serves connections until Close; it returns nil after Close.
func (s *Server) Serve() error {
	defer close(s.served)
	err := s.rs.Serve(s.ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops listening, closes every connection and waits for their
// goroutines, syncs the WAL and closes the database. Call it after Serve
// has started (or Serve will never be called).
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		if err := s.rs.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.logf("close listener: %v", err)
		}
		s.ln.Close()
		select {
		case <-s.served: // Serve closed every connection on its way out
		case <-time.After(5 * time.Second):
		}
		s.connWG.Wait()
		s.bg.Wait()
		serr := s.dur.syncNow()
		cerr := s.db.Close()
		s.closeErr = errors.Join(serr, cerr)
	})
	return s.closeErr
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// IsLoopback reports whether host (of a listen address) names only
// loopback addresses, as the password rule of Config understands it.
func IsLoopback(host string) bool { return isLoopback(host) }
