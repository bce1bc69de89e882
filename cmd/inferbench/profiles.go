package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/inferbench/inferbench/accel/sim"
)

func profilesCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "profiles", "[--format text|json] [--sources]", `  inferbench profiles
  inferbench profiles --sources          # where every figure (and efficiency) comes from
  inferbench profiles --format json | jq '.[] | {id, bandwidth_gbps}'
`)
	format := fs.String("format", "text", "output format: text or json")
	sources := fs.Bool("sources", false, "text: list each figure's source under its profile")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("profiles takes no arguments, got %s (it lists every profile)", quoted(fs.Args()))
	}
	ps := sim.Profiles()
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ps)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\t16-bit TFLOPS\t8-bit TFLOPS\tmemory GB\tbandwidth GB/s\tTDP W\tidle W\tlink GB/s\tlink µs\tη_c\tη_m\tstep µs\tfirst-token µs\tdefault precision")
	for _, p := range ps {
		prec := p.DefaultPrecision
		if prec == "" {
			prec = "bf16"
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%g\t%.1f\t%g\t%g\t%g\t%g\t%g\t%g\t%g\t%g\t%g\t%s\n", p.ID, p.Name, p.TFLOPS16, p.TFLOPS8,
			float64(p.MemoryBytes)/1e9, p.BandwidthGBps, p.TDPW, p.IdleW, p.LinkGBps, p.LinkLatencyUS,
			p.EffCompute, p.EffMemory, p.StepOverheadUS, p.FirstTokenOverheadUS, prec)
		if *sources {
			keys := make([]string, 0, len(p.Sources))
			for k := range p.Sources {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(tw, "  %s: %s\n", k, p.Sources[k])
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nFigures are per chip and dense; † marks a third-party page quoting the vendor; 'assumption' marks figures not published.\n"+
		"η_c, η_m: the shares of peak FLOPS and bandwidth a serving stack reaches; step µs and first-token µs: fixed costs per iteration.\n"+
		"Efficiencies and overheads are not datasheet figures: --sources says where each comes from; 'inferbench calibrate' checks them.")
	return nil
}
