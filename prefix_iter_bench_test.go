package tempest

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkPrefixIter reads one logical key (a row's newest version) from
// a DB of 48 overlapping L0 tables, each holding a random 2% of 20,000
// rows, under FixedSuffixComparer(8): through a logical-prefix iterator,
// which skips the tables whose prefix filters rule the row out, and
// through an iterator bounded to the same range, which opens every table.
func BenchmarkPrefixIter(b *testing.B) {
	const rows, tables, perTable = 20000, 48, 400
	d := openBenchWith(b, &Options{
		Comparer:                  FixedSuffixComparer(8),
		L0CompactionThreshold:     1000,
		L0SlowdownWritesThreshold: 1001,
		L0StopWritesThreshold:     1001,
	})
	rng := newRand(1)
	row := func(i int) string { return fmt.Sprintf("row%06d", i) }
	val := make([]byte, 100)
	for t := range tables {
		for range perTable {
			if err := d.Set(versioned(row(rng.IntN(rows)), uint64(t+1)), val, NoSync); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	if n := d.Metrics().Levels[0].Files; n < tables/2 {
		b.Fatalf("%d L0 tables, want many", n)
	}
	read := func(b *testing.B, opts func(r string) *IterOptions) {
		rng := newRand(2) // the same rows in each run
		found := 0
		for i := 0; b.Loop(); i++ {
			r := row(rng.IntN(rows))
			it, err := d.NewIter(opts(r))
			if err != nil {
				b.Fatal(err)
			}
			if it.First() {
				found++
			}
			if err := it.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(found)/float64(b.N), "found/op")
	}
	b.Run("prefix", func(b *testing.B) {
		read(b, func(r string) *IterOptions { return &IterOptions{Prefix: []byte(r), LogicalPrefix: true} })
	})
	b.Run("bounds", func(b *testing.B) {
		read(b, func(r string) *IterOptions {
			// Versions sort descending: the largest version comes first,
			// and version 0 (never written) bounds the row from above.
			return &IterOptions{LowerBound: versioned(r, math.MaxUint64), UpperBound: versioned(r, 0)}
		})
	})
}
