package sim

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WritePrediction writes a prediction for people: the configuration, the
// latencies, throughput, batch, what bounds each phase and the energy, one
// figure a line (TPOT only when a request makes more than one token).
func WritePrediction(w io.Writer, p *Prediction) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "configuration\t%d× %s, %s at %s\n", p.Chips, p.Profile, p.Model, p.Precision)
	what := fmt.Sprintf("static batch of %d", p.Requests)
	if p.Mode == "offline" {
		what = fmt.Sprintf("offline: %d requests at t=0", p.Requests)
	}
	fmt.Fprintf(tw, "requests\t%s, %d prompt + %d output tokens each\n", what, p.InputTokens, p.OutputTokens)
	fmt.Fprintf(tw, "TTFT\t%.3f ms mean, %.3f ms p99\n", p.TTFTms, p.TTFTP99)
	if p.OutputTokens > 1 {
		fmt.Fprintf(tw, "TPOT\t%.3f ms (mean decode step)\n", p.TPOTms)
	}
	fmt.Fprintf(tw, "end to end\t%.3f ms mean, %.3f ms p99\n", p.E2Ems, p.E2EP99)
	fmt.Fprintf(tw, "throughput\t%.1f output tokens/s, %.3f requests/s\n", p.OutputTokensPerS, p.RequestsPerS)
	fmt.Fprintf(tw, "max batch\t%d sequences (KV cache holds %.0f tokens; weights %.1f GB)\n", p.MaxBatch, p.KVCapacityTokens, p.WeightsGB)
	phases := make([]string, 0, len(p.Bound))
	for ph, b := range p.Bound {
		phases = append(phases, ph+" "+b)
	}
	sort.Strings(phases)
	fmt.Fprintf(tw, "bound\t%s\n", strings.Join(phases, ", "))
	fmt.Fprintf(tw, "energy\t%.4g J/output token, %.4g J/request, %.0f W average\n", p.JoulesPerOutputToken, p.JoulesPerRequest, p.AvgPowerW)
	if p.Rejected > 0 {
		fmt.Fprintf(tw, "rejected\t%d requests can never fit the KV cache\n", p.Rejected)
	}
	return tw.Flush()
}

// WriteProfiles writes every figure of the profiles, one a row, and with
// sources each figure's source under its profile; then what the columns
// that are not datasheet figures mean.
func WriteProfiles(w io.Writer, ps []Profile, sources bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\t16-bit TFLOPS\t8-bit TFLOPS\tmemory GB\tbandwidth GB/s\tTDP W\tidle W\tlink GB/s\tlink µs\tcores\tη prefill mm\tη decode mm\tη attention\tη elementwise\tstep µs\tfirst-token µs\tdefault precision")
	for _, p := range ps {
		prec := p.DefaultPrecision
		if prec == "" {
			prec = "bf16"
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%g\t%.1f\t%g\t%g\t%g\t%g\t%g\t%d\t%.3g\t%.3g\t%.3g\t%.3g\t%.4g\t%.4g\t%s\n", p.ID, p.Name, p.TFLOPS16, p.TFLOPS8,
			float64(p.MemoryBytes)/1e9, p.BandwidthGBps, p.TDPW, p.IdleW, p.LinkGBps, p.LinkLatencyUS, max(p.Cores, 1),
			p.EffPrefillMatmul, p.EffDecodeMatmul, p.EffAttention, p.EffElementwise, p.StepOverheadUS, p.FirstTokenOverheadUS, prec)
		if !sources {
			continue
		}
		keys := make([]string, 0, len(p.Sources))
		for k := range p.Sources {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "  %s: %s\n", k, p.Sources[k])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nFigures are per chip and dense; † marks a third-party page quoting the vendor; 'assumption' marks figures not published.\n"+
		"η: the shares of peak a serving stack reaches, per class of operation (prefill matmuls: FLOPS; decode matmuls: bandwidth; attention: both; element-wise: bandwidth); step µs and first-token µs: fixed costs per iteration; cores: the execution units a chip's model is sharded over.\n"+
		"Efficiencies and overheads are not datasheet figures: --sources says where each comes from; 'inferbench calibrate' checks them.")
	return err
}

// WriteProfileSummary writes the profiles' headline figures, one a row: the
// short table `inferbench devices` shows beside the real GPUs.
func WriteProfileSummary(w io.Writer, ps []Profile) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tmemory GB\tbandwidth GB/s\t16-bit TFLOPS\tTDP W")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%g\t%g\t%g\n", p.ID, p.Name, float64(p.MemoryBytes)/1e9, p.BandwidthGBps, p.TFLOPS16, p.TDPW)
	}
	return tw.Flush()
}
