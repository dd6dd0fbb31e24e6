package journal

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/tempestdb/tempest/internal/base"
	"github.com/tempestdb/tempest/vfs"
)

// Replayable is a state machine rebuilt by replaying edits.
type Replayable[E any] interface {
	// Check reports whether edit can be applied to the current state,
	// without changing anything. Append calls Check before writing; when it
	// returns nil, Apply of the same edit on the same state must succeed.
	// Its error is returned by Append as is.
	Check(edit E) error
	// Apply applies edit to the state. On replay an error fails Open with an
	// error matching base.ErrCorruption (or base.ErrFormatVersion, when the
	// error matches it). Apply may keep references into
	// edit: the journal never reuses an edit it passed to Apply.
	Apply(edit E) error
	// Snapshot returns an edit that rebuilds the whole current state when
	// applied to the initial state. It is the first edit of a rotated file.
	Snapshot() E
}

// FramingChooser is implemented by a state that chooses the framing of
// the files the journal creates from what it holds (the manifest: from
// the database's format version). Appends to a file always use the
// file's own framing; a new framing takes effect at the next rotation.
type FramingChooser interface {
	// LegacyFraming reports whether a new file is written in the legacy
	// framing. known is false when the state cannot tell (it holds
	// nothing yet): Config.Legacy decides.
	LegacyFraming() (legacy, known bool)
}

// Codec encodes edits to bytes and back.
type Codec[E any] interface {
	// Encode appends the encoding of e to dst. The encoding must not be
	// empty.
	Encode(dst []byte, e E) []byte
	// Decode decodes b. It must be safe on arbitrary bytes: return an error,
	// never panic, never allocate more than a small multiple of len(b). The
	// result must not alias b.
	Decode(b []byte) (E, error)
}

// ReplayInfo describes what Open found.
type ReplayInfo struct {
	// FileNum is the file that was replayed, or created when Created.
	FileNum uint64
	// Edits is the number of edits replayed, the snapshot edit included.
	Edits int
	// Created is true if no journal file existed and file 0 was created.
	Created bool
	// TornTail is true if replay stopped at a torn tail at TornOffset,
	// because of TornReason.
	TornTail   bool
	TornOffset int64
	TornReason string
	// Rotated is true if Open rotated to a new file (after a torn tail).
	Rotated bool
	// Skipped lists journal files ignored because their header is invalid
	// (rotations that never completed, or files not the journal's).
	Skipped []string
	// Foreign lists the files with journal names that the journal does
	// not remove because nothing proves them its own (see leftovers.go).
	Foreign []string
}

// Journal is an append-only, rotating log of edits to a Replayable state T.
//
// Every Append is durable (written and fsynced) before it is applied to the
// in-memory state. Append, Rotate, Close and View are serialized by a mutex,
// so a Journal may be used from several goroutines.
type Journal[T Replayable[E], E any] struct {
	fs     vfs.FS
	dir    string
	prefix string
	codec  Codec[E]
	cfg    Config
	info   ReplayInfo
	// readOnly is set by OpenReadOnly: the journal has no file open and
	// takes no appends.
	readOnly bool

	// state is replaced never; Append mutates it under mu.
	state T
	// maxNum is the highest journal file number found at Open: a rotation
	// goes past it, so it never truncates a leftover file.
	maxNum uint64

	mu struct {
		sync.Mutex
		// file is the current journal file, open for appending. nil only
		// between replaying a torn file and the rotation that follows.
		file    vfs.File
		fileNum uint64
		// framing is the current file's: the one appends to it use.
		framing framing
		// pos is the size of the current file; startSize its size once the
		// header and snapshot were written.
		pos, startSize int64
		// err is the sticky error: once set, every Append and Rotate
		// returns it.
		err    error
		closed bool
		buf    []byte
		// tentative is set by OpenTentative until Commit: no file that
		// existed at Open is written or removed (see tentative.go).
		tentative bool
	}
}

