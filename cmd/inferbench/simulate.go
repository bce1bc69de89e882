package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

const simulateExamples = `  inferbench simulate --profile h100-sxm --model llama-3.1-8b --batch 8 --input-tokens 512 --output-tokens 128
  inferbench simulate --profile inf2 --chips 12 --model llama-2-7b --precision bf16 \
      --batch 1 --input-tokens 128 --output-tokens 3968 --format json
  inferbench simulate --profile h100-sxm --model llama-3.1-8b --precision fp8 \
      --requests 3000 --input-tokens 128 --output-tokens 128      # offline throughput
  inferbench simulate --profile inf2 --model bert-base --input-tokens 128 --output-tokens 0
`

// simulateCmd predicts one configuration with the simulator's model: no load
// generator, every request at t=0.
func simulateCmd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "simulate", "--profile ID --model ID [flags]", simulateExamples)
	var s sim.Scenario
	fs.StringVar(&s.Profile, "profile", "", "simulated profile (see 'inferbench profiles'); required")
	fs.IntVar(&s.Chips, "chips", 0, "chips to split the model over (tensor parallel); 0: the fewest that hold it")
	fs.StringVar(&s.Model, "model", "", "model id (fixtures/models.json); required")
	fs.StringVar(&s.Precision, "precision", "", "fp16, bf16, fp8, int8 or w4a16 (default: the profile's usual: bf16, NPUs w4a16)")
	fs.IntVar(&s.Batch, "batch", 1, "static batch: this many identical requests starting together")
	fs.IntVar(&s.Requests, "requests", 0, "offline: this many requests at t=0, continuous batching up to memory capacity (overrides --batch)")
	fs.IntVar(&s.InputTokens, "input-tokens", 512, "prompt tokens per request")
	fs.IntVar(&s.OutputTokens, "output-tokens", 128, "output tokens per request (encoders: none, and the flag does not apply)")
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("simulate takes no arguments, got %s", quoted(fs.Args()))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	if s.Profile == "" {
		return usagef("--profile is required; valid: %s", strings.Join(sim.ProfileIDs(), ", "))
	}
	if s.Model == "" {
		return usagef("--model is required; valid: %s", strings.Join(fixtures.ModelIDs(), ", "))
	}
	m, err := fixtures.LookupModel(s.Model)
	if err != nil {
		return usageError{err}
	}
	switch {
	case m.Encoder && fs.Changed("output-tokens") && s.OutputTokens > 0:
		return usagef("--output-tokens %d does not apply to %s: an encoder makes one pass and no tokens (drop the flag)", s.OutputTokens, m.ID)
	case m.Encoder:
		s.OutputTokens = 0
	case s.OutputTokens < 1:
		return usagef("--output-tokens %d: %s is a decoder and makes at least 1 token (0 is for encoders such as bert-base)", s.OutputTokens, m.ID)
	}
	if s.InputTokens+s.OutputTokens > m.Context {
		return usagef("--input-tokens %d + --output-tokens %d = %d tokens: %s takes at most %d (its context, prompt and completion together)",
			s.InputTokens, s.OutputTokens, s.InputTokens+s.OutputTokens, m.ID, m.Context)
	}
	if fs.Changed("requests") && s.Requests < 1 {
		return usagef("--requests %d: want at least 1", s.Requests)
	}
	p, err := sim.Predict(ctx, s)
	if err != nil {
		// Every failure here is about the configuration the user asked for.
		return usageError{err}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	return writePrediction(e, p)
}

func writePrediction(e *env, p *sim.Prediction) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
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
