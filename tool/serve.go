package tool

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/server"
	"github.com/tempestdb/tempest/server/rediscmd"
)

// serveFlags are tempest serve's flags.
type serveFlags struct {
	cfg         server.Config
	metricsAddr string
	sweepEvery  time.Duration
	cluster     clusterFlags
}

// minSweepEvery is the shortest --sweep-every: a shorter period would
// keep a core busy sweeping.
const minSweepEvery = time.Millisecond

// sweepPeriod maps --sweep-every onto server.Config and cluster.Config's
// SweepEvery, whose 0 is the default period: 0 or negative turns the
// sweep off (-1); a positive period under minSweepEvery is refused.
func (f *serveFlags) sweepPeriod() (time.Duration, error) {
	switch d := f.sweepEvery; {
	case d <= 0:
		return -1, nil
	case d < minSweepEvery:
		return 0, fmt.Errorf("%w: --sweep-every %v: want 0 (no sweep) or at least %v", tempest.ErrInvalidArgument, d, minSweepEvery)
	default:
		return d, nil
	}
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a database over the Redis protocol (RESP2 and RESP3)",
		Long: `Serve a database over the Redis protocol: the string, key, expiry,
transaction and connection commands of docs/server.md, with replies as
redis-server 7.0's. Every write is durable before its reply with
--appendfsync always (the default). SIGTERM or SIGINT syncs and closes.

With --cluster (a first start) or --cluster-bus (a restart), the node is
one member of a cluster: the Redis Cluster slots split into --shards
shards, each replicated with raft on --replicas nodes (docs/cluster.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.Dir, "dir", defaultDir, "database directory (created if absent)")
	fl.StringVar(&f.cfg.Addr, "addr", "127.0.0.1:6380", "listen address")
	fl.StringVar(&f.cfg.RequirePass, "requirepass", "", "password clients must give with AUTH (required to listen beyond loopback)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "address of the Prometheus /metrics endpoint (none if empty)")
	fl.StringVar(&f.cfg.AppendFsync, "appendfsync", server.FsyncAlways, "always: fsync before each write's reply; everysec: fsync once a second")
	fl.IntVar(&f.cfg.MaxClients, "maxclients", 10000, "connections at once")
	fl.DurationVar(&f.sweepEvery, "sweep-every", rediscmd.SweepEvery, "period of the expiry sweep, which deletes expired keys from storage (0: no sweep)")
	f.cluster.register(fl)
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) error {
	every, err := f.sweepPeriod()
	if err != nil {
		return err
	}
	f.cfg.SweepEvery = every
	if f.cluster.on(cmd) {
		return runClusterNode(cmd, f)
	}
	logger := log.New(cmd.ErrOrStderr(), "tempest serve: ", log.LstdFlags)
	f.cfg.Logf = logger.Printf
	s, err := server.Open(f.cfg)
	if err != nil {
		return dbError(f.cfg.Dir, err)
	}
	metrics, err := startMetrics(f.metricsAddr, s.MetricsHandler, logger)
	if err != nil {
		s.Close()
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	// The line tests and scripts wait for: the server accepts from now on.
	fmt.Fprintf(cmd.OutOrStdout(), "tempest serve: ready on %s (dir %s, appendfsync %s)\n", s.Addr(), f.cfg.Dir, f.cfg.AppendFsync)
	var serveErr error
	select {
	case got := <-sig:
		logger.Printf("%v: syncing and closing", got)
	case serveErr = <-served:
	}
	if metrics != nil {
		metrics.Close()
	}
	if err := s.Close(); err != nil {
		return errors.Join(serveErr, fmt.Errorf("close: %w", err))
	}
	return serveErr
}

// startMetrics serves /metrics on addr (nothing, and a nil server, for
// an empty addr); Close the server to stop it.
func startMetrics(addr string, handler func() http.Handler, logger *log.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	logger.Printf("metrics on http://%s/metrics", ln.Addr())
	return srv, nil
}
