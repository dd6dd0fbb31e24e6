package tempest

import (
	"slices"
	"sort"
	"sync"

	"github.com/tempestdb/tempest/internal/base"
)

// The conflict tracker: the history of committed writes that transaction
// commits are validated against.
//
// While a read-write transaction is open, the commit leader records the
// writes of every batch it sequences (transactions' and plain ones alike)
// as one writeRecord, in sequence-number order, in the same critical
// section (tracker.mu, held by the leader) in which it validates a
// transaction's reads and assigns sequence numbers: no write can be
// sequenced between a transaction's validation and its own sequence
// number. What a batch writes:
//   - each point entry (Set, Delete, and any other point kind, such as a
//     Merge) writes its key;
//   - each range tombstone writes its whole range;
//   - an ingested file writes [smallest, largest] (recordRangeWrite).
//
// Invariants, under mu:
//   - the history holds a record of every batch sequenced while active
//     with a seqnum above floor, and nothing at or below floor: a
//     transaction whose snapshot is at or above floor sees, in the
//     history, every write committed after its snapshot;
//   - points maps each prefix (Comparer.Prefix) written by a record in the
//     history to the newest seqnum of such a record, and holds no other
//     prefix: a point read checks it in one map lookup;
//   - rangeWrites are the range writes of the records in the history, in
//     seqnum order;
//   - bytes is the sum of the records' sizes and stays at or below the
//     cap once a record has been added (trim drops the oldest records
//     first, raising floor to the last dropped);
//   - the open read-write transactions are listed in snapshot order
//     (they register under mu with the visible seqnum, which only rises),
//     and no record at or below the oldest one's snapshot is kept: no open
//     or later transaction can need it.
//
// When the last read-write transaction ends, the tracker goes inactive
// and forgets its history; commits then cost one lock. A transaction that
// finds it inactive activates it from a commit-pipeline task, which runs
// once every batch sequenced before is visible: the new snapshot sees
// every write the history lacks.
//
// Validation cost: a point read is a map lookup plus a test against each
// range write after its snapshot; a range read is a binary search in each
// record after its snapshot. Neither walks the history before the
// transaction's snapshot.
type conflictTracker struct {
	mu          sync.Mutex
	cmp         *base.Comparer
	capBytes    int64
	active      bool
	floor       base.SeqNum
	records     []*writeRecord // seqnum order; records[head:] are live
	head        int
	bytes       int64
	points      map[string]base.SeqNum
	rangeWrites []rangeWrite
	open        txnList
	// skipReadValidation is a test hook: commits validate nothing but the
	// floor, so that the serializability checker can show it catches the
	// anomalies validation prevents.
	skipReadValidation bool
}

// writeRecord is what one committed batch (or ingestion) wrote.
type writeRecord struct {
	seq    base.SeqNum
	keys   [][]byte // sorted, distinct, owned
	ranges []keyRange
	bytes  int64
}

type rangeWrite struct {
	seq base.SeqNum
	r   *keyRange
}

func (t *conflictTracker) init(cmp *base.Comparer, capBytes int64) {
	t.cmp, t.capBytes = cmp, capBytes
	t.open.init()
}

// maxTxnBytes is the largest read set plus write set a transaction may
// hold: a quarter of the history, so that one transaction's writes never
// crowd out more than a quarter of what others are validated against.
func (t *conflictTracker) maxTxnBytes() int64 { return t.capBytes / 4 }

// activateLocked starts recording. It must run in a commit-pipeline
// task, when every batch sequenced so far is visible at visible.
func (t *conflictTracker) activateLocked(visible base.SeqNum) {
	t.active = true
	t.floor = visible
}

// deactivateLocked forgets the history once no read-write transaction is
// open.
func (t *conflictTracker) deactivateLocked() {
	t.active = false
	clear(t.records)
	t.records, t.head, t.bytes = t.records[:0], 0, 0
	t.points = nil
	t.rangeWrites = nil
}

// recordBatchLocked records the writes of a batch stamped with seq.
func (t *conflictTracker) recordBatchLocked(seq base.SeqNum, b *Batch) error {
	rec := &writeRecord{seq: seq}
	db, err := decodeBatch(b.data)
	if err != nil {
		return err
	}
	err = db.forEach(func(e batchEntry) error {
		if e.Kind == base.KindRangeDelete {
			rec.ranges = append(rec.ranges, keyRange{start: keyBound(e.Key, boundKey), end: keyBound(e.Value, boundKeyExcl)})
			return nil
		}
		// Every point kind writes its key.
		rec.keys = append(rec.keys, append([]byte(nil), e.Key...))
		return nil
	})
	if err != nil {
		return err
	}
	t.addLocked(rec)
	return nil
}

// recordRangeWrite records that the batch or file at seq wrote every key
// in [smallest, largest]. An ingestion calls it for each file it adds,
// from its commit-pipeline task, after taking seq and before publishing
// it as visible: then no transaction whose snapshot misses the file can
// commit a read of its range.
func (t *conflictTracker) recordRangeWrite(seq base.SeqNum, smallest, largest []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.active {
		t.addLocked(&writeRecord{seq: seq, ranges: []keyRange{{start: keyBound(smallest, boundKey), end: keyBound(largest, boundKey)}}})
	}
}

