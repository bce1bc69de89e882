//go:build !linux

package sleep

import "time"

// ktimer stands in for Linux's timerfd with a Go timer: as coarse as the
// timer stage, and the learnt margin grows to match.
type ktimer struct{}

func newKtimer() (*ktimer, error) { return &ktimer{}, nil }

func (t *ktimer) sleep(d time.Duration) error {
	time.Sleep(d)
	return nil
}

func (t *ktimer) close() {}
