package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layer ranks the packages of one top-level tree of the module.
type layer struct {
	tree string // first element of the import path below the module, e.g. "accel"
	rank int
}

// layerTable is the module's layers, lowest first (see the package doc). A
// function rather than a variable so that no test can change it for another.
func layerTable() []layer {
	return []layer{
		{"internal", 0},
		{"fixtures", 0},
		{"accel", 1},
		{"bench", 2},
		{"report", 3},
		{"plan", 4},
		{"cmd", 5},
		{"scripts", 5},
	}
}

// testKits are the internal packages that help tests, each with the highest
// layer it may import: the layer it helps test. Only test files may import
// them.
func testKits() map[string]int {
	return map[string]int{
		"internal/golden":     0, // golden files under testdata
		"internal/nettest":    0, // loopback listeners
		"internal/servertest": 1, // accel/remote/server served as `inferbench serve` does
		"internal/reporttest": 3, // synthetic report.Runs
		"internal/gpumock":    0, // go-nvml's mock machines with known telemetry
	}
}

// pkg is one package of the module as `go list -json` describes it, with
// import paths relative to the module ("accel/remote"; "" for the root).
type pkg struct {
	ImportPath   string
	Imports      []string // of the package's own files
	TestImports  []string // of its _test files in the same package
	XTestImports []string // of its _test files in package x_test
	Error        *struct{ Err string }
}

// check returns one message per rule broken in graph, in a stable order:
// an import that goes up a layer, or sideways into another tree of the same
// layer; a non-test import of a test kit; a package no layer ranks.
func check(graph []pkg) []string {
	ranks := map[string]int{}
	for _, l := range layerTable() {
		ranks[l.tree] = l.rank
	}
	kits := testKits()
	tree := func(path string) string { t, _, _ := strings.Cut(path, "/"); return t }
	rankOf := func(path string) (int, bool) { r, ok := ranks[tree(path)]; return r, ok }
	// describe names a package with its layer, and a kit's reach.
	describe := func(path string) string {
		r, _ := rankOf(path)
		if reach, ok := kits[path]; ok && reach > r {
			return fmt.Sprintf("%s (layer %d, test kit reaching layer %d)", path, r, reach)
		}
		return fmt.Sprintf("%s (layer %d)", path, r)
	}

	var errs []string
	for _, p := range graph {
		from, ok := rankOf(p.ImportPath)
		if !ok {
			known := make([]string, 0, len(ranks))
			for _, l := range layerTable() {
				known = append(known, l.tree)
			}
			errs = append(errs, fmt.Sprintf("package %q has no layer: its tree %q is not one of %s; add it to layerTable deliberately",
				p.ImportPath, tree(p.ImportPath), strings.Join(known, ", ")))
			continue
		}
		reach := from
		if r, ok := kits[p.ImportPath]; ok {
			reach = max(reach, r)
		}
		for _, imp := range []struct {
			paths []string
			test  bool
		}{{p.Imports, false}, {p.TestImports, true}, {p.XTestImports, true}} {
			for _, q := range imp.paths {
				if q == p.ImportPath {
					continue // an x_test package importing the package it tests
				}
				to, ok := rankOf(q)
				if !ok {
					continue // reported where q itself is listed
				}
				if _, kit := kits[q]; kit && !imp.test {
					errs = append(errs, fmt.Sprintf("%s imports test kit %s outside its _test files; only tests may import test kits",
						describe(p.ImportPath), describe(q)))
				}
				switch {
				case to < from, to <= reach && reach > from:
					// down a layer, or a test kit into the layer it helps test
				case to == from && (tree(q) == tree(p.ImportPath) || tree(q) == "internal"):
					// within its own tree, or into mechanics under internal/
				case to == from:
					errs = append(errs, fmt.Sprintf("%s imports %s: same layer, another tree; move the shared part under internal/ or down a layer",
						describe(p.ImportPath), describe(q)))
				default:
					errs = append(errs, fmt.Sprintf("%s imports %s: imports go down the layers only",
						describe(p.ImportPath), describe(q)))
				}
			}
		}
	}
	slices.Sort(errs)
	return errs
}

// moduleGraph lists the module's packages with `go list` run in the module
// root, so the test sees the whole module whichever package directory it
// runs in.
func moduleGraph(t *testing.T) []pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH (%v): the import graph cannot be listed", err)
	}
	gomod, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == "/dev/null" {
		t.Fatalf("go env GOMOD = %q: not inside the module", mod)
	}
	root := filepath.Dir(mod)
	listMod := exec.Command(goBin, "list", "-m")
	listMod.Dir = root
	modPath, err := listMod.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	prefix := strings.TrimSpace(string(modPath))

	cmd := exec.Command(goBin, "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./... in %s: %v\n%s", cmd.Dir, err, stderr.Bytes())
	}
	rel := func(paths []string) []string {
		var in []string
		for _, q := range paths {
			if q == prefix {
				in = append(in, "")
			} else if r, ok := strings.CutPrefix(q, prefix+"/"); ok {
				in = append(in, r)
			}
		}
		return in
	}
	var graph []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s (its imports may be incomplete)", p.ImportPath, p.Error.Err)
		}
		p.ImportPath = rel([]string{p.ImportPath})[0]
		p.Imports, p.TestImports, p.XTestImports = rel(p.Imports), rel(p.TestImports), rel(p.XTestImports)
		graph = append(graph, p)
	}
	if len(graph) == 0 {
		t.Fatalf("go list ./... in %s listed no packages", cmd.Dir)
	}
	return graph
}

