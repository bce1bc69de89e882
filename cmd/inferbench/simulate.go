package main

import (
	"context"
	"strings"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/cli"
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
	fs := cli.NewFlags(e.stdout, e.stderr, "simulate", "--profile ID --model ID [flags]", simulateExamples)
	var s sim.Scenario
	fs.StringVar(&s.Profile, "profile", "", "simulated profile (see 'inferbench profiles'); required")
	fs.IntVar(&s.Chips, "chips", 0, "chips to split the model over (tensor parallel); 0: the fewest that hold it")
	fs.StringVar(&s.Model, "model", "", "model id (fixtures/models.json); required")
	fs.StringVar(&s.Precision, "precision", "", "fp16, bf16, fp8, int8, w4a16, mxfp4 or nvfp4 (FP4 chips only) (default: the profile's usual: bf16, NPUs w4a16)")
	fs.StringVar(&s.KVPrecision, "kv-precision", "", "KV-cache format: bf16, fp16, fp8 or int8 (default: fp8 with fp8 and nvfp4 weights on FP8 chips, else 16-bit)")
	fs.IntVar(&s.Batch, "batch", 1, "static batch: this many identical requests starting together")
	fs.IntVar(&s.Requests, "requests", 0, "offline: this many requests at t=0, continuous batching up to memory capacity (overrides --batch)")
	fs.IntVar(&s.InputTokens, "input-tokens", 512, "prompt tokens per request")
	fs.IntVar(&s.OutputTokens, "output-tokens", 128, "output tokens per request (encoders: none, and the flag does not apply)")
	format := fs.String("format", "text", "output format: text or json")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("simulate takes no arguments, got %s", cli.Quoted(fs.Args()))
	}
	if err := cli.CheckFormat(*format, "text", "json"); err != nil {
		return err
	}
	if s.Profile == "" {
		return cli.Usagef("--profile is required; valid: %s", strings.Join(sim.ProfileIDs(), ", "))
	}
	if s.Model == "" {
		return cli.Usagef("--model is required; valid: %s", strings.Join(fixtures.ModelIDs(), ", "))
	}
	if err := s.FitModel(fs.Changed("output-tokens")); err != nil {
		return cli.Usage(err)
	}
	if fs.Changed("requests") && s.Requests < 1 {
		return cli.Usagef("--requests %d: want at least 1", s.Requests)
	}
	p, err := sim.Predict(ctx, s)
	if err != nil {
		// Every failure here is about the configuration the user asked for.
		return cli.Usage(err)
	}
	if *format == "json" {
		return cli.WriteJSON(e.stdout, p)
	}
	return sim.WritePrediction(e.stdout, p)
}
