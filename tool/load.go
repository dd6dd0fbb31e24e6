package tool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/tempestdb/tempest"
)

// loadFlags are the flags of load.
type loadFlags struct {
	dir       string
	format    string
	batchSize int
}

// defaultLoadBatch is the encoded size at which load commits a batch.
const defaultLoadBatch = 1 << 20

func newLoadCmd(g *globals) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load <file|->",
		Short: "Write the key/value pairs of a dump file (or stdin), creating the database if needed",
		Long: `Load writes the pairs of a file in the interchange format (see dump) in
batches, without syncing each, then syncs once at the end: when load exits 0
every pair is durable. A line that cannot be parsed stops the load with exit
status 1; the pairs before it are written and synced.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.format); err != nil {
				return err
			}
			if f.batchSize < 1 {
				return usagef("--batch-size %d: must be positive", f.batchSize)
			}
			in, total, err := openInput(cmd, args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			return g.withDB(dbOpen{dir: f.dir, create: true}, func(db *tempest.DB) error {
				return f.load(g, db, in, args[0], total)
			})
		},
	}
	addDirFlag(cmd, &f.dir)
	cmd.Flags().StringVar(&f.format, "format", formatJSON, "input format: json or hex")
	cmd.Flags().IntVar(&f.batchSize, "batch-size", defaultLoadBatch, "commit a batch once it holds this many encoded bytes")
	return cmd
}

// openInput opens the named input, "-" being standard input, and returns
// its size if known (0 otherwise).
func openInput(cmd *cobra.Command, name string) (io.ReadCloser, int64, error) {
	if name == "-" {
		return io.NopCloser(cmd.InOrStdin()), 0, nil
	}
	if err := requireFile(name); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	var size int64
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		size = info.Size()
	}
	return f, size, nil
}

func (f *loadFlags) load(g *globals, db *tempest.DB, in io.Reader, name string, total int64) (err error) {
	start := time.Now()
	prog := g.startProgress("load", total, nil)
	defer func() { prog.finish(err == nil) }()
	pr := newPairReader(progressReader{in, prog}, f.format)
	l := &loader{db: db, b: db.NewBatch(), batchSize: f.batchSize}
	var readErr error
	for readErr == nil {
		if readErr = pr.Next(); readErr == nil {
			readErr = l.add(pr.Key(), pr.Value())
		}
	}
	if readErr == io.EOF {
		readErr = nil
	}
	// The pairs read before a bad line are committed and synced too.
	if err := l.finish(); err != nil {
		return dbError(f.dir, err)
	}
	switch {
	case readErr == nil:
	case errors.Is(readErr, errCommit):
		return dbError(f.dir, readErr)
	default:
		return fmt.Errorf("load %s: line %d: %w", name, pr.Line(), readErr)
	}
	prog.finish(true)
	_, err = fmt.Fprintf(g.stdout, "loaded %d pairs (%s of keys and values) into %s in %v\n",
		l.pairs, humanBytes(l.bytes), f.dir, time.Since(start).Round(time.Millisecond))
	return err
}

// errCommit marks a failed commit among load's parse errors.
var errCommit = errors.New("commit")

// loader writes pairs in batches of about batchSize encoded bytes.
type loader struct {
	db           *tempest.DB
	b            *tempest.Batch
	batchSize    int
	pairs, bytes int64
}

func (l *loader) add(key, value []byte) error {
	if err := l.b.Set(key, value); err != nil {
		// The batch is full, or the pair alone is too large.
		if !errors.Is(err, tempest.ErrInvalidArgument) || l.b.Empty() {
			return err
		}
		if err := l.commit(); err != nil {
			return err
		}
		if err := l.b.Set(key, value); err != nil {
			return err
		}
	}
	l.pairs++
	l.bytes += int64(len(key) + len(value))
	if l.b.Len() >= l.batchSize {
		return l.commit()
	}
	return nil
}

// commit applies the batch without syncing.
func (l *loader) commit() error {
	if l.b.Empty() {
		return nil
	}
	_, err := l.db.Apply(l.b, tempest.NoSync)
	l.b.Reset()
	if err != nil {
		return fmt.Errorf("%w: %w", errCommit, err)
	}
	return nil
}

// finish commits what is left and syncs everything committed.
func (l *loader) finish() error {
	if err := l.commit(); err != nil {
		return err
	}
	_, err := l.db.Apply(l.db.NewBatch(), tempest.Sync)
	return err
}

// progressReader counts the bytes read from r.
type progressReader struct {
	r io.Reader
	p *progress
}

func (r progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(int64(n))
	return n, err
}
