package importer

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

type badgerDB struct{ db *badger.DB }

func openBadger(dir string) (Source, error) {
	db, err := badger.Open(badger.DefaultOptions(dir).WithReadOnly(true).WithLogger(nil))
	if err != nil {
		return nil, fmt.Errorf("importer: badger %s: %w", dir, err)
	}
	return badgerDB{db}, nil
}

// Scan yields the newest version of each key that is neither deleted nor
// expired, as Badger's iterator does.
func (s badgerDB) Scan(fn func(key, value []byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			var ferr error
			if err := item.Value(func(v []byte) error {
				ferr = fn(item.Key(), v)
				return nil
			}); err != nil {
				return fmt.Errorf("importer: badger: %w", err)
			}
			if ferr != nil {
				return ferr
			}
		}
		return nil
	})
}

func (s badgerDB) Close() error { return s.db.Close() }
