package manifest

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/tempestdb/tempest/internal/base"
)

// minHistoryEntryLen is the fewest bytes an encoded history entry takes:
// a byte for each uvarint, kind, from and to.
const minHistoryEntryLen = 1 + 3 + 5 + 2*NumLevels

// appendTime appends tags 69 and 70.
func (e *Edit) appendTime(dst []byte) []byte {
	if e.Time != 0 {
		dst = binary.AppendUvarint(dst, tagEditTime)
		dst = binary.AppendUvarint(dst, 8)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.Time))
	}
	if len(e.History) > 0 {
		b := appendHistory(nil, e.History)
		dst = binary.AppendUvarint(dst, tagHistory)
		dst = appendBytes(dst, b)
	}
	return dst
}

// appendHistory appends the value of tag 70: the entry count, then each
// entry. An entry's time is the difference from the previous entry's
// (the first's, from 0); a time before the previous one is written as
// equal to it (the manifest never records one).
func appendHistory(dst []byte, h []HistoryEntry) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(h)))
	var prev int64
	for i := range h {
		x := &h[i]
		t := max(x.Time, prev)
		dst = binary.AppendUvarint(dst, uint64(t-prev))
		prev = t
		dst = append(dst, byte(x.Kind), byte(x.From+1), byte(x.To+1))
		for _, v := range [...]uint64{x.InFiles, x.OutFiles, x.InBytes, x.OutBytes, x.Written} {
			dst = binary.AppendUvarint(dst, v)
		}
		for _, l := range x.Levels {
			dst = binary.AppendUvarint(dst, l.Files)
			dst = binary.AppendUvarint(dst, l.Bytes)
		}
	}
	return dst
}

// editTime decodes the value of tag 69 into e: uvarint length >= 8, then
// the time as u64, from 1 to the largest int64; bytes after it are
// reserved and skipped.
func (d *editDecoder) editTime(e *Edit, tagOff int, seen *bool) {
	if *seen {
		d.off = tagOff
		d.fail("edit time repeated")
		return
	}
	*seen = true
	v := d.bytes("edit time")
	switch {
	case d.err != nil:
	case len(v) < 8:
		d.off = tagOff
		d.fail("edit time of %d bytes, want at least 8", len(v))
	default:
		t := binary.LittleEndian.Uint64(v)
		if t == 0 || t > math.MaxInt64 {
			d.off = tagOff
			d.fail("edit time %d out of range [1, %d]", t, int64(math.MaxInt64))
			return
		}
		e.Time = int64(t)
	}
}

// history decodes the value of tag 70 into e. It checks the count
// against the bytes before allocating, every kind and level, and that
// the times fit an int64.
func (d *editDecoder) history(e *Edit, tagOff int, seen *bool) {
	if *seen {
		d.off = tagOff
		d.fail("history repeated")
		return
	}
	*seen = true
	v := d.bytes("history")
	if d.err != nil {
		return
	}
	h := &editDecoder{b: v}
	n := h.uvarint("history length")
	if h.err == nil && n > uint64(len(v))/minHistoryEntryLen {
		h.fail("history of %d entries in %d bytes", n, len(v))
	}
	var entries []HistoryEntry
	var t uint64
	for i := uint64(0); i < n && h.err == nil; i++ {
		x := h.historyEntry(&t)
		entries = append(entries, x)
	}
	if h.err == nil && h.off != len(v) {
		h.fail("%d bytes after the history", len(v)-h.off)
	}
	var ce *base.CorruptionError
	if errors.As(h.err, &ce) {
		d.off = tagOff
		d.fail("history, at byte %d of its value: %s", ce.Offset, ce.Reason)
		return
	}
	e.History = entries
}

// historyEntry decodes one entry; t is the previous entry's time.
func (d *editDecoder) historyEntry(t *uint64) HistoryEntry {
	var x HistoryEntry
	dt := d.uvarint("history time")
	if d.err == nil && dt > math.MaxInt64-*t {
		d.fail("history time past the largest int64")
	}
	*t += dt
	x.Time = int64(*t)
	x.Kind = EventKind(d.u8("history kind"))
	x.From = int(d.u8("history from level")) - 1
	x.To = int(d.u8("history to level")) - 1
	if d.err == nil && (!x.Kind.valid() || x.From >= NumLevels || x.To < 0 || x.To >= NumLevels) {
		d.fail("history entry kind %d from %d to %d", x.Kind, x.From, x.To)
	}
	for _, p := range [...]*uint64{&x.InFiles, &x.OutFiles, &x.InBytes, &x.OutBytes, &x.Written} {
		*p = d.uvarint("history count")
	}
	for l := range x.Levels {
		x.Levels[l].Files = d.uvarint("history level files")
		x.Levels[l].Bytes = d.uvarint("history level bytes")
	}
	return x
}
