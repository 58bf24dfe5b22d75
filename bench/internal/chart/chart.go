// Package chart draws the benchmarks' bar charts as PNG files with the standard
// library's image packages and a fixed bitmap font.
package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"github.com/luciapg/luciapg/bench/internal/stats"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// BarGroup is one operation in a bar chart: a bar per series (Values[i]
// is series i) and a note printed after them (the ratio).
type BarGroup struct {
	Label  string
	Values []float64
	Note   string
}

var (
	chartBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	chartText       = color.RGBA{0x20, 0x20, 0x20, 0xff}
	chartGrid       = color.RGBA{0xe0, 0xe0, 0xe0, 0xff}
	// One colour per series, in turn.
	chartSeries = []color.RGBA{{0x33, 0x66, 0xcc, 0xff}, {0xa0, 0xa0, 0xa0, 0xff}, {0xe0, 0x8a, 0x2c, 0xff}, {0x3c, 0xa0, 0x5a, 0xff}}
)

// Layout of the chart, in pixels.
const (
	chartWidth   = 1000
	labelWidth   = 200 // operation names, left of the bars
	noteWidth    = 130 // values and ratio, right of the bars
	headerH      = 60  // title and legend
	footerH      = 30  // axis labels
	barH         = 14
	groupGap     = 12
	textAscent   = 10
	gridSteps    = 5
	legendSwatch = 12
)

// WriteBarChart draws grouped horizontal bars, one per series in each
// group (one series or more), with the standard library's image packages
// and a fixed bitmap font, and writes a PNG. noteHeader heads the groups'
// notes ("Store / raw").
func WriteBarChart(path, title string, series []string, noteHeader string, groups []BarGroup) error {
	if len(series) == 0 {
		return fmt.Errorf("chart %s: no series", path)
	}
	for _, g := range groups {
		if len(g.Values) != len(series) {
			return fmt.Errorf("chart %s: group %q has %d values for %d series", path, g.Label, len(g.Values), len(series))
		}
	}
	groupH := len(series)*barH + groupGap
	height := headerH + len(groups)*groupH + footerH
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{chartBackground}, image.Point{}, draw.Src)

	maxValue := 0.0
	for _, g := range groups {
		for _, v := range g.Values {
			maxValue = max(maxValue, v)
		}
	}
	scaleMax := niceCeiling(maxValue)
	plotW := chartWidth - labelWidth - noteWidth
	x := func(v float64) int { return labelWidth + int(v/scaleMax*float64(plotW)) }

	text(img, 10, 20, title)
	for i, name := range series {
		lx := labelWidth + i*120
		fill(img, image.Rect(lx, 34, lx+legendSwatch, 34+legendSwatch), seriesColor(i))
		text(img, lx+legendSwatch+6, 34+textAscent, name)
	}
	text(img, chartWidth-noteWidth+40, 34+textAscent, noteHeader)
	plotTop, plotBottom := headerH, height-footerH
	for step := 0; step <= gridSteps; step++ {
		v := scaleMax * float64(step) / gridSteps
		gx := x(v)
		fill(img, image.Rect(gx, plotTop, gx+1, plotBottom), chartGrid)
		label := stats.Thousands(v)
		text(img, gx-len(label)*7/2, plotBottom+16, label)
	}
	for i, g := range groups {
		top := headerH + i*groupH
		middle := top + len(series)*barH/2 + textAscent/2
		text(img, 10, middle, g.Label)
		for s, v := range g.Values {
			y := top + s*barH
			fill(img, image.Rect(labelWidth, y+1, x(v), y+barH-1), seriesColor(s))
			text(img, x(v)+4, y+textAscent+1, stats.Thousands(v))
		}
		text(img, chartWidth-noteWidth+60, middle, g.Note)
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// seriesColor is series i's colour (the palette repeats past its end).
func seriesColor(i int) color.RGBA { return chartSeries[i%len(chartSeries)] }

func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

// text draws s with its baseline at y.
func text(img draw.Image, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(chartText), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// niceCeiling rounds v up to a round multiple of a power of ten, so that
// the axis has round numbers.
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
