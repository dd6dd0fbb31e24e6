package benchmark

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Options describe a benchmark run. The zero value of a field means its
// default (DefaultOptions).
type Options struct {
	// Benchmarks are the workloads to run, in order. Default: all (Names).
	Benchmarks []string `json:"benchmarks"`
	// Num is the number of keys loaded before a workload that needs data,
	// and the number of measured operations (some workloads scale it: see
	// the package doc).
	Num int64 `json:"num"`
	// Duration, if positive, runs each measured phase for this long instead
	// of a fixed number of operations.
	Duration time.Duration `json:"duration"`
	// Concurrency is the number of goroutines issuing measured operations.
	Concurrency int `json:"concurrency"`
	// KeySize and ValueSize are the sizes of every key and value.
	KeySize   int `json:"key_size"`
	ValueSize int `json:"value_size"`
	// ValueThreshold is the value length from which engines that separate
	// values from keys (Tempest's blob files, Badger's value log) store
	// them apart: every such engine gets the same threshold, so a run
	// compares like with like. Default DefaultValueThreshold (Tempest's
	// own default); ignored under --settings=defaults.
	ValueThreshold int `json:"value_threshold"`
	// Sync makes every measured write durable before it returns.
	Sync bool `json:"sync"`
	// Seed seeds every random choice; a run is reproducible from it (with
	// Concurrency 1, operation for operation).
	Seed uint64 `json:"seed"`
	// Settings names how every engine is configured (see Settings*):
	// equal-64 (the default), equal-4, or defaults. It gives MemTableSize,
	// CacheSize and Compression their values when they are zero.
	Settings string `json:"settings"`
	// MemTableSize and CacheSize are applied alike to every engine.
	MemTableSize int64 `json:"memtable_size"`
	CacheSize    int64 `json:"cache_size"`
	// Compression is "default" (each engine's own), "none" or "snappy".
	Compression string `json:"compression"`
	// Distribution overrides the key distribution of the YCSB workloads:
	// "uniform", "zipfian" or "latest". Empty means each workload's own.
	Distribution string `json:"distribution,omitempty"`
	// Dir is where the databases are created, each in a fresh
	// subdirectory removed afterwards. Default: the system temp directory.
	Dir string `json:"dir,omitempty"`
	// FsyncProbe is how long each fsync probe runs (see ProbeFsync).
	FsyncProbe time.Duration `json:"fsync_probe"`
	// SettleWait, if positive, is how long a run waits after its measured
	// phase for the engine to settle on its own, with no call: until its
	// disk usage stays the same for settledQuiet, or the wait is over. The
	// space amplification is then measured again, before Close
	// (Result.Settled).
	SettleWait time.Duration `json:"settle_wait,omitempty"`
}

// The settings of a run (Options.Settings).
const (
	// SettingsEqual64: every engine gets a 64 MiB memtable with at most one
	// more waiting for flush, a 64 MiB cache for blocks alone, 10-bit
	// bloom filters and Snappy. Tempest's own default memtable is 64 MiB.
	SettingsEqual64 = "equal-64"
	// SettingsEqual4: as SettingsEqual64 with a 4 MiB memtable and an
	// 8 MiB cache.
	SettingsEqual4 = "equal-4"
	// SettingsDefaults: every engine as its Open gives it with no options.
	SettingsDefaults = "defaults"
)

// settingsSizes are the memtable and cache sizes of the equal settings.
var settingsSizes = map[string][2]int64{
	SettingsEqual64: {64 << 20, 64 << 20},
	SettingsEqual4:  {4 << 20, 8 << 20},
}

// Defaults of Options.
const (
	DefaultNum         = 100_000
	DefaultConcurrency = 1
	DefaultKeySize     = 16
	DefaultValueSize   = 100
	// DefaultValueThreshold is Tempest's default ValueSeparationThreshold.
	DefaultValueThreshold = 1024
	DefaultSeed           = 1
	DefaultSettings       = SettingsEqual64
	// MinKeySize leaves room for a one-byte key-space tag and an 8-byte
	// big-endian key number.
	MinKeySize = 9
	// MaxKeySize and MaxValueSize bound what the adapters must accept.
	MaxKeySize   = 1 << 10
	MaxValueSize = 1 << 20
)

// DefaultOptions returns the options with every default filled in.
func DefaultOptions() Options {
	var o Options
	o.fillDefaults()
	return o
}

