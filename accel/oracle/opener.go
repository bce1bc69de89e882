package oracle

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Opener opens `oracle?ttft=20ms&tpot=1ms&fail-every=10&stall=1s/10s&slots=4`:
// every option is optional (the zero Config answers at once). In virtual
// time by default; with accel.Options.Realtime it is opened for real calls
// (Config.Realtime).
type Opener struct{}

var _ accel.Opener = Opener{}

// Schemes returns "oracle".
func (Opener) Schemes() []string { return []string{"oracle"} }

// Targets returns the one spec shape.
func (Opener) Targets() []string {
	return []string{"oracle?ttft=D&tpot=D&fail-every=K&stall=FOR/EVERY&slots=N"}
}

// Open opens an oracle from the spec's options.
func (o Opener) Open(s accel.Spec, opts accel.Options) (accel.Backend, error) {
	bad := func(why string) error {
		return &accel.SpecError{Spec: s.Raw, Reason: why, Valid: o.Targets()}
	}
	if s.Target != "" {
		return nil, bad(fmt.Sprintf("oracle takes no target, got %q", s.Target))
	}
	c := Config{Realtime: opts.Realtime}
	dur := func(k, v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, bad(fmt.Sprintf("%s=%q: want a duration such as 20ms", k, v))
		}
		return d, nil
	}
	for k, vs := range s.Params {
		v := vs[0]
		var err error
		switch k {
		case "ttft":
			c.TTFT, err = dur(k, v)
		case "tpot":
			c.TPOT, err = dur(k, v)
		case "fail-every":
			c.FailEvery, err = strconv.ParseUint(v, 10, 64)
			if err != nil {
				err = bad(fmt.Sprintf("fail-every=%q: want a whole number (1 fails every request)", v))
			}
		case "stall":
			a, b, ok := strings.Cut(v, "/")
			if !ok {
				return nil, bad(fmt.Sprintf("stall=%q: want FOR/EVERY, e.g. 1s/10s", v))
			}
			if c.Stall.For, err = dur(k, a); err == nil {
				c.Stall.Every, err = dur(k, b)
			}
		case "slots":
			c.Slots, err = strconv.Atoi(v)
			if err != nil || c.Slots < 0 {
				err = bad(fmt.Sprintf("slots=%q: want 0 (unlimited) or more", v))
			}
		default:
			return nil, bad(fmt.Sprintf("unknown option %q", k))
		}
		if err != nil {
			return nil, err
		}
	}
	b, err := New(c)
	if err != nil {
		return nil, bad(err.Error())
	}
	return b, nil
}
