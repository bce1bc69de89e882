package compare

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// welchLog is Welch's two-sided t test on the logs of two sets of positive
// values (the runs' figures, one per repetition): p, and the difference of the
// means of the logs (new minus base), whose sign is the direction of change.
// Logs, because a run's figures are ratios of counts and times, whose spread
// grows with their size; the test then reads a ratio, as the delta does.
// Both sets need two values or more. When neither side varies, p is 1 for
// equal means and 0 otherwise.
func welchLog(base, new []float64) (p, diff float64) {
	m1, v1 := logMeanVar(base)
	m2, v2 := logMeanVar(new)
	n1, n2 := float64(len(base)), float64(len(new))
	diff = m2 - m1
	se1, se2 := v1/n1, v2/n2
	se := se1 + se2
	if se == 0 {
		if math.Abs(diff) <= 1e-12*math.Max(1, math.Max(math.Abs(m1), math.Abs(m2))) {
			return 1, 0
		}
		return 0, diff
	}
	t := math.Abs(diff) / math.Sqrt(se)
	// Welch–Satterthwaite degrees of freedom.
	df := se * se / (se1*se1/(n1-1) + se2*se2/(n2-1))
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(t), diff
}

// logMeanVar is the mean and the sample variance (n-1) of the logs, taken
// about the first so that equal values have exactly no variance.
func logMeanVar(xs []float64) (mean, variance float64) {
	l0 := math.Log(xs[0])
	var off float64
	for _, x := range xs {
		off += math.Log(x) - l0
	}
	off /= float64(len(xs))
	for _, x := range xs {
		d := math.Log(x) - l0 - off
		variance += d * d
	}
	return l0 + off, variance / float64(len(xs)-1)
}

// uMinP is the smallest two-sided p the Mann-Whitney U test can give with n1
// and n2 values (no ties): 2/C(n1+n2, n1). With 3 and 3 it is 0.1, so at
// α 0.05 no difference, however large, could be found.
func uMinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	lg := func(n int) float64 { v, _ := math.Lgamma(float64(n) + 1); return v }
	return math.Min(1, 2*math.Exp(lg(n1)+lg(n2)-lg(n1+n2)))
}

// poissonZ is the two-sided p of a z test of two rates, b from n1 and n from
// n2 Poisson counts: a rate from N counts has relative standard error 1/√N.
func poissonZ(b, n1, n, n2 float64) float64 {
	se := math.Sqrt(b*b/n1 + n*n/n2)
	switch {
	case b == n:
		return 1
	case se == 0:
		return 0
	}
	return 2 * distuv.UnitNormal.Survival(math.Abs(b-n)/se)
}

// poissonMinP is the smallest p poissonZ can give with these counts, for any
// rates: |b-n|/se never exceeds √max(n1, n2).
func poissonMinP(n1, n2 float64) float64 {
	return 2 * distuv.UnitNormal.Survival(math.Sqrt(math.Max(n1, n2)))
}
