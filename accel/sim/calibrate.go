package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
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
	ID        string `json:"id"`
	Profile   string `json:"profile"`
	Chips     int    `json:"chips"`
	Model     string `json:"model"`
	Precision string `json:"precision"`
	// KVPrecision is the KV cache's format where the setup states one
	// (TensorRT-LLM's kv_cache_config dtype fp8); "" is the precision's usual.
	KVPrecision  string  `json:"kv_precision,omitempty"`
	Mode         string  `json:"mode"` // "latency" (static batch) or "offline"
	Batch        int     `json:"batch,omitempty"`
	Requests     int     `json:"requests,omitempty"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	Metric       string  `json:"metric"`
	Value        float64 `json:"value"`
	Source       string  `json:"source"`
	Note         string  `json:"note,omitempty"`
	// Family groups cases from one source and setup (trt-8b, neuron-tpot...):
	// calibrate reports each family's error, and --leave-out one family
	// refits without it to show the error on data no constant saw.
	Family string `json:"family,omitempty"`
}

// Scenario is the simulate configuration the case describes.
func (c CalibrationCase) Scenario() Scenario {
	s := Scenario{Profile: c.Profile, Chips: c.Chips, Model: c.Model, Precision: c.Precision, KVPrecision: c.KVPrecision,
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
	if fams := Families(rs); len(fams) > 1 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "family	cases	median error %	outside	")
		for _, f := range fams {
			fmt.Fprintf(tw, "%s	%d	%.1f	%d	\n", f.Name, f.Cases, f.Median, f.Outside(tolerance))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "median error %.1f%% over %d cases; %d cases outside %g%% or failed\n",
		MedianError(rs), len(rs), Outside(rs, tolerance), tolerance)
	return err
}

// Family is one family's share of a calibration.
type Family struct {
	Name    string
	Cases   int
	Median  float64 // median error, percent
	Results []CalibrationResult
}

// Outside counts the family's cases off by more than tolerance percent.
func (f Family) Outside(tolerance float64) int { return Outside(f.Results, tolerance) }

// Families groups results by their case's family ("" as "other"), sorted
// by name.
func Families(rs []CalibrationResult) []Family {
	by := map[string][]CalibrationResult{}
	for _, r := range rs {
		name := r.Case.Family
		if name == "" {
			name = "other"
		}
		by[name] = append(by[name], r)
	}
	var out []Family
	for name, group := range by {
		out = append(out, Family{Name: name, Cases: len(group), Median: MedianError(group), Results: group})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LeaveOut fits the knobs on every case but those of family, with the
// profiles' figures as the start, and predicts the family's cases with what
// that fit found: the error on measurements no constant was set from. It
// returns the family's results and the fit.
func LeaveOut(ctx context.Context, f *CalibrationFile, family string) ([]CalibrationResult, *FitResult, error) {
	var train, test []CalibrationCase
	for _, c := range f.Cases {
		if c.Family == family {
			test = append(test, c)
		} else {
			train = append(train, c)
		}
	}
	if len(test) == 0 {
		return nil, nil, fmt.Errorf("no case of family %q; valid: %s", family, strings.Join(familyNames(f), ", "))
	}
	r, err := Fit(ctx, train, Knobs())
	if err != nil {
		return nil, nil, err
	}
	return CalibrateWith(ctx, &CalibrationFile{Cases: test}, r), r, nil
}

// familyNames lists the families of a file's cases, sorted.
func familyNames(f *CalibrationFile) []string {
	seen := map[string]bool{}
	var names []string
	for _, c := range f.Cases {
		if c.Family != "" && !seen[c.Family] {
			seen[c.Family] = true
			names = append(names, c.Family)
		}
	}
	sort.Strings(names)
	return names
}
