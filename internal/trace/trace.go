// Package trace reads production request traces (when each request arrived,
// how long its prompt and completion were, which prompt prefixes it shared)
// one record at a time, so a week-long multi-gigabyte trace replays in
// constant memory: nothing is kept but the current line.
//
// Three formats are read:
//
//   - azure: the Azure LLM inference traces (Patel et al., "Splitwise",
//     ISCA 2024; DynamoLLM, HPCA 2025), CSV with TIMESTAMP (a date and time
//     of day), ContextTokens and GeneratedTokens.
//   - mooncake: the Mooncake traces (Qin et al., FAST 2025), JSON lines with
//     timestamp (ms from the start), input_length, output_length and
//     hash_ids, the ids of the prompt's 512-token prefix blocks.
//   - burstgpt: BurstGPT (Wang et al., 2024), CSV with Timestamp (seconds
//     from the start), Model, Request tokens, Response tokens, Total tokens
//     and Log Type.
//
// The format is detected from the first line, or given.
package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format names a trace file format.
type Format string

// The formats.
const (
	Azure    Format = "azure"
	Mooncake Format = "mooncake"
	BurstGPT Format = "burstgpt"
)

// Formats lists the formats this package reads.
func Formats() []Format { return []Format{Azure, Mooncake, BurstGPT} }

