package tempest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/testutil"
	"github.com/tempestdb/tempest/vfs"
)

// A serializability checker in the manner of Elle's list-append workload
// (Kingsbury and Alvaro, 2020). Transactions append unique values to a
// few lists (a list is one key, its value the encoded list) and read
// them, by Get or by a scan over every list; a quarter are read-only
// transactions. Since values are unique and
// lists only grow, the final lists give each key's version order, and
// every read names the version it saw (its length). Among committed
// transactions the checker derives
//
//   - ww: the writer of a list's i-th value precedes the writer of the
//     (i+1)-th;
//   - wr: the writer of the last value a read saw precedes the reader;
//   - rw: a reader precedes the writer of the first value it did not see
//     (an anti-dependency);
//
// and a serializable history has no cycle in that graph. It also checks
// that every read is a prefix of the final list, that every committed
// append is in it exactly once, and that no aborted append is.

const elleLists = 5

func elleKey(k int) []byte { return []byte(fmt.Sprintf("list%02d", k)) }

func elleDecode(v []byte) []int {
	if len(v) == 0 {
		return nil
	}
	var out []int
	for _, s := range strings.Split(string(v), ",") {
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	return out
}

func elleEncode(l []int) []byte {
	s := make([]string, len(l))
	for i, n := range l {
		s[i] = strconv.Itoa(n)
	}
	return []byte(strings.Join(s, ","))
}

// elleOp is one key a transaction touched: the list it saw, and the
// value it appended after, if it appended (0 if not).
type elleOp struct {
	key      int
	observed []int
	appended int
}

type elleTxn struct {
	ops []elleOp
}

// elleRun runs one random transaction; it returns the ops, and whether
// it committed.
func elleRun(d *DB, rng interface{ IntN(int) int }, nextVal func() int) ([]elleOp, bool, error) {
	// One in four is a read-only transaction, which commits unvalidated:
	// a read-only anomaly would show as a cycle through it.
	update := rng.IntN(4) > 0
	tx := d.NewTransaction(update)
	defer tx.Discard()
	var ops []elleOp
	if rng.IntN(8) == 0 {
		// A scan over every list, then perhaps an append to one.
		it, err := tx.NewIter(&IterOptions{LowerBound: elleKey(0), UpperBound: elleKey(elleLists)})
		if err != nil {
			return nil, false, err
		}
		seen := make([][]int, elleLists)
		for ok := it.First(); ok; ok = it.Next() {
			k, _ := strconv.Atoi(strings.TrimPrefix(string(it.Key()), "list"))
			seen[k] = elleDecode(it.Value())
		}
		if err := it.Close(); err != nil {
			return nil, false, err
		}
		for k := range seen {
			ops = append(ops, elleOp{key: k, observed: seen[k]})
		}
		if update && rng.IntN(2) == 0 {
			op := &ops[rng.IntN(elleLists)]
			op.appended = nextVal()
			if err := tx.Set(elleKey(op.key), elleEncode(append(slices.Clip(op.observed), op.appended))); err != nil {
				return nil, false, err
			}
		}
	} else {
		for _, k := range rngPerm(rng, elleLists)[:1+rng.IntN(3)] {
			v, err := tx.Get(elleKey(k))
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, false, err
			}
			op := elleOp{key: k, observed: elleDecode(v)}
			if update && rng.IntN(2) == 0 {
				op.appended = nextVal()
				if err := tx.Set(elleKey(k), elleEncode(append(slices.Clip(op.observed), op.appended))); err != nil {
					return nil, false, err
				}
			}
			ops = append(ops, op)
			runtime.Gosched() // let others interleave
		}
	}
	_, err := tx.Commit(NoSync)
	if errors.Is(err, ErrConflict) {
		return ops, false, nil
	}
	return ops, err == nil, err
}

