package tempest

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/base"
)

var errTxnDone = fmt.Errorf("%w: transaction already committed or discarded", ErrClosed)

// Txn is an optimistic, serializable transaction. It reads at a snapshot
// taken when it starts, sees its own writes (an indexed batch over the
// snapshot), and commits only if nothing it read changed since: Commit
// fails with ErrConflict when a key it read, or a key in a range it
// iterated (txn_reads.go says exactly what counts), was written by any
// batch committed after its snapshot (txn_conflicts.go says what counts as
// a write: a Merge, like every point entry, writes its key; a range
// deletion or an ingested file writes its whole range). Read-write
// transactions then serialize in commit order and read-only ones at
// their snapshots: serializable snapshot isolation, phantoms included.
//
// A read-only transaction (NewTransaction(false), DB.View) records no
// reads and never conflicts; nor does a read-write one that wrote
// nothing. A transaction is not safe for concurrent use. Commit or
// Discard it: an open one pins its snapshot's versions, and an open
// read-write one keeps the history of writes it may conflict with.
type Txn struct {
	db     *DB
	update bool
	snap   *Snapshot
	batch  *Batch // indexed; nil in a read-only transaction
	reads  txnReads
	err    error // the error every call returns: the DB was closed at the start
	done   bool  // committed or discarded
	// tooBig is set once the read and write sets passed maxTxnBytes.
	tooBig bool
	// registered: t is listed among the open read-write transactions,
	// which prev and next link (conflictTracker.open, guarded by its mu).
	registered bool
	prev, next *Txn
}

// txnList lists the open read-write transactions in snapshot order.
type txnList struct{ root Txn }

func (l *txnList) init() { l.root.next, l.root.prev = &l.root, &l.root }

func (l *txnList) empty() bool { return l.root.next == &l.root }

// push appends t, whose snapshot is the newest.
func (l *txnList) push(t *Txn) {
	t.prev, t.next = l.root.prev, &l.root
	l.root.prev.next = t
	l.root.prev = t
}

func (l *txnList) remove(t *Txn) {
	t.prev.next = t.next
	t.next.prev = t.prev
	t.prev, t.next = nil, nil
}

// oldest returns the snapshot seqnum of the oldest open transaction.
func (l *txnList) oldest() (base.SeqNum, bool) {
	if l.empty() {
		return 0, false
	}
	return l.root.next.snap.seq, true
}

// NewTransaction starts a transaction at a snapshot of the current state:
// a read-write one if update, else a read-only one, whose writes return
// ErrTxnReadOnly. On a closed DB every call of the transaction returns
// ErrClosed; on a DB opened read-only, the writes and Commit of a
// read-write one return ErrReadOnly.
func (d *DB) NewTransaction(update bool) *Txn {
	t := &Txn{db: d, update: update, reads: txnReads{cmp: d.cmp}}
	switch {
	case d.closed.Load():
		t.err = ErrClosed
	case !update || d.writable() != nil:
		t.snap = d.NewSnapshot()
	default:
		t.err = d.registerTxn(t)
	}
	if t.err == nil && t.snap == nil {
		t.err = ErrClosed
	}
	if t.err == nil && update {
		t.batch = d.NewIndexedBatch()
	}
	return t
}

// registerTxn takes t's snapshot and lists t among the open read-write
// transactions, activating the conflict tracker if it is not. Under the
// tracker's lock, the snapshot is the newest, so the list stays in
// snapshot order.
func (d *DB) registerTxn(t *Txn) error {
	tr := &d.txns
	register := func() {
		t.snap = d.NewSnapshot()
		switch {
		case t.snap != nil:
			tr.open.push(t)
			t.registered = true
		case tr.open.empty():
			tr.deactivateLocked() // the DB closed meanwhile
		}
	}
	tr.mu.Lock()
	if tr.active {
		register()
		tr.mu.Unlock()
		return nil
	}
	tr.mu.Unlock()
	// Activate from a commit task: it runs once every batch sequenced
	// before is visible, so the snapshot sees all the history lacks.
	r := &commitReq{task: func() error {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if !tr.active {
			tr.activateLocked(base.SeqNum(d.visibleSeq.Load()))
		}
		register()
		return nil
	}}
	d.runCommit(r)
	return r.err
}

// finish ends t: it releases the snapshot and leaves the open list; the
// last read-write transaction to leave turns the tracker off.
func (t *Txn) finish() {
	if t.done {
		return
	}
	t.done = true
	if t.snap == nil {
		return
	}
	if t.registered {
		tr := &t.db.txns
		tr.mu.Lock()
		tr.open.remove(t)
		if tr.open.empty() {
			tr.deactivateLocked()
		} else {
			tr.trimLocked()
		}
		tr.mu.Unlock()
	}
	t.snap.Close()
}

// check returns the error a call of t returns before doing anything.
func (t *Txn) check() error {
	switch {
	case t.err != nil:
		return t.err
	case t.done:
		return errTxnDone
	case t.db.closed.Load():
		return ErrClosed
	case t.tooBig:
		return t.errTooBig()
	}
	return nil
}

