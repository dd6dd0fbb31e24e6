package tool

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/cluster"
)

// clusterFlags are tempest serve's cluster flags.
type clusterFlags struct {
	members  string
	bus      string
	nodeID   string
	shards   int
	replicas int
	join     string
	// noBalance keeps the leaders where elections put them.
	noBalance bool
}

func (c *clusterFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&c.members, "cluster", "", `cluster members at a first start: "id=addr/bus,id=addr/bus,..."`)
	fl.StringVar(&c.bus, "cluster-bus", "", "this node's cluster-bus address (raft traffic)")
	fl.StringVar(&c.nodeID, "node-id", "", "this node's id at a first start (one of --cluster)")
	fl.IntVar(&c.shards, "shards", 0, "shards at a first start")
	fl.IntVar(&c.replicas, "replicas", 3, "replicas of each shard at a first start")
	fl.StringVar(&c.join, "join", "", "at a first start, join the running cluster of the member at this client address (with --node-id, --addr, --cluster-bus)")
	fl.BoolVar(&c.noBalance, "no-leader-balance", false, "keep each shard's leader where its election put it, instead of handing it to the shard's preferred leader (leaders spread over the nodes)")
}

// on reports whether the flags ask for cluster mode.
func (c *clusterFlags) on(cmd *cobra.Command) bool {
	return c.members != "" || c.bus != ""
}

// config builds the node's configuration; a restart (no --cluster) gives
// only the directory and, if set, the addresses to check.
func (c *clusterFlags) config(cmd *cobra.Command, f serveFlags) (cluster.Config, error) {
	cfg := cluster.Config{Dir: f.cfg.Dir, Bus: c.bus, NodeID: c.nodeID, Join: c.join, NoLeaderBalance: c.noBalance, RequirePass: f.cfg.RequirePass,
		MaxClients: f.cfg.MaxClients, SweepEvery: f.cfg.SweepEvery}
	if cmd.Flags().Changed("addr") {
		cfg.Addr = f.cfg.Addr
	}
	if c.members == "" {
		if c.join != "" {
			cfg.Addr = f.cfg.Addr // a joining node names its address
		}
		return cfg, nil
	}
	if c.join != "" {
		return cfg, fmt.Errorf("%w: --join and --cluster exclude each other", tempest.ErrInvalidArgument)
	}
	nodes, err := cluster.ParseMembers(c.members)
	if err != nil {
		return cfg, err
	}
	cfg.Layout = &cluster.Layout{Nodes: nodes, Shards: c.shards, Replicas: c.replicas}
	if err := cfg.Layout.Validate(); err != nil {
		return cfg, err
	}
	i := cfg.Layout.NodeIndex(c.nodeID)
	if i < 0 {
		return cfg, fmt.Errorf("%w: --node-id %q is not in --cluster", tempest.ErrInvalidArgument, c.nodeID)
	}
	me := nodes[i]
	if (cfg.Addr != "" && cfg.Addr != me.Addr) || (c.bus != "" && c.bus != me.Bus) {
		return cfg, fmt.Errorf("%w: --addr/--cluster-bus differ from node %s's entry in --cluster (%s/%s)", tempest.ErrInvalidArgument, me.ID, me.Addr, me.Bus)
	}
	return cfg, nil
}

func runClusterNode(cmd *cobra.Command, f serveFlags) error {
	logger := log.New(cmd.ErrOrStderr(), "tempest serve: ", log.LstdFlags)
	cfg, err := f.cluster.config(cmd, f)
	if err != nil {
		return err
	}
	cfg.Logf = logger.Printf
	n, err := cluster.Open(cfg)
	if err != nil {
		return dbError(cfg.Dir, err)
	}
	if err := n.Listen(); err != nil {
		return errors.Join(err, n.Close())
	}
	metrics, err := startMetrics(f.metricsAddr, n.MetricsHandler, logger)
	if err != nil {
		return errors.Join(err, n.Close())
	}
	if metrics != nil {
		defer metrics.Close()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	l := n.Layout()
	fmt.Fprintf(cmd.OutOrStdout(), "tempest serve: cluster node %s ready on %s (dir %s, %d shards, %d replicas, %d nodes)\n",
		n.ID(), n.Addr(), cfg.Dir, l.Shards, l.Replicas, len(l.Nodes))
	got := <-sig
	logger.Printf("%v: closing", got)
	return n.Close()
}