func (o *Options) fillDefaults() {
	if len(o.Benchmarks) == 0 {
		o.Benchmarks = Names()
	}
	if o.Num == 0 {
		o.Num = DefaultNum
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.KeySize == 0 {
		o.KeySize = DefaultKeySize
	}
	if o.ValueSize == 0 {
		o.ValueSize = DefaultValueSize
	}
	if o.ValueThreshold == 0 {
		o.ValueThreshold = DefaultValueThreshold
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Settings == "" {
		o.Settings = DefaultSettings
	}
	sizes, equal := settingsSizes[o.Settings]
	if !equal {
		sizes = settingsSizes[SettingsEqual64] // recorded; the engines ignore them
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = sizes[0]
	}
	if o.CacheSize == 0 {
		o.CacheSize = sizes[1]
	}
	if o.Compression == "" {
		o.Compression = "default"
		if equal {
			o.Compression = "snappy"
		}
	}
	if o.FsyncProbe == 0 {
		o.FsyncProbe = DefaultFsyncProbe
	}
}

// Validate fills in defaults and checks every field.
func (o *Options) Validate() error {
	o.fillDefaults()
	for _, name := range o.Benchmarks {
		if Lookup(name) == nil && name != FsyncProbeName {
			return fmt.Errorf("unknown benchmark %q (known: %s,%s)", name, strings.Join(Names(), ","), FsyncProbeName)
		}
	}
	switch {
	case o.Num < 1:
		return fmt.Errorf("--num %d: must be at least 1", o.Num)
	case o.Num > 1<<40:
		return fmt.Errorf("--num %d: must be at most 2^40", o.Num)
	case o.Duration < 0:
		return fmt.Errorf("--duration %v: must not be negative", o.Duration)
	case o.Concurrency < 1 || o.Concurrency > 1024:
		return fmt.Errorf("--concurrency %d: must be in [1, 1024]", o.Concurrency)
	case o.KeySize < MinKeySize || o.KeySize > MaxKeySize:
		return fmt.Errorf("--key-size %d: must be in [%d, %d]", o.KeySize, MinKeySize, MaxKeySize)
	case o.ValueSize < 1 || o.ValueSize > MaxValueSize:
		return fmt.Errorf("--value-size %d: must be in [1, %d]", o.ValueSize, MaxValueSize)
	case o.MemTableSize < 64<<10:
		return fmt.Errorf("--memtable-size %d: must be at least 64KiB", o.MemTableSize)
	case o.CacheSize < 0:
		return fmt.Errorf("--cache-size %d: must not be negative", o.CacheSize)
	case o.FsyncProbe < 0 || o.FsyncProbe > 10*time.Minute:
		return fmt.Errorf("--fsync-probe %v: must be in (0, 10m]", o.FsyncProbe)
	case o.SettleWait < 0 || o.SettleWait > time.Hour:
		return fmt.Errorf("--settle-wait %v: must be in [0, 1h]", o.SettleWait)
	}
	switch o.Settings {
	case SettingsEqual64, SettingsEqual4, SettingsDefaults:
	default:
		return fmt.Errorf("--settings %q: want %s, %s or %s", o.Settings, SettingsEqual64, SettingsEqual4, SettingsDefaults)
	}
	switch o.Compression {
	case "default", "none", "snappy":
	default:
		return fmt.Errorf("--compression %q: want default, none or snappy", o.Compression)
	}
	switch o.Distribution {
	case "", "uniform", "zipfian", "latest":
	default:
		return fmt.Errorf("--distribution %q: want uniform, zipfian or latest", o.Distribution)
	}
	return nil
}

// config is the engine configuration of a workload run.
func (o *Options) config(syncWrites bool) Config {
	return Config{
		MemTableSize: o.MemTableSize, CacheSize: o.CacheSize, Compression: o.Compression, SyncWrites: syncWrites,
		EngineDefaults: o.Settings == SettingsDefaults, WaitingMemTables: 1, BloomBitsPerKey: 10,
		ValueThreshold: o.ValueThreshold, ValueSize: o.ValueSize,
	}
}

// RegisterFlags defines a flag for every field on fs, with the defaults
// in o's fields (call on DefaultOptions()). MemTableSize, CacheSize and
// Compression are cleared first: --settings gives them their values
// unless their own flags do.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	o.MemTableSize, o.CacheSize, o.Compression = 0, 0, ""
	fs.Var((*listFlag)(&o.Benchmarks), "benchmarks", "comma-separated workloads to run (default: all): "+strings.Join(Names(), ",")+
		"; "+FsyncProbeName+" runs the disk's fsync probe alone")
	fs.Int64Var(&o.Num, "num", o.Num, "keys to load and operations to measure per workload")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "run each measured phase for this long instead of --num operations")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "goroutines issuing measured operations")
	fs.IntVar(&o.KeySize, "key-size", o.KeySize, "key size in bytes")
	fs.IntVar(&o.ValueSize, "value-size", o.ValueSize, "value size in bytes (e.g. 1024, 4096, 16384, 65536 for large values)")
	fs.IntVar(&o.ValueThreshold, "value-threshold", o.ValueThreshold, "value length from which Tempest and Badger store values apart from keys (blob files, value log)")
	fs.BoolVar(&o.Sync, "sync", o.Sync, "sync every measured write")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	fs.StringVar(&o.Settings, "settings", o.Settings, "engine settings: equal-64 (64MiB memtable and cache, 10-bit blooms, Snappy for every engine), equal-4 (4MiB memtable, 8MiB cache) or defaults (each engine's own)")
	fs.Var((*sizeFlag)(&o.MemTableSize), "memtable-size", "memtable (write buffer) size of every engine, e.g. 4MiB (default: from --settings)")
	fs.Var((*sizeFlag)(&o.CacheSize), "cache-size", "block cache size of every engine, for blocks alone, e.g. 8MiB (default: from --settings)")
	fs.StringVar(&o.Compression, "compression", o.Compression, "block compression: default (each engine's own), none or snappy (default: snappy with equal settings)")
	fs.StringVar(&o.Distribution, "distribution", o.Distribution, "YCSB key distribution: uniform, zipfian or latest (default: each workload's own)")
	fs.StringVar(&o.Dir, "dir", o.Dir, "parent directory of the databases (default: the temp directory)")
	fs.DurationVar(&o.FsyncProbe, "fsync-probe", o.FsyncProbe, "duration of each fsync probe (run just before and just after each fsync-bound workload)")
	fs.DurationVar(&o.SettleWait, "settle-wait", o.SettleWait, "after each measured phase, wait up to this long for the engine to settle with no call (disk usage steady), then measure space amplification again (0: do not)")
}

