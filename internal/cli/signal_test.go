package cli

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// One interrupt delivered twice at once (GNU timeout signals its child and
// the child's process group) stops the run once; it must not be taken for a
// second press, which would exit before the report is written.
func TestSignalEchoIsOneInterrupt(t *testing.T) {
	var lines []string
	var mu sync.Mutex
	ctx, stop := WithSignals(context.Background(), func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() })
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	time.Sleep(200 * time.Millisecond) // the echo arrives and is ignored: we are still here
	in, ok := Interrupted(ctx)
	if !ok || in.ExitCode() != 130 {
		t.Errorf("interrupted = %v, %v; want SIGINT, exit 130", in, ok)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || !strings.Contains(lines[0], "stopping") {
		t.Errorf("stderr lines %q: want one 'stopping' line", lines)
	}
}
