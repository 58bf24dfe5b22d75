package stats

import (
	"math"
	"slices"
	"testing"
)

func TestQuantile(t *testing.T) {
	t.Parallel()
	nine := []float64{9, 1, 8, 2, 7, 3, 6, 4, 5}
	for _, c := range []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"none", nil, 0.5, 0},
		{"one value, any q", []float64{4}, 0.25, 4},
		{"min", nine, 0, 1},
		{"max", nine, 1, 9},
		{"median of nine", nine, 0.5, 5},
		{"Q1 of nine falls on the third value", nine, 0.25, 3},
		{"Q3 of nine falls on the seventh value", nine, 0.75, 7},
		{"median of an even count is the mean of the middle two", []float64{4, 1, 3, 2}, 0.5, 2.5},
		{"Q1 of four interpolates", []float64{10, 20, 30, 40}, 0.25, 17.5},
		{"Q3 of two interpolates", []float64{0, 8}, 0.75, 6},
		{"q below 0 is the min", nine, -1, 1},
		{"q above 1 is the max", nine, 2, 9},
	} {
		in := slices.Clone(c.xs)
		if got := Quantile(c.xs, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: Quantile(%v, %v) = %v, want %v", c.name, c.xs, c.q, got, c.want)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("%s: Quantile reordered its input: %v", c.name, c.xs)
		}
	}
}

func TestSpreadOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		xs   []float64
		want Spread
	}{
		{"none", nil, Spread{}},
		{"one round", []float64{0.97}, Spread{Median: 0.97, Q1: 0.97, Q3: 0.97, Min: 0.97, Max: 0.97, Rounds: 1}},
		{"nine rounds", []float64{1.03, 0.99, 1.21, 0.89, 1.16, 0.89, 1.09, 1.00, 0.95},
			Spread{Median: 1.00, Q1: 0.95, Q3: 1.09, Min: 0.89, Max: 1.21, Rounds: 9}},
		{"two rounds", []float64{2, 1}, Spread{Median: 1.5, Q1: 1.25, Q3: 1.75, Min: 1, Max: 2, Rounds: 2}},
	} {
		in := slices.Clone(c.xs)
		if got := SpreadOf(c.xs); got != c.want {
			t.Errorf("%s: SpreadOf(%v) = %+v, want %+v", c.name, c.xs, got, c.want)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("%s: SpreadOf reordered its input: %v", c.name, c.xs)
		}
	}
}

func TestSpreadFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		s    Spread
		num  func(float64) string
		want string
	}{
		{"no rounds", Spread{}, Fixed(2), "—"},
		{"one round is its value", SpreadOf([]float64{1.234}), Fixed(2), "1.23"},
		{"ratios", SpreadOf([]float64{1.03, 0.99, 1.21, 0.89, 1.16}), Fixed(2), "1.03 [0.99–1.16] (0.89–1.21)"},
		{"throughput with separators", SpreadOf([]float64{15562, 14967, 16001}), Thousands, "15,562 [15,265–15,782] (14,967–16,001)"},
	} {
		if got := c.s.Format(c.num); got != c.want {
			t.Errorf("%s: Format = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCompact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0.84, "0.8"}, {27.66, "27.7"}, {99.94, "99.9"}, {99.96, "100"}, {483.7, "484"}, {22397.2, "22,397"},
	} {
		if got := Compact(c.x); got != c.want {
			t.Errorf("Compact(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}
