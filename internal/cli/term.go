package cli

import (
	"strconv"
	"strings"
	"time"
)

// SourceDate reads SOURCE_DATE_EPOCH (reproducible-builds.org): when set, it
// is a report's creation time, so two runs of a simulated plan with one seed
// write byte-identical reports on one machine. Unset, it is the zero time.
func SourceDate(getenv func(string) string) (time.Time, error) {
	v := getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, Usagef("SOURCE_DATE_EPOCH %q: want whole seconds since 1970", v)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// ShellWords joins args into one line a shell splits back into them,
// quoting those it would split or expand.
func ShellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, " \t\"'$&;|<>()*?[]#~`\\") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
