package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes what write produces to path, as a user who typed
// `-o path` means it:
//
//   - a regular file (or none yet) is written through a temporary file in
//     the same folder and renamed into place, so a reader sees the old file
//     or the new one, never a half-written one, and a failed write leaves
//     the old file as it was; an existing file keeps its permissions;
//   - a symbolic link is followed, and its target replaced the same way:
//     the link stays a link (a dangling one gets its target created);
//   - anything else that is not a directory (/dev/null, /dev/stdout, a
//     FIFO, a terminal) is opened and written in place: renaming over it
//     would replace a device node with a file (as root) or a pipe a reader
//     waits on;
//   - a directory is refused, naming it.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	target, err := followLinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory: give a file to write, e.g. %s", path, filepath.Join(path, "inferbench-report.json"))
	case err == nil && !fi.Mode().IsRegular():
		return writeInPlace(path, target, write)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	mode := fs.FileMode(0o644)
	if err == nil {
		mode = fi.Mode().Perm()
	}
	return replace(path, target, mode, write)
}

// CheckOutput says, before any work, whether WriteFileAtomic could write
// path: it is not a directory, and the folder it would land in exists. A
// benchmark that runs for an hour and then cannot write its report has lost
// the hour; this is the check to make first.
func CheckOutput(path string) error {
	if path == "" {
		return errors.New("no output file given")
	}
	target, err := followLinks(path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: give a file to write, e.g. %s", path, filepath.Join(path, "inferbench-report.json"))
	}
	dir := filepath.Dir(target)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: the folder %s: %w", path, dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %s is not a folder", path, dir)
	}
	return nil
}

// maxLinks bounds how many symbolic links followLinks follows (as Linux's
// MAXSYMLINKS), so a loop of links is an error, not a hang.
const maxLinks = 40

// followLinks returns the path that path's chain of symbolic links ends
// at, which need not exist yet.
func followLinks(path string) (string, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil // not a link (or nothing there yet): the end of the chain
		}
		to, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(p), to)
		}
		p = to
	}
	return "", fmt.Errorf("%s: more than %d symbolic links in a row (a loop?)", path, maxLinks)
}

// writeInPlace writes to something that is not a regular file: a device,
// a FIFO, a terminal.
func writeInPlace(path, target string, write func(io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// replace writes a temporary file beside target and renames it over
// target.
func replace(path, target string, mode fs.FileMode, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename this finds nothing
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}
