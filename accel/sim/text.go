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
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if sources {
		if err := writeSources(w, ps); err != nil {
			return err
		}
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

// writeSources lists where each profile's figures come from, after the
// table (so the table's columns stay aligned from the first profile to the
// last): per profile, one figure a line, the names in a column, and the
// page a named document is published on where sourceURL knows it.
func writeSources(w io.Writer, ps []Profile) error {
	fmt.Fprintln(w, "\nSources:")
	for _, p := range ps {
		fmt.Fprintf(w, "\n%s (%s)\n", p.ID, p.Name)
		keys := make([]string, 0, len(p.Sources))
		width := 0
		for k := range p.Sources {
			keys = append(keys, k)
			width = max(width, len(k))
		}
		sort.Strings(keys)
		for _, k := range keys {
			line := fmt.Sprintf("  %-*s  %s", width+1, k+":", p.Sources[k])
			if u := sourceURL(p.Sources[k]); u != "" {
				line += " <" + u + ">"
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
		// The power model's figures (fixtures/power.json, or its default rule).
		pm := PowerModel(p)
		for _, f := range []struct {
			name string
			w    float64
		}{{"idle_w", pm.IdleW}, {"compute_w", pm.ComputeW}, {"memory_w", pm.MemoryW}, {"wait_w", pm.WaitW}} {
			src := pm.Sources[f.name]
			if src == "" {
				src = pm.Basis
			}
			if _, err := fmt.Fprintf(w, "  %-*s  %.4g W: %s\n", width+1, "power."+f.name+":", f.w, src); err != nil {
				return err
			}
		}
	}
	return nil
}

// sourceDocs are the pages the documents profiles cite are published on,
// by the name the sources give them (the vendor's product page links the
// datasheet).
func sourceDocs() []struct{ prefix, url string } {
	return []struct{ prefix, url string }{
		{"NVIDIA A100 datasheet", "https://www.nvidia.com/en-us/data-center/a100/"},
		{"NVIDIA H100 datasheet", "https://www.nvidia.com/en-us/data-center/h100/"},
		{"NVIDIA H200 datasheet", "https://www.nvidia.com/en-us/data-center/h200/"},
		{"NVIDIA B200 datasheet", "https://www.nvidia.com/en-us/data-center/dgx-b200/"},
		{"NVIDIA DGX B200 datasheet", "https://www.nvidia.com/en-us/data-center/dgx-b200/"},
		{"NVIDIA L40S datasheet", "https://www.nvidia.com/en-us/data-center/l40s/"},
		{"NVIDIA L4 datasheet", "https://www.nvidia.com/en-us/data-center/l4/"},
		{"AWS Neuron docs", "https://awsdocs-neuron.readthedocs-hosted.com/"},
		{"aws-neuron/aws-neuron-sdk", "https://github.com/aws-neuron/aws-neuron-sdk"},
		{"aws-neuron transformers-neuronx", "https://github.com/aws-neuron/transformers-neuronx"},
	}
}

// sourceURL is the page of the document a source names, "" where it names
// none (an assumption, a fit, a derivation).
func sourceURL(source string) string {
	for _, d := range sourceDocs() {
		if strings.HasPrefix(source, d.prefix) {
			return d.url
		}
	}
	return ""
}