// TestImportsGoDown checks the module as it is.
func TestImportsGoDown(t *testing.T) {
	graph := moduleGraph(t)
	// The check must have seen the packages it is about, or it passes by
	// looking at nothing.
	for _, want := range []string{"accel", "bench", "report", "cmd/inferbench", "internal/layers"} {
		if !slices.ContainsFunc(graph, func(p pkg) bool { return p.ImportPath == want }) {
			t.Errorf("go list did not list %s", want)
		}
	}
	for _, e := range check(graph) {
		t.Error(e)
	}
}

// TestCheckFires feeds check graphs that break each rule, so that a passing
// TestImportsGoDown means the tree is clean, not that check cannot fail.
func TestCheckFires(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph []pkg
		want  []string // each a substring of one message, in order
	}{
		{
			name: "clean",
			graph: []pkg{
				{ImportPath: "accel", Imports: []string{"internal/suggest"}},
				{ImportPath: "accel/noop", Imports: []string{"accel"}, XTestImports: []string{"accel/noop"}},
				{ImportPath: "fixtures", Imports: []string{"internal/suggest"}},
				{ImportPath: "report/html", Imports: []string{"report", "report/plot", "bench", "fixtures"}, XTestImports: []string{"internal/reporttest"}},
				{ImportPath: "internal/reporttest", Imports: []string{"report", "accel"}},
				{ImportPath: "plan", Imports: []string{"report", "bench"}},
				{ImportPath: "cmd/inferbench", Imports: []string{"plan"}, TestImports: []string{"internal/servertest"}},
			},
		},
		{
			name:  "up a layer",
			graph: []pkg{{ImportPath: "accel/remote", Imports: []string{"report"}}},
			want:  []string{"accel/remote (layer 1) imports report (layer 3): imports go down the layers only"},
		},
		{
			name:  "up a layer in a test",
			graph: []pkg{{ImportPath: "bench", XTestImports: []string{"plan"}}},
			want:  []string{"bench (layer 2) imports plan (layer 4)"},
		},
		{
			name:  "report into plan",
			graph: []pkg{{ImportPath: "report/compare", Imports: []string{"plan"}}},
			want:  []string{"report/compare (layer 3) imports plan (layer 4)"},
		},
		{
			name:  "internal into fixtures",
			graph: []pkg{{ImportPath: "internal/suggest", Imports: []string{"fixtures"}}},
			want:  []string{"internal/suggest (layer 0) imports fixtures (layer 0): same layer, another tree"},
		},
		{
			name:  "cmd into scripts",
			graph: []pkg{{ImportPath: "cmd/inferbench", Imports: []string{"scripts/k8s"}}},
			want:  []string{"cmd/inferbench (layer 5) imports scripts/k8s (layer 5): same layer, another tree"},
		},
		{
			name:  "mechanics into accel",
			graph: []pkg{{ImportPath: "internal/h1", Imports: []string{"accel"}}},
			want:  []string{"internal/h1 (layer 0) imports accel (layer 1)"},
		},
		{
			name:  "test kit past its reach",
			graph: []pkg{{ImportPath: "internal/servertest", Imports: []string{"accel/remote/server", "bench"}}},
			want:  []string{"internal/servertest (layer 0, test kit reaching layer 1) imports bench (layer 2)"},
		},
		{
			name: "test kit in non-test code",
			graph: []pkg{
				{ImportPath: "report/plot", Imports: []string{"internal/reporttest"}},
				{ImportPath: "cmd/inferbench", Imports: []string{"internal/golden"}},
			},
			want: []string{
				"cmd/inferbench (layer 5) imports test kit internal/golden (layer 0) outside its _test files",
				"report/plot (layer 3) imports test kit internal/reporttest (layer 0, test kit reaching layer 3) outside its _test files",
			},
		},
		{
			name: "unranked",
			graph: []pkg{
				{ImportPath: "tools/gen", Imports: []string{"accel"}},
				{ImportPath: "", Imports: []string{"report"}},
			},
			want: []string{
				`package "" has no layer: its tree "" is not one of internal, fixtures, accel, bench, report, plan, cmd, scripts`,
				`package "tools/gen" has no layer: its tree "tools"`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(tc.graph)
			if len(got) != len(tc.want) {
				t.Fatalf("check gave %d messages, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("message %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
