// Package charts writes self-contained HTML pages of charts: the data as
// JSON, drawn in the browser by uPlot (github.com/leeoniya/uPlot, MIT,
// version 1.6.32, in uplot/), whose script and style the page carries
// inline, so that it opens offline from a file.
//
// Every series is tagged in the DOM for tests and tools: after a chart is
// drawn, its legend row carries data-series (the series' Tag) and
// data-first and data-last, each "x,y,px,py": the first and last plotted
// point's data values and its position in page pixels; the chart's
// element carries data-area, "left,top,width,height" of its plotting area
// in page pixels, as does every element of the caller's markup tagged
// data-picture. When every chart is drawn, the body carries
// data-render-ms (the time the charts took) and data-height (the page's
// height in pixels).
//
// The package reaches no file: it writes to an io.Writer.
package charts
