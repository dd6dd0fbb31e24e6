package tool

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The picture tests open the HTML pages in Debian's chromium, headless;
// scripts/install-chromium.sh installs it. Where it cannot be had they
// skip, saying so.

// chromiumPath returns the browser to render pages with, or skips t.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (scripts/install-chromium.sh installs Debian's; it failed or was not run): the HTML pages are not rendered")
	return ""
}

// renderedPage is a page as headless Chromium drew it.
type renderedPage struct {
	DOM  string      // the DOM after the page's scripts ran
	Shot image.Image // a screenshot of the whole page, 1 CSS pixel = 1 pixel
	// Load is the wall time of the headless run that dumped the DOM:
	// starting the browser, loading the page, drawing the charts.
	Load time.Duration
	// RenderMs is what the page measured: its charts' drawing, in ms.
	RenderMs float64
}

const pictureWidth = 1000

// renderPage opens the page at path in headless Chromium: once to dump
// the DOM (and the page's height), once to take a screenshot of it all.
func renderPage(t *testing.T, path string) renderedPage {
	t.Helper()
	browser := chromiumPath(t)
	start := time.Now()
	dom := runChromium(t, browser, "--dump-dom", "file://"+path)
	page := renderedPage{DOM: dom, Load: time.Since(start)}
	body := tagAttrs(dom, "data-render-ms")
	if len(body) != 1 {
		t.Fatalf("the page's script did not finish: no body data-render-ms in the DOM (%d bytes)", len(dom))
	}
	page.RenderMs = attrFloat(t, body[0], "data-render-ms")
	height := int(attrFloat(t, body[0], "data-height"))
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, browser, "--screenshot="+shot, "--window-size="+strconv.Itoa(pictureWidth)+","+strconv.Itoa(height), "file://"+path)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if page.Shot, err = png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	savePicture(t, filepath.Base(path), b)
	return page
}

func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--no-first-run", "--user-data-dir=" + t.TempDir(), "--virtual-time-budget=10000",
		"--window-size=" + strconv.Itoa(pictureWidth) + ",800"}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// savePicture writes the screenshot png, named after the page, into
// $TEMPEST_PICTURES_OUT when it is set (docs/img keeps the pictures the
// docs show).
func savePicture(t *testing.T, page string, png []byte) {
	dir := os.Getenv("TEMPEST_PICTURES_OUT")
	if dir == "" {
		return
	}
	name := strings.TrimSuffix(page, filepath.Ext(page)) + ".png"
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", filepath.Join(dir, name))
}

var (
	startTagRE = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	attrRE     = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
)

// tagAttrs returns the attributes of every start tag in dom that has the
// attribute name.
func tagAttrs(dom, name string) []map[string]string {
	var out []map[string]string
	for _, tag := range startTagRE.FindAllString(dom, -1) {
		if !strings.Contains(tag, " "+name+"=") {
			continue
		}
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = unescapeAttr(m[2])
		}
		out = append(out, attrs)
	}
	return out
}

func unescapeAttr(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'").Replace(s)
}

func attrFloat(t *testing.T, attrs map[string]string, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(attrs[name], 64)
	if err != nil {
		t.Fatalf("attribute %s of %v: %v", name, attrs, err)
	}
	return v
}

// attrFloats parses a comma-separated attribute of numbers.
func attrFloats(t *testing.T, attrs map[string]string, name string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Split(attrs[name], ",") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("attribute %s of %v: %v", name, attrs, err)
		}
		out = append(out, v)
	}
	return out
}

// inked reports whether the pixel is drawn in color: not white and not
// one of the greys of the grid, axes and text.
func inked(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	hi, lo := max(r, g, b), min(r, g, b)
	return hi-lo > 0x3000
}

// inkedNear reports whether a colored pixel lies within radius of (x, y).
func inkedNear(img image.Image, x, y, radius int) bool {
	for dy := -radius; dy <= radius; dy++ {
		for dx := -radius; dx <= radius; dx++ {
			if inked(img, x+dx, y+dy) {
				return true
			}
		}
	}
	return false
}

// inkedIn counts the colored pixels of the area "left,top,width,height".
func inkedIn(t *testing.T, img image.Image, attrs map[string]string) int {
	t.Helper()
	a := attrFloats(t, attrs, "data-area")
	if len(a) != 4 || a[2] < 50 || a[3] < 50 {
		t.Fatalf("area %v of %v: want left,top,width,height of a drawn chart", a, attrs)
	}
	n := 0
	for y := int(a[1]); y < int(a[1]+a[3]); y++ {
		for x := int(a[0]); x < int(a[0]+a[2]); x++ {
			if inked(img, x, y) {
				n++
			}
		}
	}
	return n
}

// checkDrawn checks that every chart and picture of the page has colored
// pixels in its area, and every tagged series a colored pixel at its
// first and last plotted points; it returns the series by tag.
func checkDrawn(t *testing.T, page renderedPage) map[string]map[string]string {
	t.Helper()
	areas := append(tagAttrs(page.DOM, "data-chart"), tagAttrs(page.DOM, "data-picture")...)
	for _, a := range tagAttrs(page.DOM, "data-error") {
		t.Errorf("chart %s could not be drawn: %s", a["data-chart"], a["data-error"])
	}
	for _, a := range areas {
		if n := inkedIn(t, page.Shot, a); n < 100 {
			t.Errorf("chart %s%s: %d colored pixels in its area: not drawn", a["data-chart"], a["data-picture"], n)
		}
	}
	series := map[string]map[string]string{}
	for _, s := range tagAttrs(page.DOM, "data-series") {
		series[s["data-series"]] = s
		for _, end := range []string{"data-first", "data-last"} {
			if s[end] == "" {
				continue // a series with no point
			}
			p := attrFloats(t, s, end)
			if !inkedNear(page.Shot, int(p[2]), int(p[3]), 3) {
				t.Errorf("series %s: nothing drawn at its %s point %v", s["data-series"], end, p)
			}
		}
	}
	return series
}
