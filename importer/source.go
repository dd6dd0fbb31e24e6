package importer

import (
	"fmt"
	"os"
)

// Source is a database of another engine, opened read-only.
type Source interface {
	// Scan calls fn with every live key and its newest value, in
	// increasing bytewise order of the keys, and stops at fn's first
	// error, returning it. key and value are valid only during the call.
	Scan(fn func(key, value []byte) error) error
	// Close releases the database.
	Close() error
}

// Kinds are the engines Open reads.
var Kinds = []string{"goleveldb", "pebble", "badger"}

// Open opens the database of engine kind (one of Kinds) in dir, read-only.
// The directory must exist: no engine is allowed to create it.
func Open(kind, dir string) (Source, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("importer: source: %w", err)
	}
	switch kind {
	case "goleveldb":
		return openGoLevelDB(dir)
	case "pebble":
		return openPebble(dir)
	case "badger":
		return openBadger(dir)
	}
	return nil, fmt.Errorf("importer: unknown source engine %q (want one of %v)", kind, Kinds)
}
