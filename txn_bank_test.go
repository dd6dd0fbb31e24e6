package tempest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

const (
	bankAccounts = 1000
	bankInitial  = 100
)

func bankKey(i int) []byte { return []byte(fmt.Sprintf("acct%04d", i)) }

// bankRead returns the balance of account i as tx sees it.
func bankRead(tx *Txn, i int) (int, error) {
	v, err := tx.Get(bankKey(i))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

// bankAudit scans every account in tx and checks the total and that no
// balance is negative.
func bankAudit(tx *Txn) error {
	it, err := tx.NewIter(&IterOptions{LowerBound: []byte("acct"), UpperBound: []byte("acct:")})
	if err != nil {
		return err
	}
	defer it.Close()
	total, n := 0, 0
	for ok := it.First(); ok; ok = it.Next() {
		b, err := strconv.Atoi(string(it.Value()))
		if err != nil {
			return err
		}
		if b < 0 {
			return fmt.Errorf("account %s has balance %d", it.Key(), b)
		}
		total += b
		n++
	}
	if err := it.Error(); err != nil {
		return err
	}
	if n != bankAccounts || total != bankAccounts*bankInitial {
		return fmt.Errorf("audit: %d accounts holding %d, want %d holding %d", n, total, bankAccounts, bankAccounts*bankInitial)
	}
	return nil
}

// TestTxnBank: 8 goroutines transfer money between 1,000 accounts with
// DB.Update, retrying on ErrConflict, while the DB flushes, compacts and
// is closed and reopened. A transfer never overdraws (it checks inside
// the transaction), audits inside read-only and read-write transactions
// see the total unchanged and no negative balance, and so does the final
// audit. TEMPEST_TXN_LONG=1 runs ten times as many transfers.
func TestTxnBank(t *testing.T) {
	seed := testutil.Seed(t)
	transfers := 250
	if os.Getenv("TEMPEST_TXN_LONG") != "" {
		transfers *= 10
	}
	fs := vfs.NewMem()
	o := smallOptions(fs)
	d := mustOpen(t, "/db", o)
	for from := 0; from < bankAccounts; from += 100 {
		if err := d.Update(func(tx *Txn) error {
			for i := from; i < from+100; i++ {
				if err := tx.Set(bankKey(i), []byte(strconv.Itoa(bankInitial))); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// Workers hold gate shared for each transaction; reopening holds it
	// exclusively, so no transaction spans a reopen.
	var gate sync.RWMutex
	var conflicts sync.Map
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := testutil.NewRand(seed + uint64(w))
			for n := 0; n < transfers; n++ {
				gate.RLock()
				err := bankStep(d, rng.IntN(bankAccounts), rng.IntN(bankAccounts), 1+rng.IntN(60), rng.IntN(50) == 0, &conflicts, w)
				gate.RUnlock()
				if err != nil {
					errc <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
				if n%40 == 0 {
					gate.RLock()
					err := d.View(bankAudit)
					gate.RUnlock()
					if err != nil {
						errc <- fmt.Errorf("worker %d: audit: %w", w, err)
						return
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	round := 0
	for ; ; round++ {
		select {
		case err := <-errc:
			t.Fatal(err)
		case <-done:
		default:
			switch round % 3 {
			case 0:
				if err := d.Flush(); err != nil {
					t.Fatal(err)
				}
			case 1:
				if err := d.Compact(context.Background(), nil, nil); err != nil {
					t.Fatal(err)
				}
			case 2:
				gate.Lock()
				mustClose(t, d)
				d = mustOpen(t, "/db", o)
				gate.Unlock()
			}
			continue
		}
		break
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if err := d.View(bankAudit); err != nil {
		t.Fatal(err)
	}
	mustClose(t, d)
	d = mustOpen(t, "/db", o)
	defer mustClose(t, d)
	if err := d.View(bankAudit); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	total := 0
	conflicts.Range(func(_, v any) bool { total += v.(int); return true })
	t.Logf("%d transfers, %d conflicts retried, %d flushes, compactions and reopens", 8*transfers, total, round)
	if round < 3 {
		t.Fatalf("only %d rounds of flush, compaction and reopen ran", round)
	}
}

// bankStep moves amount from account a to b in one transaction, unless
// a holds less, retrying on ErrConflict; with audit it first audits every
// account inside the transaction.
func bankStep(d *DB, a, b, amount int, audit bool, conflicts *sync.Map, w int) error {
	for {
		err := d.Update(func(tx *Txn) error {
			if audit {
				if err := bankAudit(tx); err != nil {
					return err
				}
			}
			ba, err := bankRead(tx, a)
			if err != nil {
				return err
			}
			bb, err := bankRead(tx, b)
			if err != nil {
				return err
			}
			if a == b || ba < amount {
				return nil
			}
			if ba-amount < 0 {
				return fmt.Errorf("transfer would overdraw %d", a)
			}
			if err := tx.Set(bankKey(a), []byte(strconv.Itoa(ba-amount))); err != nil {
				return err
			}
			return tx.Set(bankKey(b), []byte(strconv.Itoa(bb+amount)))
		})
		if !errors.Is(err, ErrConflict) {
			return err
		}
		n, _ := conflicts.LoadOrStore(w, 0)
		conflicts.Store(w, n.(int)+1)
	}
}