func (t *Txn) errTooBig() error {
	return base.InvalidArgumentf("transaction's read and write sets exceed %d bytes (a quarter of Options.TxnConflictHistoryBytes)", t.db.txns.maxTxnBytes())
}

// checkWrite is check for a write of about n bytes.
func (t *Txn) checkWrite(n int) error {
	if err := t.check(); err != nil {
		return err
	}
	if !t.update {
		return ErrTxnReadOnly
	}
	if err := t.db.writable(); err != nil {
		return err
	}
	if t.reads.size()+int64(t.batch.Len()+n) > t.db.txns.maxTxnBytes() {
		t.tooBig = true
		return t.errTooBig()
	}
	return nil
}

// Get returns a copy of key's value as the transaction sees it: its own
// writes over its snapshot (as Batch.Get and DB.Get read, including the
// version-suffix rule), or ErrNotFound. In a read-write transaction it
// reads key's whole prefix group, found or not.
func (t *Txn) Get(key []byte) ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	d := t.db
	if !t.update {
		rs := d.loadReadState()
		defer rs.unref()
		return d.getAt(rs, key, t.snap.seq)
	}
	t.reads.notePoint(key)
	if t.reads.size()+int64(t.batch.Len()) > d.txns.maxTxnBytes() {
		t.tooBig = true
		return nil, t.errTooBig()
	}
	bs, err := t.batch.readSnapshot()
	if err != nil {
		return nil, err
	}
	return t.batch.getAt(bs, d.loadReadState(), key, t.snap.seq)
}

// NewIter returns an iterator over the transaction's writes (as they are
// now) merged with its snapshot, within o's bounds. In a read-write
// transaction, what it steps over is read (see txn_reads.go) until the
// transaction ends; Close it before the transaction ends.
func (t *Txn) NewIter(o *IterOptions) (*Iterator, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	d := t.db
	if !t.update {
		return d.newIter(d.loadReadState(), t.snap.seq, o, nil)
	}
	bs, err := t.batch.readSnapshot()
	if err != nil {
		return nil, err
	}
	it, err := d.newIter(d.loadReadState(), t.snap.seq, o, bs)
	if err != nil {
		return nil, err
	}
	it.track = &iterTracking{reads: &t.reads, span: -1}
	return it, nil
}

// Set writes key=value in the transaction. It returns ErrTxnReadOnly in a
// read-only transaction and ErrInvalidArgument past the size limits.
func (t *Txn) Set(key, value []byte) error {
	if err := t.checkWrite(len(key) + len(value)); err != nil {
		return err
	}
	return t.batch.Set(key, value)
}

// Delete deletes key in the transaction.
func (t *Txn) Delete(key []byte) error {
	if err := t.checkWrite(len(key)); err != nil {
		return err
	}
	return t.batch.Delete(key)
}

// DeleteRange deletes the keys in [start, end) in the transaction, as
// Batch.DeleteRange does. It writes the whole range.
func (t *Txn) DeleteRange(start, end []byte) error {
	if err := t.checkWrite(len(start) + len(end)); err != nil {
		return err
	}
	return t.batch.DeleteRange(start, end)
}

// Commit ends the transaction. A read-write transaction with writes
// applies them atomically, as one batch, if nothing it read was written
// after its snapshot; otherwise it fails with ErrConflict and writes
// nothing. A read-only transaction, or one that wrote nothing, commits
// without validation; the token is then its snapshot's. A nil o means
// Sync. After Commit, whatever it returned, every call but Discard
// returns ErrClosed.
func (t *Txn) Commit(o *WriteOptions) (WriteToken, error) {
	if err := t.check(); err != nil {
		t.finish()
		return WriteToken{}, err
	}
	defer t.finish()
	if !t.update || t.batch.Empty() {
		return WriteToken{seq: t.snap.seq}, nil
	}
	if err := t.db.writable(); err != nil {
		return WriteToken{}, err
	}
	if t.reads.size()+int64(t.batch.Len()) > t.db.txns.maxTxnBytes() {
		return WriteToken{}, t.errTooBig()
	}
	r := &commitReq{batch: t.batch, sync: o.sync(), txn: &txnCommit{seq: t.snap.seq, reads: &t.reads}}
	t.db.runCommit(r)
	if r.err != nil {
		return WriteToken{}, r.err
	}
	return WriteToken{seq: r.seq}, nil
}

// txnCommit is what the commit leader validates of a transaction: its
// snapshot and its reads.
type txnCommit struct {
	seq   base.SeqNum
	reads *txnReads
}

// Discard ends the transaction without writing. It may be called any
// number of times, after Commit too, and after the DB's Close.
func (t *Txn) Discard() { t.finish() }

// Update runs fn in a read-write transaction and commits it (with Sync)
// if fn returns nil; otherwise it discards it and returns fn's error. A
// conflict is returned as ErrConflict: the caller may run Update again.
func (d *DB) Update(fn func(*Txn) error) error {
	t := d.NewTransaction(true)
	defer t.Discard()
	if err := fn(t); err != nil {
		return err
	}
	_, err := t.Commit(nil)
	return err
}

// View runs fn in a read-only transaction and returns its error.
func (d *DB) View(fn func(*Txn) error) error {
	t := d.NewTransaction(false)
	defer t.Discard()
	return fn(t)
}
