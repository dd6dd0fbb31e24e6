package journal

import "fmt"

// Default configuration values.
const (
	DefaultGrowthFactor   = 2
	DefaultGrowthBaseline = 64 << 20
)

// Config controls rotation. After an append, the journal rotates once its
// current file reaches max(GrowthBaseline, size at file start × GrowthFactor),
// where the size at file start is the header plus the snapshot edit. A zero
// field takes its default.
type Config struct {
	GrowthFactor   uint64 // default 2
	GrowthBaseline uint64 // default 64 MiB
	// Legacy writes new files in the legacy framing (frame.go) rather
	// than the record framing (records.go), unless the state chooses
	// (FramingChooser). Files of either framing are read.
	Legacy bool
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.GrowthFactor == 0 {
		c.GrowthFactor = DefaultGrowthFactor
	}
	if c.GrowthBaseline == 0 {
		c.GrowthBaseline = DefaultGrowthBaseline
	}
	return c
}

// rotateAt returns the file size at which a file that started at startSize
// bytes rotates. The product saturates instead of overflowing.
func (c Config) rotateAt(startSize int64) uint64 {
	s := uint64(startSize)
	grown := s * c.GrowthFactor
	if s != 0 && grown/s != c.GrowthFactor {
		grown = ^uint64(0)
	}
	return max(c.GrowthBaseline, grown)
}

func (c Config) String() string {
	return fmt.Sprintf("Config(%dB => %dx)", c.GrowthBaseline, c.GrowthFactor)
}