func (t *conflictTracker) addLocked(rec *writeRecord) {
	cmp := t.cmp
	slices.SortFunc(rec.keys, cmp.Compare)
	rec.keys = slices.CompactFunc(rec.keys, cmp.Equal)
	if t.points == nil {
		t.points = make(map[string]base.SeqNum)
	}
	for _, k := range rec.keys {
		t.points[string(cmp.Prefix(k))] = rec.seq
		rec.bytes += int64(len(k)+len(cmp.Prefix(k))) + entryOverhead
	}
	for i := range rec.ranges {
		t.rangeWrites = append(t.rangeWrites, rangeWrite{seq: rec.seq, r: &rec.ranges[i]})
		rec.bytes += rec.ranges[i].size()
	}
	t.records = append(t.records, rec)
	t.bytes += rec.bytes
	t.trimLocked()
}

// trimLocked drops the records no open transaction needs, and then the
// oldest ones beyond the cap.
func (t *conflictTracker) trimLocked() {
	oldest, ok := t.open.oldest()
	for t.head < len(t.records) {
		rec := t.records[t.head]
		if !(ok && rec.seq <= oldest) && t.bytes <= t.capBytes {
			break
		}
		t.dropOldestLocked()
	}
	if t.head > len(t.records)/2 {
		n := copy(t.records, t.records[t.head:])
		clear(t.records[n:])
		t.records, t.head = t.records[:n], 0
	}
}

func (t *conflictTracker) dropOldestLocked() {
	rec := t.records[t.head]
	t.records[t.head] = nil
	t.head++
	t.bytes -= rec.bytes
	t.floor = max(t.floor, rec.seq)
	for _, k := range rec.keys {
		p := string(t.cmp.Prefix(k))
		if t.points[p] == rec.seq {
			delete(t.points, p)
		}
	}
	n := 0
	for n < len(t.rangeWrites) && t.rangeWrites[n].seq <= rec.seq {
		n++
	}
	t.rangeWrites = t.rangeWrites[n:]
}

// validateLocked returns ErrConflict if a write recorded after seq
// touches what reads read, or if the history no longer reaches back to
// seq.
func (t *conflictTracker) validateLocked(seq base.SeqNum, reads *txnReads) error {
	if !t.active {
		// Unreachable: the committing transaction is registered, and the
		// tracker stays active while one is. Refuse rather than pass.
		return base.Conflictf("conflict tracking is inactive")
	}
	if seq < t.floor {
		return base.Conflictf("the history of writes no longer reaches back to the snapshot at %d (it starts after %d; see Options.TxnConflictHistoryBytes)", uint64(seq), uint64(t.floor))
	}
	if t.skipReadValidation {
		return nil
	}
	if err := t.validatePointsLocked(seq, reads); err != nil {
		return err
	}
	return t.validateRangesLocked(seq, reads)
}

func (t *conflictTracker) validatePointsLocked(seq base.SeqNum, reads *txnReads) error {
	i := sort.Search(len(t.rangeWrites), func(i int) bool { return t.rangeWrites[i].seq > seq })
	later := t.rangeWrites[i:]
	for p := range reads.prefixes {
		if s, ok := t.points[p]; ok && s > seq {
			return base.Conflictf("%s read at %d was written at %d", t.cmp.Format([]byte(p)), uint64(seq), uint64(s))
		}
		if len(later) == 0 {
			continue
		}
		pr := prefixRange(t.cmp, []byte(p))
		for _, w := range later {
			if overlaps(t.cmp, &pr, w.r) {
				return base.Conflictf("%s read at %d was covered by a range written at %d", t.cmp.Format([]byte(p)), uint64(seq), uint64(w.seq))
			}
		}
	}
	return nil
}

func (t *conflictTracker) validateRangesLocked(seq base.SeqNum, reads *txnReads) error {
	if len(reads.ranges) == 0 {
		return nil
	}
	live := t.records[t.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].seq > seq })
	for _, rec := range live[i:] {
		for j := range reads.ranges {
			if rec.touches(t.cmp, &reads.ranges[j]) {
				return base.Conflictf("a range iterated at %d was written at %d", uint64(seq), uint64(rec.seq))
			}
		}
	}
	return nil
}

// touches reports whether rec wrote a key in r.
func (rec *writeRecord) touches(cmp *base.Comparer, r *keyRange) bool {
	k := sort.Search(len(rec.keys), func(i int) bool {
		return !endsBefore(cmp, bound{key: rec.keys[i], kind: boundKey, set: true}, r.start)
	})
	if k < len(rec.keys) && !endsBefore(cmp, r.end, bound{key: rec.keys[k], kind: boundKey, set: true}) {
		return true
	}
	for i := range rec.ranges {
		if overlaps(cmp, r, &rec.ranges[i]) {
			return true
		}
	}
	return false
}

// minTxnConflictHistoryBytes is the smallest Options.TxnConflictHistoryBytes.
const minTxnConflictHistoryBytes = 4 << 10
