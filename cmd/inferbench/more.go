package main

// moreCommands lists the subcommands beyond run, profiles and version. Each
// lives in its own file; add it here.
func moreCommands() []command {
	return []command{
		{"suite", "run a suite file (backends × workloads × scenarios) into one report", suiteCmd},
	}
}
