package report

import (
	"errors"
	"io/fs"
)

// Load reads a report file to show or write it again: what ReadFile does,
// with a missing file named in one line, and the report redacted (nil
// redactor: redact's patterns), since one written before redaction existed,
// or edited by hand, may hold a secret.
func Load(path string) (*Report, error) {
	rep, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missingError(path)
	}
	if err != nil {
		return nil, err
	}
	rep.Redact(nil)
	return rep, nil
}

// missingError is Load's error for a report file that does not exist.
type missingError string

func (e missingError) Error() string        { return "report " + string(e) + ": no such file" }
func (e missingError) Is(target error) bool { return target == fs.ErrNotExist }
