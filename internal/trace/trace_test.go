package trace

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, text string, f Format) ([]Record, Format, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(text), f, "t")
	if err != nil {
		return nil, "", err
	}
	var out []Record
	for {
		var rec Record
		err := r.Next(&rec)
		if err == io.EOF {
			return out, r.Format(), nil
		}
		if err != nil {
			return out, r.Format(), err
		}
		out = append(out, rec)
	}
}

func TestFormats(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name, text string
		given      Format
		want       Format
		recs       []Record
	}{
		{"azure", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:17:04.0319600,3180,8\n2023-11-16 18:18:00,5,0\n", "", Azure,
			[]Record{{0, 4808, 10, nil}, {52 * ms, 3180, 8, nil}, {56*time.Second + 20040*time.Microsecond, 5, 0, nil}}},
		{"azure 2024 with zone, CRLF, across midnight", "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2024-05-10 23:59:59.5+00:00,1,2\r\n2024-05-11 00:00:00.25+00:00,3,4\r\n", "", Azure,
			[]Record{{0, 1, 2, nil}, {750 * ms, 3, 4, nil}}},
		{"azure columns in another order", "GeneratedTokens,TIMESTAMP,ContextTokens\n7,2023-01-01 00:00:01,9\n", "azure", Azure,
			[]Record{{0, 9, 7, nil}}},
		{"mooncake", `{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [0, 1]}` + "\n\n" + `{"timestamp": 1500, "input_length": 600, "output_length": 7, "hash_ids": [0, 2]}`, "", Mooncake,
			[]Record{{0, 1000, 5, []uint64{0, 1}}, {1500 * ms, 600, 7, []uint64{0, 2}}}},
		{"burstgpt", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,Conversation log\n5.5,GPT-4,1087,0,1087,Conversation log\n", "", BurstGPT,
			[]Record{{0, 472, 18, nil}, {500 * ms, 1087, 0, nil}}},
		{"out of order: arrives with the one ahead", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n10,m,1,1,2,x\n9,m,2,2,4,x\n11,m,3,3,6,x\n", "", BurstGPT,
			[]Record{{0, 1, 1, nil}, {0, 2, 2, nil}, {time.Second, 3, 3, nil}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			recs, f, err := readAll(t, c.text, c.given)
			if err != nil {
				t.Fatal(err)
			}
			if f != c.want {
				t.Errorf("format %q, want %q", f, c.want)
			}
			if len(recs) != len(c.recs) {
				t.Fatalf("%d records, want %d: %+v", len(recs), len(c.recs), recs)
			}
			for i, r := range recs {
				w := c.recs[i]
				if r.At != w.At || r.In != w.In || r.Out != w.Out || len(r.Hash) != len(w.Hash) {
					t.Errorf("record %d: %+v, want %+v", i, r, w)
				}
				for j := range w.Hash {
					if r.Hash[j] != w.Hash[j] {
						t.Errorf("record %d hash %d: %d, want %d", i, j, r.Hash[j], w.Hash[j])
					}
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		given      Format
		want       string
	}{
		{"empty", "", "", "empty"},
		{"unknown header", "a,b,c\n1,2,3\n", "", "cannot tell its format"},
		{"azure header missing a column", "TIMESTAMP,ContextTokens\n", "azure", "want columns TIMESTAMP, ContextTokens and GeneratedTokens"},
		{"bad timestamp", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023/11/16 18:17:03,1,1\n", "", "line 2: timestamp"},
		{"bad count", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,x,1\n", "", `line 2: token count "x"`},
		{"zero prompt", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,0,1\n", "", "prompt of 0 tokens"},
		{"short row", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,1\n", "", "2 fields: want 3"},
		{"bad json", "{\"timestamp\": 0, \n", "", "line 1: mooncake record"},
		{"bad seconds", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n-1,m,1,1,2,x\n", "", `timestamp "-1"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.text, c.given)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": "", "auto": "", "Azure": Azure, "mooncake": Mooncake, "BURSTGPT": BurstGPT} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, f, err, want)
		}
	}
	if _, err := ParseFormat("sharegpt"); err == nil || !strings.Contains(err.Error(), "valid: auto, azure, mooncake, burstgpt") {
		t.Errorf("ParseFormat(sharegpt): %v", err)
	}
}

// TestSharedTraces reads the public traces this repository's data came
// from, when they are beside it, and checks the counts their README gives.
func TestSharedTraces(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "traces")
	for file, want := range map[string]int{
		"AzureLLMInferenceTrace_code.csv": 8819, "AzureLLMInferenceTrace_conv.csv": 19366, "mooncake_conversation_trace.jsonl": 12031,
	} {
		f, err := os.Open(filepath.Join(dir, file))
		if errors.Is(err, os.ErrNotExist) {
			t.Skipf("%s not here", file)
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(f, "", file)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var rec Record
		for ; ; n++ {
			if err := r.Next(&rec); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		if n != want {
			t.Errorf("%s: %d records, want %d", file, n, want)
		}
	}
}

func TestCSVAllocatesNothing(t *testing.T) {
	var b strings.Builder
	b.WriteString("TIMESTAMP,ContextTokens,GeneratedTokens\n")
	for range 2000 {
		b.WriteString("2023-11-16 18:17:03.9799600,4808,10\n")
	}
	r, err := NewReader(strings.NewReader(b.String()), "", "t")
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	if a := testing.AllocsPerRun(1000, func() {
		if err := r.Next(&rec); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations a record, want 0", a)
	}
}