// Args renders o as flags RegisterFlags parses, for a child process that
// runs the given workloads with the same options.
func (o *Options) Args(benchmarks ...string) []string {
	if len(benchmarks) == 0 {
		benchmarks = o.Benchmarks
	}
	args := []string{
		"--benchmarks=" + strings.Join(benchmarks, ","),
		"--num=" + strconv.FormatInt(o.Num, 10),
		"--duration=" + o.Duration.String(),
		"--concurrency=" + strconv.Itoa(o.Concurrency),
		"--key-size=" + strconv.Itoa(o.KeySize),
		"--value-size=" + strconv.Itoa(o.ValueSize),
		"--value-threshold=" + strconv.Itoa(o.ValueThreshold),
		"--sync=" + strconv.FormatBool(o.Sync),
		"--seed=" + strconv.FormatUint(o.Seed, 10),
		"--memtable-size=" + strconv.FormatInt(o.MemTableSize, 10),
		"--cache-size=" + strconv.FormatInt(o.CacheSize, 10),
		"--compression=" + o.Compression,
		"--settings=" + o.Settings,
		"--fsync-probe=" + o.FsyncProbe.String(),
		"--settle-wait=" + o.SettleWait.String(),
	}
	if o.Distribution != "" {
		args = append(args, "--distribution="+o.Distribution)
	}
	if o.Dir != "" {
		args = append(args, "--dir="+o.Dir)
	}
	return args
}

// listFlag is a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = nil
	for _, name := range strings.Split(s, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*l = append(*l, name)
		}
	}
	return nil
}

// sizeFlag is a byte count with an optional unit: 4MiB, 64KB, 1G, 512.
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeFlag) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

// ParseSize parses a byte count with an optional unit (B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB, all powers of 1024).
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, unit := s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	shift := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20, "G": 30, "GB": 30, "GIB": 30}
	sh, ok := shift[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n < 0 || n > (1<<62)>>sh {
		return 0, fmt.Errorf("bad size %q (want e.g. 4MiB, 512KB, 1048576)", v)
	}
	return n << sh, nil
}
