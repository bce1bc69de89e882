package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProgressModes are the values of --progress.
var ProgressModes = []string{"auto", "always", "never"}

// ProgressUsage is --progress's help text, one for every command that has it.
const ProgressUsage = "progress on stderr: auto (a live line on a terminal; elsewhere, as in a CI log, a plain line every 10s and one at the end), always (the live line even where stderr is not seen as a terminal), never"

// PlainEvery is how often a progress line is printed where stderr is not a
// terminal: often enough that a CI log shows the run is alive, seldom enough
// that it stays readable.
const PlainEvery = 10 * time.Second

// ProgressState is what a progress line shows of a running run.
type ProgressState struct {
	// Label names what runs (a backend), "" for none.
	Label   string
	Elapsed time.Duration // since the run's start, warm-up included
	// Total is how long the run lasts, warm-up included; 0 when it is not
	// known ahead (a request count ends it).
	Total    time.Duration
	Requests int64
	Rate     float64       // requests per second
	P99      time.Duration // latency p99 so far
}

// Progress prints a run's progress: a line rewritten in place on a terminal
// (live), or a plain line every PlainEvery and one at the end elsewhere. The
// nil *Progress prints nothing (--progress never).
type Progress struct {
	w    io.Writer
	live bool
	now  func() time.Time
	// last is when the last plain line was printed (or when printing
	// started); cur is the latest state, which End prints.
	last    time.Time
	cur     ProgressState
	pending bool
}

// NewProgress returns the progress printer mode asks for on w: mode is one of
// ProgressModes; now is the clock that spaces plain lines (nil: time.Now).
// It returns nil for never.
func NewProgress(w io.Writer, mode string, now func() time.Time) (*Progress, error) {
	if now == nil {
		now = time.Now
	}
	p := &Progress{w: w, now: now}
	switch mode {
	case "never":
		return nil, nil
	case "always":
		p.live = true
	case "auto", "":
		p.live = IsTerminal(w)
	default:
		return nil, Usagef("--progress %q: want one of %s", mode, strings.Join(ProgressModes, ", "))
	}
	p.last = now()
	return p, nil
}

// Update takes a run's latest state: a live line is rewritten at once, a
// plain line printed when PlainEvery has passed since the last one.
func (p *Progress) Update(s ProgressState) {
	if p == nil {
		return
	}
	p.cur, p.pending = s, true
	if p.live {
		fmt.Fprint(p.w, "\r\033[K"+s.Line())
		return
	}
	if t := p.now(); t.Sub(p.last) >= PlainEvery {
		p.last = t
		fmt.Fprintln(p.w, "progress: "+s.Line())
	}
}

// End closes a run's progress: the live line is cleared (the report follows),
// and elsewhere the run's last state is printed, so a log ends each run with
// where it got to. A run that sent no update (virtual time is over at once)
// prints nothing.
func (p *Progress) End() {
	if p == nil || !p.pending {
		return
	}
	p.pending = false
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
		return
	}
	p.last = p.now()
	fmt.Fprintln(p.w, "progress: "+p.cur.Line()+" (end)")
}

// Line is the state in one line: elapsed of total time, requests, rate and
// latency p99 in ms, as every table shows latency.
func (s ProgressState) Line() string {
	el := s.Elapsed.Round(time.Second).String()
	if s.Total > 0 {
		el += " / " + s.Total.Round(time.Second).String()
	}
	line := fmt.Sprintf("%s  %d req  %.1f req/s  p99 %s ms", el, s.Requests, s.Rate, ms(s.P99))
	if s.Label != "" {
		line = s.Label + "  " + line
	}
	return line
}

// ms writes a duration in milliseconds: one decimal, or three significant
// digits below 1 ms (a loopback server answers in microseconds).
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v != 0 && v < 1 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// IsTerminal says whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
