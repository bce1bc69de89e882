package main

import (
	"context"
	"fmt"
	"runtime"
)

func versionCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "", "  inferbench version\n")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments, got %s", quoted(fs.Args()))
	}
	fmt.Fprintf(e.stdout, "inferbench %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
