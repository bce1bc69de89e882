package report

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms travel in reports in HdrHistogram's V2 compressed encoding
// (base64 text, readable by every HdrHistogram implementation), in nanoseconds.

// EncodeHist compresses a histogram for the report.
func EncodeHist(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", err
	}
	return string(b), nil // already base64
}

// Bounds a histogram from a report must stay within. A report is input from
// another machine: a header claiming a huge value range at high precision
// would make the decoder allocate and scan millions of buckets, so those are
// refused before decoding.
const (
	maxHistHighest = int64(24 * time.Hour)
	maxHistDigits  = 3
	histHeaderSize = 40 // V2: 4 int32 + 2 int64 + 1 float64
)

// DecodeHist reads a histogram written by EncodeHist.
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	if err := checkHistHeader(s); err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return h, nil
}

// checkHistHeader reads the geometry in an encoded histogram's header and
// refuses ranges this tool never writes.
func checkHistHeader(s string) error {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	if len(raw) < 8 {
		return fmt.Errorf("encoded histogram too short (%d bytes)", len(raw))
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return err
	}
	defer z.Close()
	var hdr struct {
		Cookie, PayloadLen, NormOffset, Digits int32
		Lowest, Highest                        int64
		Ratio                                  float64
	}
	head := make([]byte, histHeaderSize)
	if _, err := io.ReadFull(z, head); err != nil {
		return fmt.Errorf("truncated histogram header: %v", err)
	}
	if err := binary.Read(bytes.NewReader(head), binary.BigEndian, &hdr); err != nil {
		return err
	}
	if hdr.Digits < 1 || hdr.Digits > maxHistDigits || hdr.Lowest < 1 || hdr.Highest > maxHistHighest || hdr.Highest < 2*hdr.Lowest {
		return fmt.Errorf("histogram range %d..%d ns at %d digits: want 1..%d ns at 1 to %d digits",
			hdr.Lowest, hdr.Highest, hdr.Digits, maxHistHighest, maxHistDigits)
	}
	return nil
}
