package charts

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
)

//go:embed uplot/uPlot.iife.min.js
var uplotJS string

//go:embed uplot/uPlot.min.css
var uplotCSS string

//go:embed runtime.js
var runtimeJS string

//go:embed page.css
var pageCSS string

// Page is one HTML page: a title and sections of text, markup and charts.
type Page struct {
	Title    string
	Subtitle string
	Sections []Section
}

// Section is a heading, paragraphs, trusted markup built by the caller
// (an SVG picture, a table), then charts.
type Section struct {
	Title  string
	Text   []string
	HTML   template.HTML
	Charts []Chart
}

// chartSpec is what the page's script reads of a chart.
type chartSpec struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	XLabel     string          `json:"xLabel"`
	YLabel     string          `json:"yLabel"`
	XFormat    Format          `json:"xFormat"`
	YFormat    Format          `json:"yFormat"`
	XLog       bool            `json:"xLog"`
	YLog       bool            `json:"yLog"`
	Kind       Kind            `json:"kind"`
	Categories []string        `json:"categories,omitempty"`
	Series     []seriesSpec    `json:"series"`
	Data       json.RawMessage `json:"data"`
}

type seriesSpec struct {
	Tag   string `json:"tag"`
	Label string `json:"label"`
	Color string `json:"color,omitempty"`
	Dash  bool   `json:"dash,omitempty"`
}

// WriteHTML writes p as one self-contained HTML document.
func (p *Page) WriteHTML(w io.Writer) error {
	var specs []chartSpec
	ids := map[string]bool{}
	tags := map[string]bool{}
	for _, sec := range p.Sections {
		for i := range sec.Charts {
			c := &sec.Charts[i]
			if err := c.check(); err != nil {
				return err
			}
			if ids[c.ID] {
				return fmt.Errorf("charts: two charts with the ID %q", c.ID)
			}
			ids[c.ID] = true
			spec := chartSpec{ID: c.ID, Title: c.Title, XLabel: c.XLabel, YLabel: c.YLabel, XFormat: c.XFormat,
				YFormat: c.YFormat, XLog: c.XLog, YLog: c.YLog, Kind: c.Kind, Categories: c.Categories, Data: c.data()}
			for _, s := range c.Series {
				if tags[s.Tag] {
					return fmt.Errorf("charts: two series tagged %q", s.Tag)
				}
				tags[s.Tag] = true
				spec.Series = append(spec.Series, seriesSpec{Tag: s.Tag, Label: s.Label, Color: s.Color, Dash: s.Dash})
			}
			specs = append(specs, spec)
		}
	}
	data, err := json.Marshal(specs)
	if err != nil {
		return err
	}
	return pageTemplate.Execute(w, map[string]any{
		"Page": p, "UplotJS": template.JS(uplotJS), "RuntimeJS": template.JS(runtimeJS),
		"CSS": template.CSS(uplotCSS + pageCSS), "Data": template.JS(data),
	})
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Page.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Page.Title}}</h1>
{{with .Page.Subtitle}}<p class="subtitle">{{.}}</p>{{end}}
{{range .Page.Sections}}<section>
<h2>{{.Title}}</h2>
{{range .Text}}<p>{{.}}</p>
{{end}}{{.HTML}}
{{range .Charts}}<div class="chart" id="{{.ID}}" data-chart="{{.ID}}"></div>
{{end}}</section>
{{end}}<script>{{.UplotJS}}</script>
<script id="chart-data" type="application/json">{{.Data}}</script>
<script>{{.RuntimeJS}}</script>
</body>
</html>
`))
