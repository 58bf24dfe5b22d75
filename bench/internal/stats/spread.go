package stats

import (
	"fmt"
	"slices"
)

// Quantile returns the q-th quantile (0 <= q <= 1) of xs, interpolating
// linearly between the two nearest order statistics (Hyndman and Fan's
// type 7, the default of R and NumPy), or 0 for none. With nine rounds the
// quartiles fall exactly on the third and seventh values. xs is not
// modified.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedQuantile(s, q)
}

// sortedQuantile is Quantile of sorted, which it does not copy.
func sortedQuantile(sorted []float64, q float64) float64 {
	q = min(max(q, 0), 1)
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// Spread is a number measured once per round, summarized: the median, the
// quartiles (half the rounds lie between Q1 and Q3) and the extremes.
type Spread struct {
	Median float64 `json:"median"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Rounds is how many values it summarizes.
	Rounds int `json:"rounds"`
}

// SpreadOf summarizes the per-round values xs; the zero Spread for none.
// xs is not modified.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Spread{
		Median: sortedQuantile(s, 0.5),
		Q1:     sortedQuantile(s, 0.25),
		Q3:     sortedQuantile(s, 0.75),
		Min:    s[0],
		Max:    s[len(s)-1],
		Rounds: len(s),
	}
}

// Format renders the spread as "median [Q1–Q3] (min–max)", each number
// formatted by num; a single round is its value alone, none is "—".
func (s Spread) Format(num func(float64) string) string {
	switch s.Rounds {
	case 0:
		return "—"
	case 1:
		return num(s.Median)
	}
	return fmt.Sprintf("%s [%s–%s] (%s–%s)", num(s.Median), num(s.Q1), num(s.Q3), num(s.Min), num(s.Max))
}

// Fixed returns a formatter of numbers with the given digits after the
// point, for Spread.Format.
func Fixed(digits int) func(float64) string {
	return func(x float64) string { return fmt.Sprintf("%.*f", digits, x) }
}

// Compact formats x with one decimal below 100, where the tenths matter
// (a cache hit's microseconds), and as Thousands from 100 on.
func Compact(x float64) string {
	if x < 99.95 {
		return fmt.Sprintf("%.1f", x)
	}
	return Thousands(x)
}
