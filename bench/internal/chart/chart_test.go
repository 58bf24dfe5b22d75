package chart

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestNiceCeiling(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ v, want float64 }{
		{0, 1}, {1, 1}, {7, 8}, {10451, 15000}, {58000, 60000}, {100000, 100000}, {100001, 150000},
	} {
		if got := niceCeiling(c.v); got != c.want {
			t.Errorf("niceCeiling(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestWriteBarChartSeries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, series := range [][]string{{"one"}, {"a", "b"}, {"a", "b", "c"}} {
		values := make([]float64, len(series))
		for i := range values {
			values[i] = float64(100 * (i + 1))
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.png", len(series)))
		if err := WriteBarChart(path, "title", series, "note", []BarGroup{{Label: "op", Values: values, Note: "1.00"}}); err != nil {
			t.Fatalf("%d series: %v", len(series), err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%d series: %v", len(series), err)
		}
		if want := headerH + len(series)*barH + groupGap + footerH; img.Bounds().Dy() != want {
			t.Errorf("%d series: height %d, want %d", len(series), img.Bounds().Dy(), want)
		}
	}
	if err := WriteBarChart(filepath.Join(dir, "bad.png"), "title", []string{"a", "b"}, "", []BarGroup{{Label: "op", Values: []float64{1}}}); err == nil {
		t.Error("a group with fewer values than series was drawn")
	}
}
