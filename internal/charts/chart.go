package charts

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Kind is how a chart draws its series.
type Kind string

const (
	// Lines joins each series' points.
	Lines Kind = "lines"
	// Steps holds each value until the next point: a count that changes
	// at events.
	Steps Kind = "steps"
	// Bars draws a bar per point; X holds category indexes and Categories
	// their labels.
	Bars Kind = "bars"
)

// Format is how an axis labels its values.
type Format string

const (
	// Number prints plain numbers.
	Number Format = ""
	// Bytes prints binary sizes: 1.5 MiB.
	Bytes Format = "bytes"
	// Nanos prints durations given in nanoseconds: 12.5 µs.
	Nanos Format = "ns"
	// Percentile prints an x of 1/(1-q) as the percentile q: 99.9%. Use
	// it with a log scale (PercentileX makes such an x).
	Percentile Format = "percentile"
	// Time, for the x axis, is a time scale: x values are Unix seconds
	// (UnixSeconds makes one), printed as dates and times in UTC.
	Time Format = "time"
)

// UnixSeconds returns the x of a Time axis for a time in Unix
// nanoseconds.
func UnixSeconds(ns int64) float64 { return float64(ns) / 1e9 }

// Chart is one chart: series drawn against one x axis.
type Chart struct {
	// ID names the chart's element; unique within a page.
	ID             string
	Title          string
	XLabel, YLabel string
	XFormat        Format
	YFormat        Format
	XLog, YLog     bool
	Kind           Kind
	// Categories label the x values 0, 1, ... of a Bars chart.
	Categories []string
	Series     []Series
}

// Series is one line (or set of bars) of a chart.
type Series struct {
	// Tag identifies the series in the DOM (data-series), e.g.
	// "tempest/fillrandom"; unique within a page.
	Tag   string
	Label string
	// Color is a CSS color; empty picks one from the palette.
	Color string
	// Dash draws the series dashed (a reference line).
	Dash bool
	// X and Y are the points, of equal length, X ascending. NaN and
	// infinite values are left out.
	X, Y []float64
}

// PercentileX maps the percentile q (0 to 100, below 100) to the x of a
// percentile plot: 1/(1-q/100), so that 90%, 99%, 99.9% are equally
// spaced on a log scale.
func PercentileX(q float64) float64 { return 1 / (1 - q/100) }

// check reports the first inconsistency of c.
func (c *Chart) check() error {
	if c.ID == "" {
		return fmt.Errorf("charts: a chart without an ID (%q)", c.Title)
	}
	for _, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("charts: chart %s series %s: %d x values, %d y values", c.ID, s.Tag, len(s.X), len(s.Y))
		}
		if s.Tag == "" {
			return fmt.Errorf("charts: chart %s: a series without a tag", c.ID)
		}
	}
	return nil
}

// data returns c's series joined on the union of their x values, as
// uPlot takes them: [[x...], [y1...], ...], a missing y being null. Each
// row is written as JSON text, numbers in their shortest form.
func (c *Chart) data() []byte {
	var xs []float64
	for _, s := range c.Series {
		for _, x := range s.X {
			if finite(x) {
				xs = append(xs, x)
			}
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	b := []byte{'['}
	b = appendRow(b, xs)
	for _, s := range c.Series {
		b = append(b, ',')
		b = appendRow(b, alignY(xs, s))
	}
	return append(b, ']')
}

// alignY returns s's y value at each of xs, NaN where s has none.
func alignY(xs []float64, s Series) []float64 {
	ys := make([]float64, len(xs))
	for i := range ys {
		ys[i] = math.NaN()
	}
	for i, x := range s.X {
		if j, ok := slices.BinarySearch(xs, x); ok && finite(s.Y[i]) {
			ys[j] = s.Y[i]
		}
	}
	return ys
}

func appendRow(b []byte, vs []float64) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		if !finite(v) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']')
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