// ParseFormat checks a format name, ignoring case; "" and "auto" mean
// "detect it" and return "". The error lists the valid ones.
func ParseFormat(s string) (Format, error) {
	if s == "" || strings.EqualFold(s, "auto") {
		return "", nil
	}
	for _, f := range Formats() {
		if strings.EqualFold(string(f), s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown trace format %q; valid: auto, %s", s, formatList())
}

func formatList() string {
	var s []string
	for _, f := range Formats() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// BlockTokens is the length of one prefix block that a hash id names
// (Mooncake's block size).
const BlockTokens = 512

// Record is one request of a trace.
type Record struct {
	// At is when the request arrived, after the trace's first request. A
	// record stamped before the one ahead of it is read as arriving with it,
	// so arrivals never go back in time.
	At time.Duration
	// In and Out are the prompt and completion lengths in tokens.
	In, Out int
	// Hash are the ids of the prompt's BlockTokens-token prefix blocks
	// (mooncake only, nil otherwise): requests with equal ids share those
	// blocks. The slice is reused by the next call to Next.
	Hash []uint64
}

// Reader reads a trace one record at a time. It holds one line, whatever
// the trace's length.
type Reader struct {
	br     *bufio.Reader
	name   string
	format Format
	line   int
	t0     int64 // the first record's timestamp, ns
	last   time.Duration
	begun  bool
	cols   columns
	js     struct {
		Timestamp    float64  `json:"timestamp"`
		InputLength  int      `json:"input_length"`
		OutputLength int      `json:"output_length"`
		HashIDs      []uint64 `json:"hash_ids"`
	}
}

// columns are the indices of a CSV trace's fields.
type columns struct{ at, in, out, n int }

// NewReader reads a trace from r; name (a file name) is for errors. An
// empty format is detected from the first line: '{' is mooncake, a header
// with ContextTokens azure, one with "Request tokens" burstgpt.
func NewReader(r io.Reader, format Format, name string) (*Reader, error) {
	t := &Reader{br: bufio.NewReaderSize(r, 64<<10), name: name, format: format}
	if format == Mooncake {
		return t, nil
	}
	first, err := t.br.Peek(1)
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("trace %s: empty", name)
		}
		return nil, fmt.Errorf("trace %s: %w", name, err)
	}
	if format == "" && first[0] == '{' {
		t.format = Mooncake
		return t, nil
	}
	head, err := t.readLine()
	if err != nil {
		return nil, fmt.Errorf("trace %s: reading its header: %w", name, err)
	}
	h := string(head)
	detected := Format("")
	switch {
	case strings.Contains(h, "ContextTokens"):
		detected = Azure
	case strings.Contains(h, "Request tokens"):
		detected = BurstGPT
	}
	if t.format == "" {
		if detected == "" {
			return nil, fmt.Errorf("trace %s: cannot tell its format from its first line %q; give one of %s (--trace-format)", name, clip(h), formatList())
		}
		t.format = detected
	}
	want := map[Format][3]string{
		Azure:    {"TIMESTAMP", "ContextTokens", "GeneratedTokens"},
		BurstGPT: {"Timestamp", "Request tokens", "Response tokens"},
	}[t.format]
	t.cols = columns{-1, -1, -1, 0}
	for i, c := range strings.Split(h, ",") {
		c = strings.TrimSpace(c)
		t.cols.n = i + 1
		switch c {
		case want[0]:
			t.cols.at = i
		case want[1]:
			t.cols.in = i
		case want[2]:
			t.cols.out = i
		}
	}
	if t.cols.at < 0 || t.cols.in < 0 || t.cols.out < 0 {
		return nil, fmt.Errorf("trace %s: %s header %q: want columns %s, %s and %s", name, t.format, clip(h), want[0], want[1], want[2])
	}
	return t, nil
}

// Format is the trace's format, given or detected.
func (t *Reader) Format() Format { return t.format }

// Next reads the next record into rec; io.EOF at the end. Errors name the
// file and line. For CSV traces it allocates nothing.
func (t *Reader) Next(rec *Record) error {
	for {
		b, err := t.readLine()
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var at int64
		if t.format == Mooncake {
			at, err = t.mooncake(b, rec)
		} else {
			at, err = t.csv(b, rec)
		}
		if err != nil {
			return fmt.Errorf("trace %s line %d: %w", t.name, t.line, err)
		}
		if !t.begun {
			t.t0, t.begun = at, true
		}
		rec.At = max(time.Duration(at-t.t0), t.last)
		t.last = rec.At
		return nil
	}
}

// readLine returns the next line without its end; io.EOF after the last.
// A line longer than the buffer is gathered once (a Mooncake line with
// thousands of hash ids), then the buffer's own slice is used again.
func (t *Reader) readLine() ([]byte, error) {
	b, err := t.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull {
			b, err = t.br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if err != nil && !(err == io.EOF && len(b) > 0) {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("trace %s: %w", t.name, err)
	}
	t.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r")), nil
}

func (t *Reader) mooncake(b []byte, rec *Record) (int64, error) {
	t.js.HashIDs = rec.Hash[:0]
	t.js.Timestamp, t.js.InputLength, t.js.OutputLength = 0, 0, 0
	if err := json.Unmarshal(b, &t.js); err != nil {
		return 0, fmt.Errorf("mooncake record %q: %v", clip(string(b)), err)
	}
	if t.js.InputLength < 1 || t.js.OutputLength < 0 {
		return 0, fmt.Errorf("input_length %d, output_length %d: want at least 1 prompt token and no negative completion", t.js.InputLength, t.js.OutputLength)
	}
	rec.In, rec.Out, rec.Hash = t.js.InputLength, t.js.OutputLength, t.js.HashIDs
	return int64(t.js.Timestamp * 1e6), nil // ms
}

func (t *Reader) csv(b []byte, rec *Record) (int64, error) {
	var at int64
	in, out := -1, -1
	i := 0
	for rest, more := b, true; more; i++ {
		var field []byte
		field, rest, more = bytes.Cut(rest, []byte{','})
		field = bytes.TrimSpace(field)
		var err error
		switch i {
		case t.cols.at:
			if t.format == Azure {
				at, err = parseStamp(field)
			} else {
				at, err = parseSeconds(field)
			}
		case t.cols.in:
			in, err = parseCount(field)
		case t.cols.out:
			out, err = parseCount(field)
		}
		if err != nil {
			return 0, err
		}
	}
	if i != t.cols.n {
		return 0, fmt.Errorf("%d fields: want %d as in the header", i, t.cols.n)
	}
	if in < 1 {
		return 0, fmt.Errorf("prompt of %d tokens: want at least 1", in)
	}
	rec.In, rec.Out, rec.Hash = in, out, rec.Hash[:0]
	return at, nil
}

var errCount = errors.New("want a count of tokens")

// parseCount reads a non-negative integer.
func parseCount(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 9 {
		return 0, fmt.Errorf("token count %q: %w", b, errCount)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("token count %q: %w", b, errCount)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// parseSeconds reads a non-negative decimal number of seconds as ns.
func parseSeconds(b []byte) (int64, error) {
	whole, frac, _ := bytes.Cut(b, []byte("."))
	s, err1 := digits(whole)
	f, err2 := fraction(frac)
	if len(whole) == 0 || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("timestamp %q: want seconds, e.g. 5 or 5.25", b)
	}
	return s*1e9 + f, nil
}

// parseStamp reads an Azure timestamp, "2023-11-16 18:17:03.9799600" (the
// 2024 traces add "+00:00"), as ns since 1970 in its own zone: only the
// differences matter.
func parseStamp(b []byte) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("timestamp %q: want YYYY-MM-DD HH:MM:SS[.fraction], e.g. 2023-11-16 18:17:03.9799600", b)
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return bad()
	}
	var v [6]int64
	for i, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		n, err := digits(b[r[0]:r[1]])
		if err != nil {
			return bad()
		}
		v[i] = n
	}
	rest := b[19:]
	var frac int64
	if len(rest) > 0 && rest[0] == '.' {
		end := 1
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		f, err := fraction(rest[1:end])
		if err != nil {
			return bad()
		}
		frac, rest = f, rest[end:]
	}
	// A zone: Z or ±HH:MM. The traces are in one zone throughout; it is
	// checked, not applied.
	if len(rest) > 0 && !(len(rest) == 1 && rest[0] == 'Z') && !(len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
		return bad()
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return bad()
	}
	days := daysFromCivil(v[0], v[1], v[2])
	return ((days*24+v[3])*60+v[4])*60*1e9 + v[5]*1e9 + frac, nil
}

// daysFromCivil is the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func digits(b []byte) (int64, error) {
	if len(b) > 18 {
		return 0, errCount
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errCount
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// fraction reads the digits after a decimal point as ns (beyond 9 digits
// are dropped).
func fraction(b []byte) (int64, error) {
	var n int64
	for i, c := range b {
		if c < '0' || c > '9' {
			return 0, errCount
		}
		if i < 9 {
			n = n*10 + int64(c-'0')
		}
	}
	for i := len(b); i < 9; i++ {
		n *= 10
	}
	return n, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
