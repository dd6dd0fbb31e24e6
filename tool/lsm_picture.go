package tool

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/tempestdb/tempest/internal/charts"
	"github.com/tempestdb/tempest/internal/manifest"
)

// levelColors are the colors of L0 to L6, in the charts and the pictures.
var levelColors = [manifest.NumLevels]string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"}

// writeLSMPage writes the HTML page of h: the tree after the last edit,
// the levels over the edits, every flush and compaction, and the write
// amplification so far.
func writeLSMPage(w io.Writer, dir string, h *lsmHistory) error {
	note := fmt.Sprintf("%s holds %d edits: it is the manifest file in use, which a rotation starts anew from a snapshot of the tree (edit 0), so older edits are gone. Edits carry no time: the x-axis is the edit number.", h.File, h.Edits)
	if h.TornTail {
		note += " The file ends in a torn edit (an append in progress, or a crash), left out."
	}
	wa := 0.0
	if n := len(h.WriteAmp); n > 0 {
		wa = h.WriteAmp[n-1]
	}
	p := charts.Page{
		Title:    "LSM tree of " + dir,
		Subtitle: note,
		Sections: []charts.Section{
			{Title: "The tree after the last edit", Text: []string{
				"One row per level (L0's overlapping files in sub-rows), each file a box spanning its key range, the keys placed in order of the files' bounds. Hover a file for its key range, sequence numbers and size."},
				HTML: lsmTreeSVG(h)},
			{Title: "Levels over the edits", Text: levelsNote(h), Charts: lsmLevelCharts(h)},
			{Title: "Flushes and compactions", Text: []string{
				"Every edit that changed tables, at its edit number: a line from the level of its inputs (mem: the memtable) to the level of its outputs. Blue: flush, red: compaction, grey: move (files re-linked one level down, nothing written), green: ingest, orange: delete-only compaction. Hover a line for its files and bytes."},
				HTML: lsmSpansSVG(h)},
			{Title: "Write amplification so far", Text: []string{fmt.Sprintf(
				"Bytes of all tables written (flushed, ingested, compacted) divided by the bytes flushed and ingested, from edit 0 on; after the last edit: %.2f.", wa)},
				Charts: []charts.Chart{lsmWriteAmpChart(h)}},
		},
	}
	return p.WriteHTML(w)
}

// lsmLevelCharts returns the file count and the bytes per level, over the
// edits; levels that were never used are left out.
func lsmLevelCharts(h *lsmHistory) []charts.Chart {
	files := charts.Chart{ID: "level-files", Title: "Files per level", XLabel: "edit", YLabel: "files", Kind: charts.Steps}
	bytes := charts.Chart{ID: "level-bytes", Title: "Bytes per level", XLabel: "edit", YLabel: "bytes", YFormat: charts.Bytes, Kind: charts.Steps}
	xs := editNumbers(h.Edits)
	for l := range manifest.NumLevels {
		if !anyPositive(h.Files[l]) {
			continue
		}
		name := fmt.Sprintf("L%d", l)
		files.Series = append(files.Series, charts.Series{Tag: "files/" + name, Label: name, Color: levelColors[l], X: xs, Y: h.Files[l]})
		bytes.Series = append(bytes.Series, charts.Series{Tag: "bytes/" + name, Label: name, Color: levelColors[l], X: xs, Y: h.Bytes[l]})
	}
	if len(files.Series) == 0 {
		return nil
	}
	return []charts.Chart{files, bytes}
}

func levelsNote(h *lsmHistory) []string {
	if lsmLevelCharts(h) == nil {
		return []string{"No table was live at any edit."}
	}
	return nil
}

func lsmWriteAmpChart(h *lsmHistory) charts.Chart {
	return charts.Chart{ID: "write-amp", Title: "Write amplification", XLabel: "edit", YLabel: "written ÷ flushed", Kind: charts.Lines,
		Series: []charts.Series{{Tag: "write-amp", Label: "write amplification", X: editNumbers(h.Edits), Y: h.WriteAmp}}}
}

func editNumbers(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
	}
	return xs
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
