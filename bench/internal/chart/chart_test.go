package chart

import "testing"

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
