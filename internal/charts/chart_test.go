package charts

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestChartData checks the join of series on the union of their x values,
// with null where a series has no point, and non-finite values left out.
func TestChartData(t *testing.T) {
	c := Chart{ID: "c", Series: []Series{
		{Tag: "a", X: []float64{1, 2, 3}, Y: []float64{10, math.NaN(), 30}},
		{Tag: "b", X: []float64{2, 4, math.Inf(1)}, Y: []float64{1e6, 0.25, 7}},
	}}
	got := string(c.data())
	want := `[[1,2,3,4],[10,null,30,null],[null,1e+06,null,0.25]]`
	if got != want {
		t.Errorf("data %s, want %s", got, want)
	}
	var v [][]*float64
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Errorf("data is not JSON: %v", err)
	}
}

// TestPageChecks checks that a page refuses what its script could not
// tell apart or draw: duplicate chart IDs or series tags, untagged
// series, x and y of different lengths.
func TestPageChecks(t *testing.T) {
	s := func(tag string) Series { return Series{Tag: tag, X: []float64{1}, Y: []float64{2}} }
	cases := map[string][]Chart{
		"two charts with the ID": {{ID: "a", Series: []Series{s("x")}}, {ID: "a", Series: []Series{s("y")}}},
		"two series tagged":      {{ID: "a", Series: []Series{s("x")}}, {ID: "b", Series: []Series{s("x")}}},
		"without a tag":          {{ID: "a", Series: []Series{s("")}}},
		"without an ID":          {{Series: []Series{s("x")}}},
		"1 x values, 2 y":        {{ID: "a", Series: []Series{{Tag: "x", X: []float64{1}, Y: []float64{1, 2}}}}},
	}
	for want, cs := range cases {
		p := Page{Sections: []Section{{Charts: cs}}}
		err := p.WriteHTML(&bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

// TestPageSelfContained checks that a page carries uPlot, its data and
// the caller's markup, that text is escaped, and that nothing in it
// refers to another file or ends a script early.
func TestPageSelfContained(t *testing.T) {
	p := Page{Title: "a <b> & c", Sections: []Section{{Title: "s", Text: []string{"</script><i>x"}, HTML: `<svg data-picture="p"></svg>`,
		Charts: []Chart{{ID: "c", Series: []Series{{Tag: "t</script>", Label: "l", X: []float64{1}, Y: []float64{2}}}}}}}}
	var b bytes.Buffer
	if err := p.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"https://github.com/leeoniya/uPlot (v1.6.32)", `<svg data-picture="p"></svg>`, "a &lt;b&gt; &amp; c", `"tag":"t\u003c/script\u003e"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	if n := strings.Count(page, "</script>"); n != 3 {
		t.Errorf("%d </script> in the page, want 3 (uPlot, the data, the runtime)", n)
	}
	for _, ref := range []string{"src=", "href=", "@import"} {
		if strings.Contains(page, ref) {
			t.Errorf("the page refers to another resource (%s)", ref)
		}
	}
}