// Open opens the journal of prefix in dir, replaying its newest file into
// initial(), or creates it. See doc.go for the recovery rules.
func Open[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E], cfg Config) (*Journal[T, E], error) {
	j, err := open(fs, dir, prefix, initial, codec, cfg, false)
	if err != nil {
		return nil, err
	}
	j.removeObsolete()
	return j, nil
}

// open opens the journal, tentatively or not.
func open[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E], cfg Config, tentative bool) (*Journal[T, E], error) {
	j, err := newJournal(fs, dir, prefix, initial, codec, cfg)
	if err != nil {
		return nil, err
	}
	j.mu.tentative = tentative
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: create directory %s: %w", dir, err)
	}
	chosen, count, err := j.findNewest()
	if err != nil {
		return nil, err
	}
	if count == 0 {
		err = j.create()
	} else {
		err = j.replay(chosen)
	}
	if err == nil {
		// The file in use may have been created or renamed by an earlier
		// Open or rotation whose directory sync failed: make its entry
		// durable before anything is appended to it.
		err = vfs.SyncDir(j.fs, j.dir)
	}
	if err != nil {
		j.closeFile()
		return nil, err
	}
	_, j.info.Foreign = j.leftovers()
	return j, nil
}

// newJournal checks Open's arguments and returns a journal holding the
// initial state and no file.
func newJournal[T Replayable[E], E any](fs vfs.FS, dir, prefix string, initial func() T, codec Codec[E], cfg Config) (*Journal[T, E], error) {
	switch {
	case fs == nil:
		return nil, base.InvalidArgumentf("journal: nil file system")
	case !validPrefix(prefix):
		return nil, base.InvalidArgumentf("journal: invalid file name prefix %q", prefix)
	case initial == nil:
		return nil, base.InvalidArgumentf("journal: nil initial state constructor")
	case codec == nil:
		return nil, base.InvalidArgumentf("journal: nil codec")
	}
	return &Journal[T, E]{
		fs:     fs,
		dir:    dir,
		prefix: prefix,
		codec:  codec,
		cfg:    cfg.withDefaults(),
		state:  initial(),
	}, nil
}

// findNewest returns the newest journal file of the prefix with a valid
// header, and how many journal files exist. Newer files with an invalid
// header are rotations that never completed: they are listed in
// j.info.Skipped. If files exist and none is valid, that is corruption.
func (j *Journal[T, E]) findNewest() (chosen uint64, count int, err error) {
	names, err := j.fs.List(j.dir)
	if err != nil {
		return 0, 0, fmt.Errorf("journal: list %s: %w", j.dir, err)
	}
	var nums []uint64
	for _, name := range names {
		if n, ok := parseFilename(j.prefix, name); ok {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(a, b int) bool { return nums[a] > nums[b] })
	if len(nums) > 0 {
		j.maxNum = nums[0]
	}
	for _, n := range nums {
		ok, err := j.hasValidHeader(n)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			return n, len(nums), nil
		}
		j.info.Skipped = append(j.info.Skipped, makeFilename(j.prefix, n))
	}
	if len(nums) > 0 {
		return 0, 0, base.Corruptionf(j.path(nums[0]), 0,
			"none of the %d journal files of prefix %q has a valid header", len(nums), j.prefix)
	}
	return 0, 0, nil
}

// path returns the path of journal file num.
func (j *Journal[T, E]) path(num uint64) string {
	return j.fs.PathJoin(j.dir, makeFilename(j.prefix, num))
}

// hasValidHeader reports whether file num starts with a valid header naming
// num. A missing or short header is invalid; an I/O error is returned.
func (j *Journal[T, E]) hasValidHeader(num uint64) (bool, error) {
	name := j.path(num)
	f, err := j.fs.Open(name)
	if err != nil {
		return false, fmt.Errorf("journal: open %s: %w", name, err)
	}
	defer f.Close()
	var b [HeaderSize]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("journal: read header of %s: %w", name, err)
	}
	h, err := decodeHeader(name, b[:n])
	return err == nil && h.FileNum == num, nil
}

