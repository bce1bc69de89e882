package compare

import (
	"math"
	"testing"
)

// logs builds positive values whose logs are exactly shift plus each offset.
func logs(shift float64, offsets ...float64) []float64 {
	out := make([]float64, len(offsets))
	for i, o := range offsets {
		out[i] = math.Exp(shift + o)
	}
	return out
}

// Welch's t on logs against Student's t table: with three values a side and
// equal spread (variance 0.01 of the logs) the test has 4 degrees of
// freedom, and a difference of t·√(2·0.01/3) has the two-sided p of the
// table's t (t₀.₉₇₅,₄ = 2.776445, t₀.₉₉₅,₄ = 4.604095, t₀.₉₉₉₅,₄ = 8.610302).
func TestWelchLogAgainstTheTable(t *testing.T) {
	t.Parallel()
	se := math.Sqrt(2 * 0.01 / 3)
	for _, tt := range []struct{ t, p float64 }{{2.776445, 0.05}, {4.604095, 0.01}, {8.610302, 0.001}, {0, 1}} {
		for _, sign := range []float64{1, -1} {
			base := logs(math.Log(40), -0.1, 0, 0.1)
			next := logs(math.Log(40)+sign*tt.t*se, -0.1, 0, 0.1)
			p, diff := welchLog(base, next)
			if math.Abs(p-tt.p) > 1e-5 || math.Abs(diff-sign*tt.t*se) > 1e-12 {
				t.Errorf("t=%v sign %v: p %.6f diff %.6f, want p %v diff %.6f", tt.t, sign, p, diff, tt.p, sign*tt.t*se)
			}
		}
	}
	// No spread on one side: the Welch-Satterthwaite degrees of freedom are
	// the other side's n-1, here 2, so t₀.₉₇₅,₂ = 4.302653 gives p = 0.05
	// (with 4 degrees of freedom it would give 0.0126).
	se = math.Sqrt(0.01 / 3)
	if p, _ := welchLog(logs(1, 0, 0, 0), logs(1+4.302653*se, -0.1, 0, 0.1)); math.Abs(p-0.05) > 1e-5 {
		t.Errorf("one side constant: p %.6f, want 0.05 (2 degrees of freedom)", p)
	}
	// A tenfold change with a few percent of spread: p far below any α.
	if p, diff := welchLog(logs(math.Log(42.25), -0.02, 0, 0.03), logs(math.Log(3.971), 0.01, -0.03, 0)); p > 1e-5 || diff > -2 {
		t.Errorf("10x slower: p %g diff %g", p, diff)
	}
	// No spread on either side: equal is p 1, different is p 0.
	if p, _ := welchLog([]float64{5, 5, 5}, []float64{5, 5}); p != 1 {
		t.Errorf("identical constants: p %v, want 1", p)
	}
	if p, _ := welchLog([]float64{5, 5, 5}, []float64{6, 6, 6}); p != 0 {
		t.Errorf("different constants: p %v, want 0", p)
	}
}

// The U test's smallest p is 2/C(n1+n2, n1): 0.1 at 3 and 3, which is the
// bug that made three repetitions a side unable to see anything at α 0.05.
func TestUMinP(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n1, n2 int
		want   float64
	}{{3, 3, 0.1}, {1, 1, 1}, {4, 4, 2.0 / 70}, {6, 6, 2.0 / 924}, {1, 99, 0.02}, {0, 5, 1}} {
		if got := uMinP(tt.n1, tt.n2); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("uMinP(%d, %d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
}

// The Poisson z test against the normal table: rates 10 and 12 from N
// counts each have z = 2√N/√244, so N = 1.959964²·61 gives p = 0.05; its
// smallest p with N counts is 2Φ(-√N): 0.0833 with 3, 0.0455 with 4.
func TestPoissonZAgainstTheTable(t *testing.T) {
	t.Parallel()
	n := 1.959963985 * 1.959963985 * 61
	if p := poissonZ(10, n, 12, n); math.Abs(p-0.05) > 1e-8 {
		t.Errorf("p %v, want 0.05", p)
	}
	if p := poissonZ(10, 5, 10, 7); p != 1 {
		t.Errorf("equal rates: p %v, want 1", p)
	}
	for _, tt := range []struct{ n1, n2, want float64 }{{3, 3, 0.083265}, {4, 1, 0.045500}, {1, 4, 0.045500}} {
		if got := poissonMinP(tt.n1, tt.n2); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("poissonMinP(%v, %v) = %.6f, want %.6f", tt.n1, tt.n2, got, tt.want)
		}
	}
}
