package tempest

import (
	"errors"
	"testing"

	"github.com/tempestdb/tempest/vfs"
)

// TestTxnConflictsWithIngest: an ingestion counts as a write over each
// file's key range. A transaction that read a key or scanned a range an
// ingested file covers, and started before the ingestion, fails with
// ErrConflict; one whose reads lie outside every file's range commits.
func TestTxnConflictsWithIngest(t *testing.T) {
	fs := vfs.NewMem()
	d := mustOpen(t, "/db", ingestOptions(fs))
	defer mustClose(t, d)
	for _, k := range []string{"a", "m", "z"} {
		if err := d.Set([]byte(k), []byte("old"), nil); err != nil {
			t.Fatal(err)
		}
	}
	pointRead := d.NewTransaction(true) // reads "m", inside the file
	if _, err := pointRead.Get([]byte("m")); err != nil {
		t.Fatal(err)
	}
	scan := d.NewTransaction(true) // scans [k, n), overlapping the file
	it, err := scan.NewIter(&IterOptions{LowerBound: []byte("k"), UpperBound: []byte("n")})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	outside := d.NewTransaction(true) // reads "a" and "z", outside [l, n]
	for _, k := range []string{"a", "z"} {
		if _, err := outside.Get([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	for i, tx := range []*Txn{pointRead, scan, outside} {
		if err := tx.Set([]byte{'w', byte('0' + i)}, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	writeIngestFile(t, fs, "/ext/f.sst", d.cmp, ingestEntry{key: "l", value: "new"}, ingestEntry{key: "n", value: "new"})
	if _, err := d.Ingest([]string{"/ext/f.sst"}); err != nil {
		t.Fatal(err)
	}
	for name, tx := range map[string]*Txn{"point read": pointRead, "scan": scan} {
		if _, err := tx.Commit(nil); !errors.Is(err, ErrConflict) {
			t.Errorf("%s of the ingested range: Commit = %v, want ErrConflict", name, err)
		}
	}
	if _, err := outside.Commit(nil); err != nil {
		t.Errorf("reads outside the ingested range: Commit = %v, want success", err)
	}
}