// create creates file 0 holding only a header, and the guard in the
// record framing (framing.go). They are written to a temporary file that
// is synced and then renamed, so file 0 never exists without them.
func (j *Journal[T, E]) create() error {
	name := j.path(0)
	tmp := name + tmpSuffix
	f, err := j.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("journal: create %s: %w", tmp, err)
	}
	fr, guard := newFraming(0, j.newFileLegacy(), j.codec)
	hdr := encodeHeader(Header{FileNum: 0})
	err = writeFull(f, append(hdr[:], guard...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: write %s: %w", tmp, err)
	}
	if err := j.fs.Rename(tmp, name); err != nil {
		return fmt.Errorf("journal: rename %s: %w", tmp, err)
	}
	if err := vfs.SyncDir(j.fs, j.dir); err != nil {
		return err
	}
	if f, err = j.fs.OpenForAppend(name); err != nil {
		return fmt.Errorf("journal: open %s: %w", name, err)
	}
	j.mu.file = f
	j.mu.framing = fr
	j.mu.pos, j.mu.startSize = fr.start, fr.start
	j.info.Created = true
	return nil
}

// replay rebuilds the state from file num, which has a valid header. After
// a torn tail it rotates at once: nothing is ever appended after garbage.
func (j *Journal[T, E]) replay(num uint64) error {
	torn, err := j.load(num)
	if err != nil {
		return err
	}
	if torn || j.mu.tentative {
		if err := j.rotateLocked(); err != nil {
			return err
		}
		if err := j.mu.err; err != nil {
			return err
		}
		j.info.Rotated = true
		return nil
	}
	name := j.path(num)
	f, err := j.fs.OpenForAppend(name)
	if err != nil {
		return fmt.Errorf("journal: open %s: %w", name, err)
	}
	j.mu.file = f
	return nil
}

// load applies the edits of file num to the state and records in j.info
// what it found. It reports whether the file ends in a torn tail.
func (j *Journal[T, E]) load(num uint64) (torn bool, err error) {
	name := j.path(num)
	data, err := readAll(j.fs, name)
	if err != nil {
		return false, err
	}
	_, fr, res, err := replayFile(name, data, j.codec, j.state.Apply)
	j.info.FileNum, j.info.Edits = num, res.edits
	if err != nil {
		return false, err
	}
	j.mu.fileNum, j.mu.framing = num, fr
	j.mu.pos, j.mu.startSize = res.end, res.end
	if res.torn {
		j.info.TornTail, j.info.TornOffset, j.info.TornReason = true, res.end, res.reason
	}
	return res.torn, nil
}

// Append makes e durable and applies it: Check, frame, write at the end of
// the current file, fsync, Apply, then rotate if the file has grown enough.
//
// If Check fails, its error is returned and nothing is written. If the
// write or the fsync fails, the state is unchanged and the journal is
// failed: this and every later Append return the same error, which matches
// base.ErrReadOnly (after a failed fsync the file's contents are unknown,
// so nothing more may be appended to it).
//
// A rotation triggered by Append does not affect its result: the edit is
// durable and applied. A rotation that fails before its new file could have
// become valid is retried by the next Append; one that fails later fails
// the journal (the next Append reports it).
func (j *Journal[T, E]) Append(e E) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usableLocked(); err != nil {
		return err
	}
	if err := j.state.Check(e); err != nil {
		return err
	}
	frame, err := j.frameLocked(e)
	if err != nil {
		return err
	}
	if err := writeFull(j.mu.file, frame); err != nil {
		return j.failLocked(fmt.Errorf("write %s: %w", j.path(j.mu.fileNum), err))
	}
	if err := j.mu.file.Sync(); err != nil {
		return j.failLocked(fmt.Errorf("sync %s: %w", j.path(j.mu.fileNum), err))
	}
	j.mu.pos += int64(len(frame))
	if err := j.state.Apply(e); err != nil {
		// Check promised success: the state no longer matches the file.
		return j.failLocked(fmt.Errorf("edit written to %s but Apply failed after Check passed: %w", j.path(j.mu.fileNum), err))
	}
	if uint64(j.mu.pos) >= j.cfg.rotateAt(j.mu.startSize) {
		_ = j.rotateLocked()
	}
	return nil
}

