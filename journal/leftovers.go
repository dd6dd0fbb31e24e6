package journal

import (
	"bytes"
	"errors"
	"io"

	"github.com/tempestdb/tempest/vfs"
)

// Files the journal removes. Besides its current file, a journal
// directory may hold files the journal made and no longer needs:
//
//   - older journal files with a valid header: superseded by a rotation
//     or an Open that completed;
//   - journal files whose header is all zeros (or shorter, and zeros): a
//     rotation reserves the header as zero bytes and writes it last, so
//     such a file is a rotation that crashed before its header;
//   - "<prefix>-000000.tmp" holding a prefix of file 0's header (or
//     zeros): the creation of file 0 crashed before its rename.
//
// removeObsolete removes exactly those. Any other file with a journal
// name (a newer or older file whose header is neither valid nor zeros, or
// names another number) is not provably the journal's: it is left in
// place, and ReplayInfo.Foreign lists it.

// leftover says what a file of the prefix other than the current one is.
type leftover int

const (
	leftoverForeign  leftover = iota // not provably the journal's
	leftoverObsolete                 // the journal's, and no longer needed
)

// judgeLeftover classifies the file name (number num, or the temporary
// file of file 0 when tmp) against the current file number.
func (j *Journal[T, E]) judgeLeftover(name string, num uint64, tmp bool) leftover {
	f, err := j.fs.Open(j.fs.PathJoin(j.dir, name))
	if err != nil {
		return leftoverForeign
	}
	defer f.Close()
	var b [HeaderSize]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return leftoverForeign
	}
	head := b[:n]
	if bytes.Count(head, []byte{0}) == len(head) {
		return leftoverObsolete // a header never written
	}
	if tmp {
		want := encodeHeader(Header{FileNum: 0})
		if bytes.Equal(head, want[:n]) {
			return leftoverObsolete
		}
		return leftoverForeign
	}
	h, err := decodeHeader(name, head)
	if err == nil && h.FileNum == num && num < j.mu.fileNum {
		return leftoverObsolete
	}
	return leftoverForeign
}

// leftovers lists the files of the prefix other than the current one,
// split into those the journal may remove and the foreign ones.
func (j *Journal[T, E]) leftovers() (obsolete, foreign []string) {
	names, err := j.fs.List(j.dir)
	if err != nil {
		return nil, nil
	}
	tmpName := makeFilename(j.prefix, 0) + tmpSuffix
	for _, name := range names {
		n, ok := parseFilename(j.prefix, name)
		tmp := name == tmpName
		if !(ok && n != j.mu.fileNum) && !tmp {
			continue
		}
		if j.judgeLeftover(name, n, tmp) == leftoverObsolete {
			obsolete = append(obsolete, name)
		} else {
			foreign = append(foreign, name)
		}
	}
	return obsolete, foreign
}

// removeObsolete removes, best effort, the files leftovers proves the
// journal no longer needs, then syncs the directory if it removed any.
func (j *Journal[T, E]) removeObsolete() {
	obsolete, _ := j.leftovers()
	removed := false
	for _, name := range obsolete {
		if j.fs.Remove(j.fs.PathJoin(j.dir, name)) == nil {
			removed = true
		}
	}
	if removed {
		_ = vfs.SyncDir(j.fs, j.dir)
	}
}
