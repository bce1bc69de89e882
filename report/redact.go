package report

import (
	"slices"

	"github.com/inferbench/inferbench/internal/redact"
)

// Redact masks secrets in every string of the report that came from a user's
// configuration or an error message: the backends of Config, and in each run
// the label, backend id and info (name, extra), error examples, the reasons
// it failed or is invalid, its warnings and its telemetry's notes. A report
// is kept and shared (CI artifacts, issues), and a server's error may quote
// the key it was sent or the URL with its password. red's known values and
// package redact's patterns are masked; a nil red masks the patterns only.
//
// Maps and slices are replaced, not written to, so a report that shares
// them (a backend's Info.Extra, a clone's runs) is not changed through them.
func (r *Report) Redact(red *redact.Redactor) {
	r.Config.Backends = red.Strings(r.Config.Backends)
	for i := range r.Runs {
		r.Runs[i].redact(red)
	}
}

// Redacted returns a copy of r with Redact applied, leaving r as it is: for
// writers that render a report they were handed.
func (r *Report) Redacted(red *redact.Redactor) *Report {
	c := *r
	c.Runs = slices.Clone(r.Runs)
	c.Redact(red)
	return &c
}

// redact is Redact for one run.
func (run *Run) redact(red *redact.Redactor) {
	run.Label = red.String(run.Label)
	run.Backend.ID = red.String(run.Backend.ID)
	info := &run.Backend.Info
	info.ID, info.Name = red.String(info.ID), red.String(info.Name)
	info.Extra = red.Map(info.Extra)
	run.Counts.ErrorExamples = red.Map(run.Counts.ErrorExamples)
	run.InvalidReasons = red.Strings(run.InvalidReasons)
	run.FailReason = red.String(run.FailReason)
	run.Warnings = red.Strings(run.Warnings)
	if t := run.Telemetry; t != nil {
		c := *t
		c.Note = red.String(c.Note)
		c.Devices = slices.Clone(c.Devices)
		for i := range c.Devices {
			d := &c.Devices[i]
			d.Device, d.Ended = red.String(d.Device), red.String(d.Ended)
		}
		run.Telemetry = &c
	}
}
