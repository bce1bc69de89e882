package sim

import (
	"fmt"
	"os"

	"github.com/inferbench/inferbench/fixtures"
)

// ReadCalibration reads and parses the calibration file at path, or the
// embedded published measurements when path is "". name says which, for
// messages. Its errors name the file.
func ReadCalibration(path string) (f *CalibrationFile, name string, err error) {
	data, name := fixtures.Calibration(), "embedded fixtures/calibration.json"
	if path != "" {
		name = path
		if data, err = os.ReadFile(path); err != nil {
			return nil, name, fmt.Errorf("calibration file: %w", err)
		}
	}
	if f, err = ParseCalibration(data); err != nil {
		return nil, name, fmt.Errorf("%s: %w", name, err)
	}
	return f, name, nil
}
