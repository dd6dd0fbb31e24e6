package repair

import (
	"bufio"
	"fmt"
	"io"

	"github.com/tempestdb/tempest/internal/base"
)

// Report says what Run read from SRC, what it wrote to DST, and exactly
// what it could not recover.
type Report struct {
	Src, Dst string
	// Comparer is the name of the key order used.
	Comparer string
	// Manifest describes the manifest that was read.
	Manifest ManifestReport
	// Files lists the SSTs (by number), then the WALs (by number), of
	// SRC, and those the manifest or a WAL names but that are missing.
	Files []FileReport
	// Losses lists what could not be recovered. Empty means nothing was
	// lost.
	Losses []Loss
	// Notes lists what was found damaged or skipped without losing data:
	// damaged metadata, torn tails, files the manifest says are not live.
	Notes []string
	// Keys is the number of live keys written to DST; Tombstones the
	// point tombstones written (kept only under a Comparer with version
	// suffixes, where they hide older versions of a prefix).
	Keys, Tombstones uint64
	// Shadowed counts the versions not written because a newer version of
	// the key or a range tombstone hides them.
	Shadowed uint64
	// Conflicts counts versions read twice with one seqnum but different
	// contents (one write should read the same wherever it is found); the
	// first one read was kept.
	Conflicts uint64

	cmp *base.Comparer
}

// Lost reports whether anything could not be recovered.
func (r *Report) Lost() bool { return len(r.Losses) > 0 }

// ManifestReport describes the manifest journal file that was read.
type ManifestReport struct {
	// Path is the file read, "" if no manifest file has a valid header.
	Path string
	// Edits is the number of edits read.
	Edits int
	// State is "missing", "intact", "torn tail at offset N" or "damaged:
	// <error>". An intact manifest or one with a torn tail decides which
	// files are live; a damaged or missing one does not.
	State string
	// LiveFiles is the number of SSTs live in the state read.
	LiveFiles int
	// MinUnflushedLog is the oldest WAL that may hold unflushed writes.
	MinUnflushedLog base.FileNum
	// CleanClose is true if the last edit read records a clean close.
	CleanClose bool
}

// FileReport describes one SST or WAL of SRC.
type FileReport struct {
	// Kind is "sst" or "wal"; Num the file number; Path the file.
	Kind string
	Num  base.FileNum
	Path string
	// Status is "read", "missing", "unreadable", or "skipped: <why>".
	Status string
	// Entries is the number of point entries read (for a WAL, the
	// entries of its batches, range deletions included); RangeDels the
	// number of range tombstones; Batches the number of WAL batches.
	Entries   uint64
	RangeDels int
	Batches   int
	// Damaged is the number of damaged ranges found in the file.
	Damaged int
}

// Loss is one part of SRC that could not be recovered.
type Loss struct {
	// File is the path of the file; Offset and End delimit the byte
	// range [Offset, End), both -1 when the whole file is lost.
	File        string
	Offset, End int64
	// What says what was lost ("point entries", "range tombstones",
	// "WAL records", "whole file").
	What string
	// Smallest and Largest bound the user keys that may have lost
	// versions, both inclusive, where known (HasSmallest, HasLargest).
	// A key in the range may show an older version, or none, in DST.
	Smallest, Largest       []byte
	HasSmallest, HasLargest bool
	// MinSeq and MaxSeq bound the seqnums of the lost writes, both
	// inclusive, where known.
	MinSeq, MaxSeq       base.SeqNum
	HasMinSeq, HasMaxSeq bool
	// Reason says why.
	Reason string
}

// Covers reports whether user key k lies within the loss's key range
// under cmp. A loss without known key bounds covers every key.
func (l *Loss) Covers(cmp *base.Comparer, k []byte) bool {
	return (!l.HasSmallest || cmp.Compare(l.Smallest, k) <= 0) && (!l.HasLargest || cmp.Compare(k, l.Largest) <= 0)
}

// WriteTo writes the report as text, one line per file, note and loss,
// ending with a summary line.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}
	fmt.Fprintf(cw, "repair %s -> %s (comparer %s)\n", r.Src, r.Dst, r.Comparer)
	m := &r.Manifest
	if m.Path == "" {
		fmt.Fprintf(cw, "manifest: %s\n", m.State)
	} else {
		fmt.Fprintf(cw, "manifest: %s: %d edits, %s; %d live files, min unflushed log %s, clean close %v\n",
			m.Path, m.Edits, m.State, m.LiveFiles, m.MinUnflushedLog, m.CleanClose)
	}
	for i := range r.Files {
		fmt.Fprintf(cw, "%s\n", r.fileLine(&r.Files[i]))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(cw, "note: %s\n", n)
	}
	for i := range r.Losses {
		fmt.Fprintf(cw, "lost: %s\n", r.lossLine(&r.Losses[i]))
	}
	fmt.Fprintf(cw, "wrote %d keys and %d tombstones to %s (%d older or deleted versions dropped, %d conflicts)\n",
		r.Keys, r.Tombstones, r.Dst, r.Shadowed, r.Conflicts)
	switch len(r.Losses) {
	case 0:
		fmt.Fprintf(cw, "result: nothing lost\n")
	case 1:
		fmt.Fprintf(cw, "result: 1 loss\n")
	default:
		fmt.Fprintf(cw, "result: %d losses\n", len(r.Losses))
	}
	err := cw.w.(*bufio.Writer).Flush()
	if cw.err != nil {
		err = cw.err
	}
	return cw.n, err
}

func (r *Report) fileLine(f *FileReport) string {
	s := fmt.Sprintf("%s %s: %s", f.Kind, f.Path, f.Status)
	if f.Status != "read" {
		return s
	}
	if f.Kind == "wal" {
		s += fmt.Sprintf(", %d batches, %d entries", f.Batches, f.Entries)
	} else {
		s += fmt.Sprintf(", %d entries, %d range tombstones", f.Entries, f.RangeDels)
	}
	if f.Damaged > 0 {
		s += fmt.Sprintf(", %d damaged ranges", f.Damaged)
	}
	return s
}

func (r *Report) lossLine(l *Loss) string {
	s := l.File
	if l.Offset >= 0 {
		s += fmt.Sprintf(" [%d, %d)", l.Offset, l.End)
	}
	s += ": " + l.What
	if l.HasSmallest || l.HasLargest {
		s += fmt.Sprintf("; keys [%s, %s]", r.formatBound(l.Smallest, l.HasSmallest), r.formatBound(l.Largest, l.HasLargest))
	} else {
		s += "; keys unknown"
	}
	if l.HasMinSeq || l.HasMaxSeq {
		s += fmt.Sprintf("; seqnums [%s, %s]", formatSeq(l.MinSeq, l.HasMinSeq), formatSeq(l.MaxSeq, l.HasMaxSeq))
	}
	return s + ": " + l.Reason
}

func (r *Report) formatBound(k []byte, known bool) string {
	if !known {
		return "?"
	}
	cmp := r.cmp
	if cmp == nil {
		cmp = base.DefaultComparer
	}
	return cmp.Format(k)
}

func formatSeq(s base.SeqNum, known bool) string {
	if !known {
		return "?"
	}
	return fmt.Sprint(uint64(s))
}

// countingWriter counts the bytes written and keeps the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
