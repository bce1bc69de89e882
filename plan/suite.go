package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/report"
)

// Suite is a checked-in benchmark: backends × workloads × scenarios, each
// combination run Repetitions times. Its workloads and scenarios are partial
// Plans, in the keys of `inferbench run`'s flags, each laid over the suite's
// backends and seed: a suite can say anything a run can, typed and checked
// as a run's plan is.
type Suite struct {
	Name  string `json:"name"`
	About string `json:"about,omitempty"`
	// Backends are backend specs. A nightly job may replace them with what
	// the machine has (a GPU and its endpoint).
	Backends  []string `json:"backends"`
	Workloads []Entry  `json:"workloads"`
	Scenarios []Entry  `json:"scenarios"`
	// Repetitions runs each combination this many times into one report, so
	// a comparison has repeated samples of throughput (default 1).
	Repetitions int `json:"repetitions,omitempty"`
	// Seed is the first repetition's seed (default 1); repetition r uses
	// Seed+r.
	Seed uint64 `json:"seed,omitempty"`
}

// Entry is one workload or scenario of a suite: a partial Plan and the label
// its runs carry (its "name" key, else its settings).
type Entry struct {
	Name string
	raw  json.RawMessage // the plan keys it sets
	keys []string        // sorted, "name" left out
}

// reservedKeys are plan keys a suite entry may not set: the suite sets them.
func reserved(key string) bool {
	return key == "backends" || key == "seed" || key == "shard"
}

// UnmarshalJSON reads an entry and checks it as a partial Plan: unknown keys
// and keys the suite owns are errors.
func (e *Entry) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if raw, ok := m["name"]; ok {
		if err := json.Unmarshal(raw, &e.Name); err != nil {
			return fmt.Errorf("name: %w", err)
		}
		delete(m, "name")
	}
	for k := range m {
		if reserved(k) {
			return fmt.Errorf("sets %q, which the suite sets itself", k)
		}
		e.keys = append(e.keys, k)
	}
	sort.Strings(e.keys)
	e.raw, _ = json.Marshal(m)
	var p Plan
	return p.Decode(e.raw)
}

// MarshalJSON writes the entry as it was read.
func (e Entry) MarshalJSON() ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.raw, &m); err != nil || m == nil {
		m = map[string]json.RawMessage{}
	}
	if e.Name != "" {
		m["name"], _ = json.Marshal(e.Name)
	}
	return json.Marshal(m)
}

// label is the entry's name, else its settings in key order.
func (e Entry) label() string {
	if e.Name != "" {
		return e.Name
	}
	var m map[string]json.RawMessage
	json.Unmarshal(e.raw, &m)
	parts := make([]string, len(e.keys))
	for i, k := range e.keys {
		parts[i] = k + "=" + flagValue(m[k])
	}
	return strings.Join(parts, ",")
}

// flagValue renders a JSON value as a flag takes it.
func flagValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = flagValue(v)
		}
		return strings.Join(parts, ",")
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return string(raw)
}

// ParseSuite decodes and checks a suite. Unknown fields are errors (a typo in
// a nightly plan must not be ignored); the error names the problem.
func ParseSuite(r io.Reader) (*Suite, error) {
	var s Suite
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("suite: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("suite: more than one JSON document")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LookupSuite returns an embedded suite (fixtures/suites) by id, ignoring
// case.
func LookupSuite(id string) (*Suite, error) {
	b, err := fixtures.SuiteFile(id)
	if err != nil {
		return nil, err
	}
	return ParseSuite(bytes.NewReader(b))
}

// Validate checks that the suite runs at least one job.
func (s *Suite) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("suite: no name")
	}
	if len(s.Backends) == 0 {
		return fmt.Errorf("suite %q: no backends: want at least one spec such as sim:h100-sxm", s.Name)
	}
	if len(s.Workloads) == 0 || len(s.Scenarios) == 0 {
		return fmt.Errorf("suite %q: empty: want at least one workload and one scenario (e.g. {\"workload\": \"chat\"} and {\"scenario\": \"closed\"})", s.Name)
	}
	if s.Repetitions < 0 || s.Repetitions > 100 {
		return fmt.Errorf("suite %q: repetitions %d: want 1 to 100", s.Name, s.Repetitions)
	}
	for i, b := range s.Backends {
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("suite %q: backend %d is empty", s.Name, i)
		}
	}
	for _, group := range []struct {
		kind    string
		entries []Entry
	}{{"workload", s.Workloads}, {"scenario", s.Scenarios}} {
		for i, e := range group.entries {
			if len(e.keys) == 0 {
				return fmt.Errorf("suite %q: %s %d has no settings", s.Name, group.kind, i)
			}
		}
	}
	return nil
}

