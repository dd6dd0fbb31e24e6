package cluster

// INTERIM: a minimal raft.LogStore and raft.StableStore on the node's
// database, used until the public raftstore package replaces it through
// Deps.Stores (seam.go). Keep it small; do not grow it.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/tempestdb/tempest"
)

// interimStore keeps log entries under prefix+'l'+index (8 bytes
// big-endian) and stable values under prefix+'s'+key; every write is
// synced.
type interimStore struct {
	db     *tempest.DB
	prefix []byte
}

func newInterimStores(db *tempest.DB, prefix []byte) (raft.LogStore, raft.StableStore, error) {
	s := &interimStore{db: db, prefix: prefix}
	return s, s, nil
}

func (s *interimStore) logKey(i uint64) []byte { return withSub(s.prefix, 'l', putUint64(i)...) }

func (s *interimStore) edge(last bool) (uint64, error) {
	it, err := s.db.NewIter(&tempest.IterOptions{LowerBound: withSub(s.prefix, 'l'), UpperBound: withSub(s.prefix, 'l'+1)})
	if err != nil {
		return 0, err
	}
	var ok bool
	if last {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	var idx uint64
	if ok {
		idx = binary.BigEndian.Uint64(it.Key()[len(s.prefix)+1:])
	}
	return idx, errors.Join(it.Error(), it.Close())
}

func (s *interimStore) FirstIndex() (uint64, error) { return s.edge(false) }
func (s *interimStore) LastIndex() (uint64, error)  { return s.edge(true) }

func (s *interimStore) GetLog(index uint64, l *raft.Log) error {
	v, err := s.db.Get(s.logKey(index))
	if errors.Is(err, tempest.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return err
	}
	if len(v) < 25 {
		return fmt.Errorf("%w: cluster: log entry %d of %d bytes", tempest.ErrCorruption, index, len(v))
	}
	l.Index = binary.BigEndian.Uint64(v)
	l.Term = binary.BigEndian.Uint64(v[8:])
	l.Type = raft.LogType(v[16])
	l.AppendedAt = time.Unix(0, int64(binary.BigEndian.Uint64(v[17:])))
	rest := v[25:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || uint64(len(rest)-w) < n {
		return fmt.Errorf("%w: cluster: log entry %d truncated", tempest.ErrCorruption, index)
	}
	l.Data = rest[w : w+int(n)]
	l.Extensions = rest[w+int(n):]
	return nil
}

func (s *interimStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s *interimStore) StoreLogs(logs []*raft.Log) error {
	b := s.db.NewBatch()
	for _, l := range logs {
		v := make([]byte, 25, 25+binary.MaxVarintLen64+len(l.Data)+len(l.Extensions))
		binary.BigEndian.PutUint64(v, l.Index)
		binary.BigEndian.PutUint64(v[8:], l.Term)
		v[16] = byte(l.Type)
		binary.BigEndian.PutUint64(v[17:], uint64(l.AppendedAt.UnixNano()))
		v = binary.AppendUvarint(v, uint64(len(l.Data)))
		v = append(append(v, l.Data...), l.Extensions...)
		if err := b.Set(s.logKey(l.Index), v); err != nil {
			return err
		}
	}
	_, err := s.db.Apply(b, tempest.Sync)
	return err
}

func (s *interimStore) DeleteRange(min, max uint64) error {
	return s.db.DeleteRange(s.logKey(min), s.logKey(max+1), tempest.Sync)
}

func (s *interimStore) Set(key, val []byte) error {
	return s.db.Set(withSub(s.prefix, 's', key...), val, tempest.Sync)
}

// Get returns the error "not found" for a missing key, as raft's own
// stores do.
func (s *interimStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(withSub(s.prefix, 's', key...))
	if errors.Is(err, tempest.ErrNotFound) {
		return nil, errors.New("not found")
	}
	return v, err
}

func (s *interimStore) SetUint64(key []byte, val uint64) error { return s.Set(key, putUint64(val)) }

func (s *interimStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: cluster: stable value of %d bytes", tempest.ErrCorruption, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}
