package peers

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/benchmark"
)

// Names are the engines New knows, Tempest first.
var Names = benchmark.Engines

// New returns an unopened engine by name.
func New(name string) (benchmark.Engine, error) {
	switch name {
	case "tempest":
		return benchmark.NewTempest(), nil
	case "pebble":
		return &Pebble{}, nil
	case "badger":
		return &Badger{}, nil
	case "goleveldb":
		return &GoLevelDB{}, nil
	case "bbolt":
		return &Bbolt{}, nil
	}
	return nil, fmt.Errorf("unknown engine %q (known: %s)", name, strings.Join(Names, ", "))
}
