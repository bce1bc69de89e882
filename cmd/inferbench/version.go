package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/inferbench/inferbench/internal/cli"
)

func versionCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "version", "", "  inferbench version\n")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("version takes no arguments, got %s", cli.Quoted(fs.Args()))
	}
	fmt.Fprintf(e.stdout, "inferbench %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