// Job is one plan of a suite and the label its runs carry.
type Job struct {
	Name string
	Plan Plan
}

// Jobs expands the suite into plans, in a stable order: for each workload,
// each scenario, each repetition, one plan over all backends (so one report
// holds the backends side by side). backends, when given, replace the
// suite's.
func (s *Suite) Jobs(backends []string) ([]Job, error) {
	if len(backends) == 0 {
		backends = s.Backends
	}
	reps := max(s.Repetitions, 1)
	seed := s.Seed
	if seed == 0 {
		seed = 1
	}
	var jobs []Job
	for _, w := range s.Workloads {
		for _, sc := range s.Scenarios {
			for r := 0; r < reps; r++ {
				name := w.label() + "/" + sc.label()
				if reps > 1 {
					name += "/rep" + strconv.Itoa(r+1)
				}
				p := Plan{Backends: backends, Seed: seed + uint64(r)}
				for _, e := range []Entry{w, sc} {
					if err := p.Decode(e.raw); err != nil {
						return nil, fmt.Errorf("suite %q, run %s: %w", s.Name, name, err)
					}
				}
				jobs = append(jobs, Job{Name: name, Plan: p})
			}
		}
	}
	return jobs, nil
}

// Combine returns one report holding the runs of a suite's job reports, each
// labelled with its job, in job order; reps[i] is jobs[i]'s (nil when it did
// not run). It is interrupted when any job was.
func (s *Suite) Combine(jobs []Job, reps []*report.Report) *report.Report {
	var out *report.Report
	for i, rep := range reps {
		if rep == nil {
			continue
		}
		if out == nil {
			head := *rep
			head.Config.Scenario = "suite:" + s.Name
			head.Runs = nil
			out = &head
		}
		for _, r := range rep.Runs {
			r.Label = jobs[i].Name
			out.Runs = append(out.Runs, r)
		}
		out.Interrupted = out.Interrupted || rep.Interrupted
	}
	return out
}

// Execute runs jobs (from s.Jobs) in order and returns one report of them
// all (Combine). each, when set, is called twice per job, with its index:
// before it runs with a nil report (to say what is starting), and after with
// its report (to show or judge it). A job that cannot run stops the suite: its error
// (naming the suite and the job) comes back with the report of the jobs
// before it, so what ran is kept. An interrupt (ctx canceled) stops after
// the job it interrupted. The report is nil only when no job ran.
func (s *Suite) Execute(ctx context.Context, jobs []Job, o Options, each func(int, Job, *report.Report)) (*report.Report, error) {
	reps := make([]*report.Report, len(jobs))
	var err error
	for i, j := range jobs {
		if ctx.Err() != nil {
			break // interrupted: keep what ran, skip the rest
		}
		if each != nil {
			each(i, j, nil)
		}
		rep, jerr := Execute(ctx, j.Plan, o)
		if jerr != nil {
			err = fmt.Errorf("suite %q, run %s: %w", s.Name, j.Name, jerr)
			break
		}
		reps[i] = rep
		if each != nil {
			each(i, j, rep)
		}
	}
	return s.Combine(jobs, reps), err
}
