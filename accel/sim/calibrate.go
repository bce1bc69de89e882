package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
)

// CalibrationFile is a set of published measurements to check the profiles
// against (fixtures/calibration.json is the embedded one).
type CalibrationFile struct {
	About string            `json:"about"`
	Cases []CalibrationCase `json:"cases"`
}

// CalibrationCase is one measurement: the `inferbench simulate` arguments that
// reproduce its setup, the metric measured, its value and its source.
type CalibrationCase struct {
	ID           string  `json:"id"`
	Profile      string  `json:"profile"`
	Chips        int     `json:"chips"`
	Model        string  `json:"model"`
	Precision    string  `json:"precision"`
	Mode         string  `json:"mode"` // "latency" (static batch) or "offline"
	Batch        int     `json:"batch,omitempty"`
	Requests     int     `json:"requests,omitempty"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	Metric       string  `json:"metric"`
	Value        float64 `json:"value"`
	Source       string  `json:"source"`
	Note         string  `json:"note,omitempty"`
}

// Scenario is the simulate configuration the case describes.
func (c CalibrationCase) Scenario() Scenario {
	s := Scenario{Profile: c.Profile, Chips: c.Chips, Model: c.Model, Precision: c.Precision,
		InputTokens: c.InputTokens, OutputTokens: c.OutputTokens, Batch: c.Batch}
	if c.Mode == "offline" {
		s.Requests = c.Requests
	}
	return s
}

// ParseCalibration decodes and checks a calibration file; errors name the case
// and the bad field.
func ParseCalibration(data []byte) (*CalibrationFile, error) {
	var f CalibrationFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("calibration file: %w", err)
	}
	if len(f.Cases) == 0 {
		return nil, fmt.Errorf("calibration file has no cases")
	}
	for i, c := range f.Cases {
		name := c.ID
		if name == "" {
			name = fmt.Sprintf("case %d", i)
		}
		switch c.Mode {
		case "latency":
			if c.Batch < 1 {
				return nil, fmt.Errorf("%s: batch %d: a latency case needs a batch of at least 1", name, c.Batch)
			}
		case "offline":
			if c.Requests < 1 {
				return nil, fmt.Errorf("%s: requests %d: an offline case needs at least 1", name, c.Requests)
			}
		default:
			return nil, fmt.Errorf("%s: mode %q; valid: latency, offline", name, c.Mode)
		}
		if _, err := (&Prediction{}).Metric(c.Metric); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if !(c.Value > 0) {
			return nil, fmt.Errorf("%s: value %v: want a positive measurement", name, c.Value)
		}
	}
	return &f, nil
}

// CalibrationResult is one case with the model's prediction.
type CalibrationResult struct {
	Case      CalibrationCase
	Predicted float64
	// ErrorPct is |predicted − measured| / measured, in percent.
	ErrorPct float64
	// Err is set when the case could not be simulated (bad profile, model...).
	Err error
}

// Calibrate predicts every case.
func Calibrate(ctx context.Context, f *CalibrationFile) []CalibrationResult {
	out := make([]CalibrationResult, 0, len(f.Cases))
	for _, c := range f.Cases {
		r := CalibrationResult{Case: c}
		p, err := Predict(ctx, c.Scenario())
		if err == nil {
			r.Predicted, err = p.Metric(c.Metric)
		}
		if err != nil {
			r.Err = err
		} else {
			r.ErrorPct = math.Abs(r.Predicted-c.Value) / c.Value * 100
		}
		out = append(out, r)
	}
	return out
}

// MedianError is the median of the cases' errors, in percent, over the cases
// that ran (NaN when none did).
func MedianError(rs []CalibrationResult) float64 {
	var es []float64
	for _, r := range rs {
		if r.Err == nil {
			es = append(es, r.ErrorPct)
		}
	}
	if len(es) == 0 {
		return math.NaN()
	}
	sort.Float64s(es)
	n := len(es)
	if n%2 == 1 {
		return es[n/2]
	}
	return (es[n/2-1] + es[n/2]) / 2
}

// Outside counts the cases off by more than tolerance percent, or that failed.
func Outside(rs []CalibrationResult, tolerance float64) int {
	n := 0
	for _, r := range rs {
		if r.Err != nil || r.ErrorPct > tolerance {
			n++
		}
	}
	return n
}

// WriteCalibrationTable prints the cases as a table (case, metric, measured,
// predicted, error %) and a last line with the median error.
func WriteCalibrationTable(w io.Writer, rs []CalibrationResult, tolerance float64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tmetric\tmeasured\tpredicted\terror %\t\t")
	for _, r := range rs {
		if r.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%.4g\t-\t-\tFAILED: %v\t\n", r.Case.ID, r.Case.Metric, r.Case.Value, r.Err)
			continue
		}
		flag := ""
		if r.ErrorPct > tolerance {
			flag = "OUTSIDE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%.1f\t%s\t\n", r.Case.ID, r.Case.Metric, r.Case.Value, r.Predicted, r.ErrorPct, flag)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "median error %.1f%% over %d cases; %d outside %g%% or failed\n",
		MedianError(rs), len(rs), Outside(rs, tolerance), tolerance)
	return err
}
