package benchmark

import (
	"errors"
	"fmt"
)

// txnHotAccounts is the number of accounts txn-high transfers between.
const txnHotAccounts = 16

// txnMaxAttempts bounds the retries of one transaction; reaching it is an
// error (a livelock, not contention).
const txnMaxAttempts = 1000

var txnLow = &workload{
	name:    "txn-low",
	about:   "load Num keys, then Num transfers: each a read-write transaction that reads two random accounts of Num and writes both, retried on conflict (low contention)",
	preload: true,
	txn:     true,
	parts:   []string{"first-try", "retried"},
	op: func(w *worker, i int64) (int, error) {
		return w.transfer(w.r.num)
	},
}

var txnHigh = &workload{
	name:    "txn-high",
	about:   "load Num keys, then Num transfers between 16 hot accounts, each a read-write transaction retried on conflict (high contention with --concurrency > 1)",
	preload: true,
	txn:     true,
	parts:   []string{"first-try", "retried"},
	op: func(w *worker, i int64) (int, error) {
		return w.transfer(min(w.r.num, txnHotAccounts))
	},
}

// transfer runs one transaction that reads two distinct accounts among
// the first n and writes both, retrying on conflict. It returns part 0 if
// the first attempt committed, 1 if a retry did.
func (w *worker) transfer(n uint64) (int, error) {
	tr := w.r.eng.(Transactor)
	a := w.rng.Uint64N(n)
	b := (a + 1 + w.rng.Uint64N(max(1, n-1))) % n
	ka, kb := w.r.keys.main(nil, a), w.r.keys.main(nil, b)
	for attempt := 0; attempt < txnMaxAttempts; attempt++ {
		va, vb := w.r.values.value(w.rng), w.r.values.value(w.rng)
		err := tr.Update(w.r.sync, func(tx Txn) error {
			for _, k := range [][]byte{ka, kb} {
				v, found, err := tx.Get(k, w.buf)
				if err != nil {
					return err
				}
				if !found || len(v) != w.r.opts.ValueSize {
					return fmt.Errorf("%w: account %x: found %v, %d bytes", errMismatch, k, found, len(v))
				}
				w.buf = v[:0]
			}
			if err := tx.Set(ka, va); err != nil {
				return err
			}
			return tx.Set(kb, vb)
		})
		switch {
		case err == nil:
			w.userBytes += int64(len(ka) + len(va) + len(kb) + len(vb))
			return min(attempt, 1), nil
		case !errors.Is(err, ErrConflict):
			return 0, err
		}
	}
	return 0, fmt.Errorf("a transfer conflicted %d times in a row", txnMaxAttempts)
}
