// Package benchvalues makes the values benchmarks write, as db_bench
// makes them: each 100-byte run is half random printable bytes and half a
// repeat of them, so that values compress to about half their size.
package benchvalues

import "math/rand/v2"

// run is the length of one half-random, half-repeated run.
const run = 100

// Buffer returns a buffer of such values, at least n bytes long, drawn
// from rng. Values are slices of it.
func Buffer(rng *rand.Rand, n int) []byte {
	buf := make([]byte, 0, n+run)
	for len(buf) < n {
		start := len(buf)
		for range run / 2 {
			buf = append(buf, byte(' '+rng.IntN(95)))
		}
		for len(buf)-start < run {
			buf = append(buf, buf[start+(len(buf)-start)%(run/2)])
		}
	}
	return buf
}
