package main

import (
	"context"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/internal/cli"
)

func profilesCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "profiles", "[--format text|json] [--sources]", `  inferbench profiles
  inferbench profiles --sources          # where every figure (and efficiency) comes from
  inferbench profiles --format json | jq '.[] | {id, bandwidth_gbps}'
`)
	format := fs.String("format", "text", "output format: text or json")
	sources := fs.Bool("sources", false, "text: list each figure's source under its profile")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("profiles takes no arguments, got %s (it lists every profile)", cli.Quoted(fs.Args()))
	}
	if err := cli.CheckFormat(*format, "text", "json"); err != nil {
		return err
	}
	if *format == "json" {
		return cli.WriteJSON(e.stdout, sim.Profiles())
	}
	return sim.WriteProfiles(e.stdout, sim.Profiles(), *sources)
}
