package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// config is everything a seed decides before the run starts.
type config struct {
	ops     int // workload steps
	crashes int // crash/restart count aimed for (1..5)

	// Engine options.
	memTableSize   int
	maxImmutable   int
	blockSize      int
	manifestGrowth uint64
	seqLeaseStep   uint64
	fileLeaseStep  uint64

	// Workload.
	keys      int  // key space size
	hotKeys   bool // most writes go to a few keys
	maxBatch  int  // entries per batch, at most
	maxValue  int  // value length, at most
	syncPct   int  // percent of batches committed with Sync
	deletePct int  // percent of writes that are deletes
	weights   [numOps]int
	// inlinePct is the percent of scheduled tasks run at once rather than
	// queued.
	inlinePct int

	// Crashes.
	unsyncedPct int // 0, 10, 50, 90 (power loss) or 100 (process crash), per crash unless mixed
	mixedCrash  bool
	tornPct     int // percent of power-loss crashes that tear the last write
	crashWindow int // an armed crash strikes within this many write-class ops

	// Faults (swarm testing): the per-operation probability of each class,
	// zero when the class is off for this seed.
	rates         [numFaultClasses]float64
	faultsInOpen  bool // faults stay on while a reopen runs
	partialWrites bool // a failed write may write a prefix
	latency       time.Duration
	latencyP      float64
	patience      int // steps a read-only DB keeps serving reads before the reopen

	// mappedWAL makes the MemFS mappable, so that the WAL is written
	// through a vfs.Mapping (the path that ships on linux) rather than
	// with File.Write.
	mappedWAL bool
}

// newConfig draws a configuration from rng.
func newConfig(rng *rand.Rand, ops int) config {
	c := config{ops: ops, crashes: 1 + rng.IntN(5)}
	c.memTableSize = []int{64 << 10, 128 << 10, 256 << 10}[rng.IntN(3)]
	c.maxImmutable = 1 + rng.IntN(3)
	c.blockSize = []int{256, 512, 1024, 4096}[rng.IntN(4)]
	c.manifestGrowth = []uint64{0, 512, 2048, 8192}[rng.IntN(4)]
	c.seqLeaseStep = []uint64{0, 1, 7, 100}[rng.IntN(4)]
	c.fileLeaseStep = []uint64{0, 1, 3, 50}[rng.IntN(4)]

	c.keys = []int{8, 50, 300, 2000}[rng.IntN(4)]
	c.hotKeys = rng.IntN(3) == 0
	c.maxBatch = []int{1, 4, 8}[rng.IntN(3)]
	c.maxValue = []int{40, 200, 1000}[rng.IntN(3)]
	c.syncPct = []int{0, 10, 50, 100}[rng.IntN(4)]
	c.deletePct = []int{0, 10, 30}[rng.IntN(3)]
	for i := range c.weights {
		c.weights[i] = rng.IntN(10)
	}
	c.weights[opWrite] += 10
	// Reopens and checks read every SST; keep them rare.
	c.weights[opReopen] = rng.IntN(2)
	c.weights[opCheck] = rng.IntN(3)
	c.weights[opCompact] = rng.IntN(2)
	c.inlinePct = []int{0, 50, 100}[rng.IntN(3)]

	c.unsyncedPct = []int{0, 10, 50, 90, 100}[rng.IntN(5)]
	c.mixedCrash = rng.IntN(3) == 0
	c.tornPct = []int{0, 50}[rng.IntN(2)]
	c.crashWindow = []int{3, 30, 300}[rng.IntN(3)]

	for i := range c.rates {
		if rng.IntN(2) == 0 {
			// Log-uniform in [1e-4, 3e-2].
			c.rates[i] = math.Pow(10, -4+2.5*rng.Float64())
		}
	}
	c.faultsInOpen = rng.IntN(2) == 0
	c.partialWrites = rng.IntN(2) == 0
	if rng.IntN(2) == 0 {
		c.latency = time.Duration(1+rng.IntN(100)) * time.Millisecond
		c.latencyP = 0.01 * rng.Float64()
	}
	c.patience = rng.IntN(8)
	c.mappedWAL = rng.IntN(2) == 0
	return c
}

func (c config) String() string {
	var faults []string
	for i, r := range c.rates {
		if r > 0 {
			faults = append(faults, fmt.Sprintf("%s=%.4f", faultClass(i), r))
		}
	}
	return fmt.Sprintf("ops=%d crashes=%d mem=%d imm=%d block=%d manifest=%d leases=%d/%d keys=%d hot=%t batch<=%d value<=%d sync=%d%% del=%d%% inline=%d%% unsynced=%d%% mixed=%t torn=%d%% window=%d faults=[%s] inOpen=%t partial=%t latency=%v@%.3f mappedWAL=%t",
		c.ops, c.crashes, c.memTableSize, c.maxImmutable, c.blockSize, c.manifestGrowth, c.seqLeaseStep,
		c.fileLeaseStep, c.keys, c.hotKeys, c.maxBatch, c.maxValue, c.syncPct, c.deletePct, c.inlinePct,
		c.unsyncedPct, c.mixedCrash, c.tornPct, c.crashWindow, strings.Join(faults, " "), c.faultsInOpen,
		c.partialWrites, c.latency, c.latencyP, c.mappedWAL)
}
