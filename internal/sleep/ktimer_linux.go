//go:build linux

package sleep

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ktimer is a timerfd read through Go's network poller.
type ktimer struct {
	fd   int
	f    *os.File
	spec unix.ItimerSpec
	buf  [8]byte // the expiry count a read returns
}

func newKtimer() (*ktimer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor: os.NewFile registers it with the poller.
	return &ktimer{fd: fd, f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

// sleep parks the goroutine for d.
func (t *ktimer) sleep(d time.Duration) error {
	t.spec.Value = unix.NsecToTimespec(int64(max(d, 1)))
	if err := unix.TimerfdSettime(t.fd, 0, &t.spec, nil); err != nil {
		return err
	}
	_, err := t.f.Read(t.buf[:])
	return err
}

func (t *ktimer) close() { t.f.Close() }
