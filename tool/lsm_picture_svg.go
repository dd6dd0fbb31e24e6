package tool

import (
	"bytes"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/tempestdb/tempest/internal/manifest"
)

// The pictures' geometry, in pixels.
const (
	svgWidth   = 940
	svgLabelW  = 48
	svgRowH    = 22
	svgPlotW   = svgWidth - svgLabelW - 8
	keyDisplay = 40 // longest key shown in a title, in characters
)

// lsmTreeSVG draws the live files: one row per level, L0 split in
// sub-rows of files that do not overlap, each file a box from its
// smallest to its largest key, keys placed by rank among the files'
// bounds (so that the picture shows order, not distance).
func lsmTreeSVG(h *lsmHistory) template.HTML {
	files := make([]manifest.FileMetadata, 0, len(h.Live))
	for _, f := range h.Live {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b manifest.FileMetadata) int {
		if a.Level != b.Level {
			return a.Level - b.Level
		}
		return bytes.Compare(a.Smallest.UserKey, b.Smallest.UserKey)
	})
	pos := keyPositions(files)
	var b strings.Builder
	row := 0
	for l := range manifest.NumLevels {
		var level []manifest.FileMetadata
		for _, f := range files {
			if f.Level == l {
				level = append(level, f)
			}
		}
		rows := subRows(level)
		fmt.Fprintf(&b, `<text x="4" y="%d">L%d</text>`, row*svgRowH+15, l)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`, svgLabelW, (row+max(1, len(rows)))*svgRowH, svgWidth, (row+max(1, len(rows)))*svgRowH)
		for r, fs := range rows {
			for _, f := range fs {
				x0, x1 := pos(f.Smallest.UserKey), pos(f.Largest.UserKey)
				fmt.Fprintf(&b, `<rect class="file" data-file="%06d" data-level="%d" data-size="%d" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.75"><title>%s</title></rect>`,
					uint64(f.FileNum), l, f.Size, x0, (row+r)*svgRowH+3, max(x1-x0, 2), svgRowH-6, levelColors[l], svgText(fileTitle(f)))
			}
		}
		row += max(1, len(rows))
	}
	return svgDoc("tree", svgWidth, row*svgRowH+4, b.String())
}

// fileTitle is what hovering a file shows.
func fileTitle(f manifest.FileMetadata) string {
	return fmt.Sprintf("%06d  L%d  %s\nkeys [%s, %s]\nseqs [%d, %d]", uint64(f.FileNum), f.Level, humanBytes(int64(f.Size)),
		shortKey(f.Smallest.UserKey), shortKey(f.Largest.UserKey), uint64(f.SmallestSeq), uint64(f.LargestSeq))
}

func shortKey(k []byte) string {
	s := formatBytes(k, false)
	if len(s) > keyDisplay {
		s = s[:keyDisplay] + "…"
	}
	return s
}

// keyPositions returns the x of a key that bounds one of files: its rank
// among all the bounds, spread over the plot's width.
func keyPositions(files []manifest.FileMetadata) func([]byte) float64 {
	var keys [][]byte
	for _, f := range files {
		keys = append(keys, f.Smallest.UserKey, f.Largest.UserKey)
	}
	slices.SortFunc(keys, bytes.Compare)
	keys = slices.CompactFunc(keys, bytes.Equal)
	return func(k []byte) float64 {
		i, _ := slices.BinarySearchFunc(keys, k, bytes.Compare)
		if len(keys) < 2 {
			return svgLabelW
		}
		return svgLabelW + float64(i)*svgPlotW/float64(len(keys)-1)
	}
}

// subRows splits files, sorted by smallest key, into rows whose files do
// not overlap, each file in the first row it fits.
func subRows(files []manifest.FileMetadata) [][]manifest.FileMetadata {
	var rows [][]manifest.FileMetadata
	for _, f := range files {
		placed := false
		for r := range rows {
			last := rows[r][len(rows[r])-1]
			if bytes.Compare(last.Largest.UserKey, f.Smallest.UserKey) < 0 {
				rows[r] = append(rows[r], f)
				placed = true
				break
			}
		}
		if !placed {
			rows = append(rows, []manifest.FileMetadata{f})
		}
	}
	return rows
}

// spanColors are the colors of the kinds of event.
var spanColors = map[manifest.EventKind]string{
	manifest.EventFlush: "#1f77b4", manifest.EventCompaction: "#d62728", manifest.EventMove: "#999999",
	manifest.EventIngest: "#2ca02c", manifest.EventDeleteOnly: "#ff7f0e",
}

// lsmSpansSVG draws every event as a vertical line at its point (edit
// number or time) from the row of its inputs to the row of its outputs;
// rows are the memtable and L0 to L6. A span carries data-edit, its edit
// number, or data-time, its time in Unix nanoseconds.
func lsmSpansSVG(h *lsmHistory) template.HTML {
	var b strings.Builder
	rows := manifest.NumLevels + 1
	for r := range rows {
		name := "mem"
		if r > 0 {
			name = fmt.Sprintf("L%d", r-1)
		}
		fmt.Fprintf(&b, `<text x="4" y="%d">%s</text><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>`,
			r*svgRowH+15, name, svgLabelW, r*svgRowH+11, svgWidth, r*svgRowH+11)
	}
	lo, hi := spanRange(h)
	for _, ev := range h.Events {
		x := svgLabelW + (ev.X-lo)*svgPlotW/(hi-lo)
		y0, y1 := (ev.From+1)*svgRowH+11, (ev.To+1)*svgRowH+11
		if y0 == y1 {
			y0 -= 6
			y1 += 6
		}
		fmt.Fprintf(&b, `<line class="span" %s x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"><title>%s</title></line>`,
			spanPoint(h, ev), x, y0, x, y1, spanColors[ev.Kind], svgText(spanTitle(h, ev)))
	}
	first, last := fmt.Sprintf("edit %d", int(lo)), fmt.Sprintf("edit %d", int(hi))
	if h.Timed && len(h.Events) > 0 {
		first, last = utcTime(h.Events[0].Time), utcTime(h.Events[len(h.Events)-1].Time)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text>`,
		svgLabelW, rows*svgRowH+14, svgText(first), svgWidth, rows*svgRowH+14, svgText(last))
	return svgDoc("spans", svgWidth, rows*svgRowH+20, b.String())
}

// spanRange returns the x values at the left and right ends of the spans'
// picture: edit 0 to the last edit (at least 1), or the first to the last
// event's time (a second apart when they are equal).
func spanRange(h *lsmHistory) (lo, hi float64) {
	if !h.Timed {
		return 0, float64(max(h.Edits-1, 1))
	}
	if len(h.Events) == 0 {
		return 0, 1
	}
	lo, hi = h.Events[0].X, h.Events[len(h.Events)-1].X
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func spanPoint(h *lsmHistory, ev lsmEvent) string {
	if h.Timed {
		return fmt.Sprintf(`data-time="%d"`, ev.Time)
	}
	return fmt.Sprintf(`data-edit="%d"`, ev.Edit)
}

func spanTitle(h *lsmHistory, ev lsmEvent) string {
	from := "mem"
	if ev.From >= 0 {
		from = fmt.Sprintf("L%d", ev.From)
	}
	at := fmt.Sprintf("edit %d", ev.Edit)
	if h.Timed {
		at = utcTime(ev.Time)
	}
	return fmt.Sprintf("%s: %s %s→L%d\n%d files, %s in; %d files, %s out", at, ev.Kind, from, ev.To,
		ev.InFiles, humanBytes(int64(ev.InBytes)), ev.OutFiles, humanBytes(int64(ev.OutBytes)))
}
