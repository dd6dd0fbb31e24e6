package sstable_test

import (
	"fmt"
	"log"

	"github.com/tempestdb/tempest"
	"github.com/tempestdb/tempest/sstable"
	"github.com/tempestdb/tempest/vfs"
)

// A table written for ingest, with only public packages: the root package
// re-exports the Comparer, and vfs provides the file (vfs.Default for a
// real directory).
func ExampleWriter_Set() {
	fs := vfs.NewMem()
	f, err := fs.Create("ingest.sst")
	if err != nil {
		log.Fatal(err)
	}
	w := sstable.NewWriter(f, sstable.WriterOptions{Comparer: tempest.DefaultComparer})
	// Point keys strictly increase; ranges come in order and do not overlap.
	steps := []error{
		w.DeleteRange([]byte("a"), []byte("m")),
		w.Set([]byte("apple"), []byte("red")),
		w.Delete([]byte("banana")),
		w.Set([]byte("cherry"), []byte("dark")),
		w.DeleteRange([]byte("x"), []byte("z")),
	}
	for _, err := range steps {
		if err != nil {
			w.Abort()
			log.Fatal(err)
		}
	}
	meta, err := w.Finish()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d entries, %d range deletions, seqnums %d to %d\n",
		meta.EntryCount, meta.RangeDelCount, meta.SmallestSeq, meta.LargestSeq)

	f, err = fs.Open("ingest.sst")
	if err != nil {
		log.Fatal(err)
	}
	r, err := sstable.Open(f, int64(meta.Size), sstable.ReaderOptions{Comparer: tempest.DefaultComparer})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	it := r.NewIter()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		fmt.Printf("%s %s seq=%d %q\n", k.Kind(), k.UserKey, k.SeqNum(), it.Value())
	}
	if err := it.Close(); err != nil {
		log.Fatal(err)
	}
	for _, d := range r.RangeDels() {
		fmt.Printf("RANGEDEL [%s, %s) seq=%d\n", d.Start, d.End, d.Seq)
	}
	// Output:
	// 3 entries, 2 range deletions, seqnums 0 to 0
	// SET apple seq=0 "red"
	// DEL banana seq=0 ""
	// SET cherry seq=0 "dark"
	// RANGEDEL [a, m) seq=0
	// RANGEDEL [x, z) seq=0
}
