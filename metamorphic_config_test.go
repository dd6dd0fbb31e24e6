package tempest

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
)

// metaConfig is one engine configuration of the metamorphic test. Every
// dimension is drawn so that Options.validate accepts it; none may change
// what a read returns. Options.Filter does, so it stays unset.
type metaConfig struct {
	index int
	osFS  bool // a temporary directory on the OS file system, else vfs.NewMem()
	// mappedWAL makes the MemFS mappable, so that the WAL is written
	// through a mapping, as on the OS file system on linux.
	mappedWAL bool
	opts      Options
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// drawMetaConfigs draws n configurations from rng. Configuration 0 runs
// inline on MemFS (deterministic, the reference in failure reports); one
// other (configuration 1, or 0 if n is 1) uses the OS file system. When
// two or more run on MemFS, their WALs take both paths: if the draws
// agree, the last one's is flipped.
func drawMetaConfigs(rng *rand.Rand, n int) []*metaConfig {
	cs := make([]*metaConfig, n)
	for i := range cs {
		cs[i] = drawMetaConfig(rng, i)
	}
	cs[min(1, n-1)].osFS = true
	var mem []*metaConfig
	for _, c := range cs {
		if !c.osFS {
			mem = append(mem, c)
		}
	}
	if len(mem) >= 2 && !slices.ContainsFunc(mem, func(c *metaConfig) bool { return c.mappedWAL != mem[0].mappedWAL }) {
		mem[len(mem)-1].mappedWAL = !mem[0].mappedWAL
	}
	return cs
}

func drawMetaConfig(rng *rand.Rand, index int) *metaConfig {
	c := &metaConfig{index: index}
	o := &c.opts
	o.MemTableSize = pick(rng, 64<<10, 64<<10, 96<<10, 128<<10, 256<<10, 1<<20)
	o.MaxImmutableMemTables = 1 + rng.IntN(4)
	o.TargetFileSize = pick[uint64](rng, 4<<10, 8<<10, 32<<10, 128<<10, 2<<20)
	o.BlockSize = pick(rng, 256, 512, 1024, 4096, 16<<10)
	o.BlockRestartInterval = pick(rng, 1, 2, 4, 16, 64)
	comps := []Compression{NoCompression, SnappyCompression, ZstdCompression}
	o.Compression = pick(rng, comps...)
	if rng.IntN(2) == 0 {
		for l := range o.LevelCompression {
			o.LevelCompression[l] = pick(rng, append(comps, DefaultCompression)...)
		}
	}
	// 1 byte: nothing stays cached; 0: the default 8 MiB.
	o.CacheSize = pick[int64](rng, 1, 4<<10, 64<<10, 0)
	if rng.IntN(5) == 0 {
		o.Cache, o.CacheSize = NewCache(pick[int64](rng, 1, 16<<10, 1<<20)), 0
	}
	o.L0CompactionThreshold = 1 + rng.IntN(4)
	// Stops and slowdowns change only timing. The stop threshold stays
	// well above the compaction threshold so that an inline scheduler,
	// which compacts as soon as a flush ends, never waits on it; most
	// configurations disable the slowdown (a slowdown equal to the stop),
	// the others slow writes at a rate fast enough for a test.
	o.L0StopWritesThreshold = o.L0CompactionThreshold + pick(rng, 4, 8, 16)
	if rng.IntN(4) == 0 {
		o.DelayedWriteRate = 256 << 20
	} else {
		o.L0SlowdownWritesThreshold = o.L0StopWritesThreshold
	}
	o.LBaseMaxBytes = pick[uint64](rng, 4<<10, 16<<10, 64<<10, 256<<10, 64<<20)
	o.LevelMultiplier = 2 + rng.IntN(9)
	o.MaxConcurrentCompactions = 1 + rng.IntN(3)
	o.DisableAutomaticCompactions = rng.IntN(5) == 0
	// Read-triggered compactions: off, the defaults, or after a few seeks.
	o.ReadCompactionMinSeeks = pick(rng, -1, 0, 1, 8)
	o.ReadCompactionBytesPerSeek = pick(rng, 0, 1<<20)
	o.BloomFalsePositiveRate = pick(rng, -1, 0.001, 0.01, 0.1, 0.5)
	if index > 0 && rng.IntN(2) == 0 {
		o.Scheduler = GoScheduler{}
	} else {
		o.Scheduler = InlineScheduler{}
	}
	o.ManifestGrowthBaseline = pick[uint64](rng, 0, 512, 4<<10)
	o.SeqNumLeaseStep = pick[uint64](rng, 0, 8, 64)
	o.FileNumLeaseStep = pick[uint64](rng, 0, 1, 8)
	o.RandomSeed = rng.Uint64()
	c.mappedWAL = rng.IntN(2) == 0
	return c
}

// walMapped reports whether the configuration's WAL is written through a
// mapping: on the OS file system where it offers one (linux), on MemFS
// when the configuration makes it mappable.
func (c *metaConfig) walMapped() bool {
	if c.osFS {
		return runtime.GOOS == "linux"
	}
	return c.mappedWAL
}

func (c *metaConfig) String() string {
	o := &c.opts
	var b strings.Builder
	fs := "mem"
	if c.osFS {
		fs = "os"
	} else if c.mappedWAL {
		fs = "mem-mapped"
	}
	sched := "inline"
	if _, ok := o.Scheduler.(GoScheduler); ok {
		sched = "go"
	}
	fmt.Fprintf(&b, "config %d: fs=%s scheduler=%s memtable=%d imm=%d target=%d block=%d restart=%d compression=%s",
		c.index, fs, sched, o.MemTableSize, o.MaxImmutableMemTables, o.TargetFileSize, o.BlockSize,
		o.BlockRestartInterval, o.Compression)
	if o.LevelCompression != [NumLevels]Compression{} {
		fmt.Fprintf(&b, " levelCompression=%v", o.LevelCompression)
	}
	if o.Cache != nil {
		fmt.Fprintf(&b, " sharedCache=%d", o.Cache.Metrics().Capacity)
	} else {
		fmt.Fprintf(&b, " cache=%d", o.CacheSize)
	}
	fmt.Fprintf(&b, " l0=%d/%d/%d lbase=%d multiplier=%d concurrency=%d autoCompactions=%v readCompactions=%d/%d bloom=%v manifestBaseline=%d leases=%d/%d",
		o.L0CompactionThreshold, o.L0SlowdownWritesThreshold, o.L0StopWritesThreshold, o.LBaseMaxBytes,
		o.LevelMultiplier, o.MaxConcurrentCompactions, !o.DisableAutomaticCompactions,
		o.ReadCompactionMinSeeks, o.ReadCompactionBytesPerSeek,
		o.BloomFalsePositiveRate, o.ManifestGrowthBaseline, o.SeqNumLeaseStep, o.FileNumLeaseStep)
	return b.String()
}