func rngPerm(rng interface{ IntN(int) int }, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// elleHistory runs workers goroutines of perWorker transactions each and
// returns the committed ones, the values of aborted appends, and the
// final lists.
func elleHistory(t *testing.T, d *DB, seed uint64, workers, perWorker int) ([]elleTxn, map[int]bool, [][]int) {
	var mu sync.Mutex
	var committed []elleTxn
	aborted := map[int]bool{}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := testutil.NewRand(seed + uint64(w))
			n := 0
			nextVal := func() int { n++; return w*10_000_000 + n }
			for range perWorker {
				ops, ok, err := elleRun(d, rng, nextVal)
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				if ok {
					committed = append(committed, elleTxn{ops: ops})
				} else {
					for _, op := range ops {
						if op.appended != 0 {
							aborted[op.appended] = true
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	final := make([][]int, elleLists)
	if err := d.View(func(tx *Txn) error {
		for k := range final {
			v, err := tx.Get(elleKey(k))
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			final[k] = elleDecode(v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return committed, aborted, final
}

// elleReport is what the checker found.
type elleReport struct {
	anomalies []string // reads and appends at odds with the final lists
	cycle     []int    // a dependency cycle (transaction indexes), or nil
	edges     int
}

// elleCheck builds the dependency graph of the committed transactions
// and looks for a cycle.
func elleCheck(txns []elleTxn, aborted map[int]bool, final [][]int) elleReport {
	var rep elleReport
	writer := map[int]int{} // appended value → committed transaction
	for i, tx := range txns {
		for _, op := range tx.ops {
			if op.appended != 0 {
				writer[op.appended] = i
			}
		}
	}
	for k, l := range final {
		seen := map[int]bool{}
		for _, v := range l {
			if _, ok := writer[v]; !ok {
				rep.anomalies = append(rep.anomalies, fmt.Sprintf("list %d holds %d, which no committed transaction appended (aborted %v)", k, v, aborted[v]))
			}
			if seen[v] {
				rep.anomalies = append(rep.anomalies, fmt.Sprintf("list %d holds %d twice", k, v))
			}
			seen[v] = true
		}
	}
	adj := make([][]int, len(txns))
	edge := func(from, to int) {
		if from != to {
			adj[from] = append(adj[from], to)
			rep.edges++
		}
	}
	for _, l := range final {
		for i := 1; i < len(l); i++ {
			a, okA := writer[l[i-1]]
			b, okB := writer[l[i]]
			if okA && okB {
				edge(a, b) // ww
			}
		}
	}
	for i, tx := range txns {
		for _, op := range tx.ops {
			l := final[op.key]
			m := len(op.observed)
			if m > len(l) || !slices.Equal(op.observed, l[:m]) {
				rep.anomalies = append(rep.anomalies, fmt.Sprintf("txn %d read list %d as %v, not a prefix of its final %v", i, op.key, op.observed, l))
				continue
			}
			if op.appended != 0 && (m >= len(l) || l[m] != op.appended) {
				rep.anomalies = append(rep.anomalies, fmt.Sprintf("txn %d appended %d to list %d after %v, but the final list is %v", i, op.appended, op.key, op.observed, l))
			}
			if m > 0 {
				if w, ok := writer[l[m-1]]; ok {
					edge(w, i) // wr
				}
			}
			if m < len(l) {
				if w, ok := writer[l[m]]; ok {
					edge(i, w) // rw
				}
			}
		}
	}
	rep.cycle = findCycle(adj)
	return rep
}

// findCycle returns the nodes of a cycle of the graph, or nil: Kahn's
// topological sort, then a walk back along the in-edges of what it could
// not sort.
func findCycle(adj [][]int) []int {
	in := make([]int, len(adj))
	rev := make([][]int, len(adj))
	for from, tos := range adj {
		for _, to := range tos {
			in[to]++
			rev[to] = append(rev[to], from)
		}
	}
	var queue []int
	for n, c := range in {
		if c == 0 {
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, to := range adj[n] {
			if in[to]--; in[to] == 0 {
				queue = append(queue, to)
			}
		}
	}
	start := slices.IndexFunc(in, func(c int) bool { return c > 0 })
	if start < 0 {
		return nil
	}
	// Every unsorted node has a predecessor that is unsorted too.
	pos := map[int]int{}
	var path []int
	for n := start; ; {
		if p, ok := pos[n]; ok {
			cycle := slices.Clone(path[p:])
			slices.Reverse(cycle)
			return cycle
		}
		pos[n] = len(path)
		path = append(path, n)
		for _, p := range rev[n] {
			if in[p] > 0 {
				n = p
				break
			}
		}
	}
}

// elleRunCheck runs a history and checks it.
func elleRunCheck(t *testing.T, seed uint64, skipReadValidation bool, perWorker int) (elleReport, int) {
	d := mustOpen(t, "/db", smallOptions(vfs.NewMem()))
	defer mustClose(t, d)
	d.txns.mu.Lock()
	d.txns.skipReadValidation = skipReadValidation
	d.txns.mu.Unlock()
	txns, aborted, final := elleHistory(t, d, seed, 6, perWorker)
	return elleCheck(txns, aborted, final), len(txns)
}

// TestTxnElleListAppend: thousands of random concurrent transactions
// form a history with no dependency cycle and no read or append at odds
// with the final lists. The seed fixes each worker's transactions (not
// the interleaving). TEMPEST_TXN_LONG=1 runs ten times as many.
func TestTxnElleListAppend(t *testing.T) {
	seed := testutil.Seed(t)
	perWorker := 400
	if os.Getenv("TEMPEST_TXN_LONG") != "" {
		perWorker *= 10
	}
	rep, n := elleRunCheck(t, seed, false, perWorker)
	t.Logf("%d of %d transactions committed; %d dependency edges", n, 6*perWorker, rep.edges)
	for _, a := range rep.anomalies {
		t.Error(a)
	}
	if rep.cycle != nil {
		t.Fatalf("dependency cycle among committed transactions %v", rep.cycle)
	}
	if n < 6*perWorker/3 || rep.edges < n {
		t.Fatalf("a weak history: %d committed, %d edges", n, rep.edges)
	}
}

// TestTxnElleFindsCycles shows the checker's teeth: with read validation
// switched off (commits then check nothing), it finds a dependency cycle.
func TestTxnElleFindsCycles(t *testing.T) {
	seed := testutil.Seed(t)
	rep, n := elleRunCheck(t, seed, true, 200)
	t.Logf("%d transactions committed; %d edges; %d anomalies; cycle %v", n, rep.edges, len(rep.anomalies), rep.cycle)
	if rep.cycle == nil {
		t.Fatal("no dependency cycle found in a history committed without read validation")
	}
}

// TestTxnElleCycleSearch checks findCycle itself on small graphs.
func TestTxnElleCycleSearch(t *testing.T) {
	if c := findCycle([][]int{{1}, {2}, {}}); c != nil {
		t.Fatalf("cycle %v in a chain", c)
	}
	c := findCycle([][]int{{1}, {2}, {3}, {1}})
	slices.Sort(c)
	if !slices.Equal(c, []int{1, 2, 3}) {
		t.Fatalf("cycle %v, want 1 2 3", c)
	}
}
