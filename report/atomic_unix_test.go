//go:build unix

package report_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/inferbench/inferbench/report"
)

// WriteFileAtomic writes where the user pointed -o: through a symbolic link
// to its target, in place to a device or a FIFO, never over a directory.
func TestWriteFileAtomicKinds(t *testing.T) {
	t.Parallel()
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "real.json")
		if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink("real.json", link); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteFileAtomic(link, write("new")); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
		}
		fi, err := os.Stat(target)
		if b, _ := os.ReadFile(target); string(b) != "new" || err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("target holds %q, mode %v: want the new content and its own mode 0600", b, fi.Mode())
		}
	})
	t.Run("dangling symlink", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink(filepath.Join(dir, "sub", "..", "made.json"), link); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteFileAtomic(link, write("new")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "made.json")); string(b) != "new" {
			t.Errorf("target holds %q", b)
		}
	})
	t.Run("link loop", func(t *testing.T) {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.Symlink(b, a)
		os.Symlink(a, b)
		if err := report.WriteFileAtomic(a, write("x")); err == nil || !strings.Contains(err.Error(), "symbolic links") {
			t.Errorf("error %v, want a loop named", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		err := report.WriteFileAtomic(dir, write("x"))
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("error %v, want the directory refused", err)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "pipe")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			b, _ := io.ReadAll(f)
			f.Close()
			got <- string(b)
		}()
		if err := report.WriteFileAtomic(fifo, write("through the pipe")); err != nil {
			t.Fatal(err)
		}
		if s := <-got; s != "through the pipe" {
			t.Errorf("reader got %q", s)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
		}
	})
	t.Run("character device", func(t *testing.T) {
		// A node of /dev/null's device (1, 3) made here, so that a
		// regression replaces this node and not the machine's /dev/null.
		dir := t.TempDir()
		null := filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Skipf("mknod needs root: %v", err)
		}
		if err := report.WriteFileAtomic(null, write("discarded")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(null)
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("the device node became %v (%v)", fi.Mode(), err)
		}
	})
}
