package importer

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

type pebbleDB struct{ db *pebble.DB }

func openPebble(dir string) (Source, error) {
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, ErrorIfNotExists: true, Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("importer: pebble %s: %w", dir, err)
	}
	return pebbleDB{db}, nil
}

func (s pebbleDB) Scan(fn func(key, value []byte) error) error {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("importer: pebble: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("importer: pebble: %w", err)
		}
		if err := fn(it.Key(), v); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("importer: pebble: %w", err)
	}
	return nil
}

func (s pebbleDB) Close() error { return s.db.Close() }

// quietLogger drops Pebble's informational lines, which would interleave
// with the progress report; its errors still go to stderr.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	pebble.DefaultLogger.Errorf(format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}
