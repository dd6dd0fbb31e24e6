package importer

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

type goLevelDB struct{ db *leveldb.DB }

func openGoLevelDB(dir string) (Source, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{ReadOnly: true, ErrorIfMissing: true})
	if err != nil {
		return nil, fmt.Errorf("importer: goleveldb %s: %w", dir, err)
	}
	return goLevelDB{db}, nil
}

func (s goLevelDB) Scan(fn func(key, value []byte) error) error {
	it := s.db.NewIterator(nil, nil)
	defer it.Release()
	for it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("importer: goleveldb: %w", err)
	}
	return nil
}

func (s goLevelDB) Close() error { return s.db.Close() }