// frameLocked encodes e as a frame of the current file, to be written at
// its end, in the scratch buffer.
func (j *Journal[T, E]) frameLocked(e E) ([]byte, error) {
	frame, err := frameEdit(j.mu.buf[:0], j.mu.framing, j.mu.pos, j.codec, e)
	j.mu.buf = frame
	return frame, err
}

// newFileLegacy reports whether a file the journal creates now is in the
// legacy framing: the state's choice if it makes one (FramingChooser),
// Config.Legacy otherwise.
func (j *Journal[T, E]) newFileLegacy() bool {
	if c, ok := any(j.state).(FramingChooser); ok {
		if legacy, known := c.LegacyFraming(); known {
			return legacy
		}
	}
	return j.cfg.Legacy
}

// checkBodySize reports whether an encoded edit of n bytes can be framed.
func checkBodySize(n int) error {
	if n <= 0 {
		return base.InvalidArgumentf("journal: edit encodes to zero bytes")
	}
	if uint64(n) > MaxEditSize {
		return base.InvalidArgumentf("journal: edit of %d bytes exceeds the %d byte limit", n, uint64(MaxEditSize))
	}
	return nil
}

// usableLocked returns why the journal cannot take appends, if it cannot.
func (j *Journal[T, E]) usableLocked() error {
	switch {
	case j.mu.closed:
		return fmt.Errorf("journal %s: %w", j.prefix, base.ErrClosed)
	case j.readOnly:
		return fmt.Errorf("journal %s: %w: opened with OpenReadOnly", j.prefix, base.ErrReadOnly)
	}
	return j.mu.err
}

// failLocked makes err the sticky error and returns it.
func (j *Journal[T, E]) failLocked(err error) error {
	j.mu.err = base.MarkReadOnly(fmt.Errorf("journal: %w", err))
	return j.mu.err
}

// Data returns the current state. The caller must not mutate it. Append
// mutates it in place, so a caller that reads it while another goroutine
// may be appending must read it inside View.
func (j *Journal[T, E]) Data() T { return j.state }

// View calls fn with the state while holding the journal's mutex, so no
// Append runs concurrently. fn must not mutate the state or call back into
// the journal.
func (j *Journal[T, E]) View(fn func(T)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fn(j.state)
}

// FileNum returns the number of the current journal file.
func (j *Journal[T, E]) FileNum() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.mu.fileNum
}

// Path returns the path of the current journal file.
func (j *Journal[T, E]) Path() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.path(j.mu.fileNum)
}

// Size returns the size of the current journal file.
func (j *Journal[T, E]) Size() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.mu.pos
}

// Err returns the sticky error, or nil while the journal is usable.
func (j *Journal[T, E]) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.mu.err
}

// ReplayInfo reports what Open found.
func (j *Journal[T, E]) ReplayInfo() ReplayInfo { return j.info }

// Close closes the current file. The journal cannot be used afterwards.
func (j *Journal[T, E]) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.mu.closed {
		return fmt.Errorf("journal %s: %w", j.prefix, base.ErrClosed)
	}
	j.mu.closed = true
	if j.mu.file == nil {
		return nil
	}
	err := j.mu.file.Close()
	j.mu.file = nil
	return err
}

// closeFile closes the current file, if any, ignoring errors. It is used
// when Open fails.
func (j *Journal[T, E]) closeFile() {
	if j.mu.file != nil {
		_ = j.mu.file.Close()
		j.mu.file = nil
	}
}

// writeFull writes all of p to f.
func writeFull(f vfs.File, p []byte) error {
	n, err := f.Write(p)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// readAll reads the whole file name (vfs.ReadFile).
func readAll(fs vfs.FS, name string) ([]byte, error) {
	data, err := vfs.ReadFile(fs, name)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return data, nil
}
