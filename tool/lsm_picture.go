package tool

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/charts"
	"github.com/tempestdb/tempest/internal/manifest"
)

// levelColors are the colors of L0 to L6, in the charts and the pictures.
var levelColors = [manifest.NumLevels]string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"}

// writeLSMPage writes the HTML page of h: the tree after the last edit,
// the levels over the edits (or over time), every flush and compaction,
// and the write amplification so far.
func writeLSMPage(w io.Writer, dir string, h *lsmHistory) error {
	wa := 0.0
	if n := len(h.WriteAmp); n > 0 {
		wa = h.WriteAmp[n-1]
	}
	at, over, since := "at its edit number", "Levels over the edits", "from edit 0 on"
	if h.Timed {
		at, over, since = "at its time", "Levels over time", "from the first edit the history keeps on"
	}
	p := charts.Page{
		Title:    "LSM tree of " + dir,
		Subtitle: lsmNote(h),
		Sections: []charts.Section{
			{Title: "The tree after the last edit", Text: []string{
				"One row per level (L0's overlapping files in sub-rows), each file a box spanning its key range, the keys placed in order of the files' bounds. Hover a file for its key range, sequence numbers and size."},
				HTML: lsmTreeSVG(h)},
			{Title: over, Text: levelsNote(h), Charts: lsmLevelCharts(h)},
			{Title: "Flushes and compactions", Text: []string{
				"Every edit that changed tables, " + at + ": a line from the level of its inputs (mem: the memtable) to the level of its outputs. Blue: flush, red: compaction, grey: move (files re-linked one level down, nothing written), green: ingest, orange: delete-only compaction. Hover a line for its files and bytes."},
				HTML: lsmSpansSVG(h)},
			{Title: "Write amplification so far", Text: []string{fmt.Sprintf(
				"Bytes of all tables written (flushed, ingested, compacted) divided by the bytes flushed and ingested, %s; after the last edit: %.2f.", since, wa)},
				Charts: []charts.Chart{lsmWriteAmpChart(h)}},
		},
	}
	return p.WriteHTML(w)
}

// lsmNote says what the page covers and what its x-axis is.
func lsmNote(h *lsmHistory) string {
	var note string
	if h.Timed {
		note = fmt.Sprintf("%s is the manifest file in use (%d edits). Edits carry the wall time they were recorded at (format version 7 on): the x-axis of the charts and of the spans is that time, in UTC. "+
			"The manifest keeps the last %d edits that changed tables, across rotations (each new file's snapshot carries them): %d are drawn, %s.",
			h.File, h.Edits, manifest.HistoryLimit, len(h.Events), timeRange(h))
		if h.Untimed > 0 {
			note += fmt.Sprintf(" The file's first %d edits, written before the database reached format version 7, carry no time and are left out.", h.Untimed)
		}
	} else {
		note = fmt.Sprintf("%s holds %d edits: it is the manifest file in use, which a rotation starts anew from a snapshot of the tree (edit 0), so older edits are gone. Edits carry no time (format version below 7): the x-axis is the edit number.", h.File, h.Edits)
	}
	if h.TornTail {
		note += " The file ends in a torn edit (an append in progress, or a crash), left out."
	}
	return note
}

// timeRange names the times of the first and last points of a timed h.
func timeRange(h *lsmHistory) string {
	if len(h.Events) == 0 {
		return "none yet"
	}
	return "from " + utcTime(h.Events[0].Time) + " to " + utcTime(h.Events[len(h.Events)-1].Time)
}

// utcTime prints a time in Unix nanoseconds as the charts do.
func utcTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000") + " UTC"
}

// xAxis returns the label and format of the charts' x-axis.
func xAxis(h *lsmHistory) (string, charts.Format) {
	if h.Timed {
		return "time (UTC)", charts.Time
	}
	return "edit", charts.Number
}

// lsmLevelCharts returns the file count and the bytes per level at each
// point; levels that were never used are left out.
func lsmLevelCharts(h *lsmHistory) []charts.Chart {
	label, format := xAxis(h)
	files := charts.Chart{ID: "level-files", Title: "Files per level", XLabel: label, XFormat: format, YLabel: "files", Kind: charts.Steps}
	bytes := charts.Chart{ID: "level-bytes", Title: "Bytes per level", XLabel: label, XFormat: format, YLabel: "bytes", YFormat: charts.Bytes, Kind: charts.Steps}
	for l := range manifest.NumLevels {
		if !anyPositive(h.Files[l]) {
			continue
		}
		name := fmt.Sprintf("L%d", l)
		files.Series = append(files.Series, charts.Series{Tag: "files/" + name, Label: name, Color: levelColors[l], X: h.X, Y: h.Files[l]})
		bytes.Series = append(bytes.Series, charts.Series{Tag: "bytes/" + name, Label: name, Color: levelColors[l], X: h.X, Y: h.Bytes[l]})
	}
	if len(files.Series) == 0 {
		return nil
	}
	return []charts.Chart{files, bytes}
}

func levelsNote(h *lsmHistory) []string {
	if lsmLevelCharts(h) == nil {
		if h.Timed {
			return []string{"No edit the history keeps left a table live."}
		}
		return []string{"No table was live at any edit."}
	}
	return nil
}

func lsmWriteAmpChart(h *lsmHistory) charts.Chart {
	label, format := xAxis(h)
	return charts.Chart{ID: "write-amp", Title: "Write amplification", XLabel: label, XFormat: format, YLabel: "written ÷ flushed", Kind: charts.Lines,
		Series: []charts.Series{{Tag: "write-amp", Label: "write amplification", X: h.X, Y: h.WriteAmp}}}
}

func anyPositive(vs []float64) bool {
	for _, v := range vs {
		if v > 0 {
			return true
		}
	}
	return false
}

// svgText escapes s for SVG markup.
func svgText(s string) string { return template.HTMLEscapeString(s) }

// svgDoc wraps the elements of body in an svg element of the given size,
// tagged data-picture=name.
func svgDoc(name string, width, height int, body string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="lsm" data-picture="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`,
		name, width, height, width, height)
	b.WriteString(body)
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// writeLSMPicture writes the page of the database in dir to out.
func writeLSMPicture(dir, out string) error {
	h, err := readLSMHistory(dir)
	if err != nil {
		return err
	}
	return writeHTMLFile(out, func(b *bytes.Buffer) error { return writeLSMPage(b, dir, h) })
}
