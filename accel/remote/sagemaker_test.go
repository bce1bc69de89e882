package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
)

// sageMakerServer answers InvokeEndpointWithResponseStream with the
// container stream cut into PayloadPart frames every cut bytes (so pieces
// split lines, as SageMaker's do), after checking the request is signed for
// sagemaker and shaped as TGI and LMI take it.
func sageMakerServer(t *testing.T, container string, cut int) string {
	t.Helper()
	ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/endpoints/my-llama/invocations-response-stream" {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
			return
		}
		if a := r.Header.Get("Authorization"); !strings.Contains(a, "/us-west-2/sagemaker/aws4_request") {
			t.Errorf("Authorization %q: want SigV4 for sagemaker in us-west-2", a)
		}
		var body struct {
			Inputs     string `json:"inputs"`
			Parameters struct {
				MaxNewTokens int  `json:"max_new_tokens"`
				Details      bool `json:"details"`
			} `json:"parameters"`
			Stream bool `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Inputs == "" || body.Parameters.MaxNewTokens != 4 || !body.Stream {
			t.Errorf("request body %+v, %v", body, err)
		}
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		enc := eventstream.NewEncoder()
		for i := 0; i < len(container); i += cut {
			var hs eventstream.Headers
			hs.Set(":event-type", eventstream.StringValue("PayloadPart"))
			hs.Set(":content-type", eventstream.StringValue("application/octet-stream"))
			hs.Set(":message-type", eventstream.StringValue("event"))
			var b bytes.Buffer
			enc.Encode(&b, eventstream.Message{Headers: hs, Payload: []byte(container[i:min(i+cut, len(container))])})
			w.Write(b.Bytes())
			w.(http.Flusher).Flush()
		}
	})
	return ts.URL
}

// TestSageMakerContainers: TGI's server-sent events and LMI's JSON lines,
// cut anywhere, read into the same counts; TGI's final details give the
// generated tokens and why it stopped, and its special end token is no
// output text.
func TestSageMakerContainers(t *testing.T) {
	t.Parallel()
	tok := func(i int, text string, special bool) string {
		return fmt.Sprintf(`{"token":{"id":%d,"text":%q,"logprob":-0.5,"special":%v},"generated_text":null,"details":null}`, i, text, special)
	}
	tgi := "data:" + tok(1, " The", false) + "\n\n" + "data:" + tok(2, " quick", false) + "\n\n" + "data:" + tok(3, " brown", false) + "\n\n" +
		`data:{"token":{"id":4,"text":" fox","logprob":-0.1,"special":false},"generated_text":" The quick brown fox","details":{"finish_reason":"length","generated_tokens":4,"seed":null}}` + "\n\n"
	lmi := `{"token":{"id":1,"text":" The","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":2,"text":" quick","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":3,"text":" brown","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":4,"text":" fox","log_prob":-0.5},"generated_text":" The quick brown fox","details":{"finish_reason":"length","generated_tokens":4,"inputs":"x"}}` + "\n"
	tgiEOS := "data:" + tok(1, " The", false) + "\n\n" + "data:" + tok(2, " end", false) + "\n\n" +
		`data:{"token":{"id":2,"text":"</s>","logprob":0,"special":true},"generated_text":" The end","details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null}}` + "\n\n"
	for _, tc := range []struct {
		name, stream string
		cut          int
		want         accel.Result
		gaps         int
	}{
		{"tgi whole lines", tgi, 1 << 20, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"tgi cut every 7 bytes", tgi, 7, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"lmi cut every 13 bytes", lmi, 13, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"tgi end of sequence", tgiEOS, 50, accel.Result{OutputTokens: 3, Counted: accel.CountedUsage, FinishReason: accel.FinishStop}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := sageMakerServer(t, tc.stream, tc.cut)
			cfg := bedrockConfig(testAKID)
			cfg.Dialect, cfg.Region = remote.DialectSageMaker, "us-west-2"
			spec := cfg
			b := openModel(t, url, spec, "my-llama")
			var g gaps
			res := accel.Result{Gaps: &g}
			if err := b.Infer(context.Background(), &accel.Request{InputTokens: 8, OutputTokens: 4}, &res); err != nil {
				t.Fatal(err)
			}
			got := res
			got.TTFT, got.TTFO, got.Latency, got.Gaps = 0, 0, 0, nil
			if got != tc.want || len(g.d) != tc.gaps || res.TTFO != res.TTFT {
				t.Errorf("got %+v with %d gaps, want %+v with %d", got, len(g.d), tc.want, tc.gaps)
			}
		})
	}
}

// openModel is open with a model (a SageMaker endpoint name) of its own.
func openModel(t *testing.T, url string, cfg remote.Config, model string) *remote.Backend {
	t.Helper()
	spec, err := accel.ParseSpec(url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := remote.Opener{Config: cfg}.Open(spec, accel.Options{Model: model, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.(*remote.Backend)
}

func sageMakerConfig() remote.Config {
	cfg := bedrockConfig(testAKID)
	cfg.Dialect = remote.DialectSageMaker
	return cfg
}

// TestSageMakerFromServe: serve's sagemaker dialect and the client agree:
// TGI's lines in PayloadPart frames, the count from its details, a wrong
// access key refused once.
func TestSageMakerFromServe(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{Dialect: server.DialectSageMaker, APIKey: testAKID})
	b := open(t, ts.URL, sageMakerConfig())
	var g gaps
	res := accel.Result{Gaps: &g}
	if err := b.Infer(context.Background(), &accel.Request{InputTokens: 12, OutputTokens: 9}, &res); err != nil {
		t.Fatal(err)
	}
	if res.OutputTokens != 9 || res.Counted != accel.CountedUsage || res.FinishReason != accel.FinishLength || len(g.d) != 8 {
		t.Errorf("%+v with %d gaps; want 9 tokens from details, length, 8 gaps", res, len(g.d))
	}
	cfg := sageMakerConfig()
	cfg.AWSCredentials = credentials.NewStaticCredentialsProvider("AKIDOTHER", testSecret, "")
	bad := open(t, ts.URL, cfg)
	err := bad.Infer(context.Background(), &accel.Request{InputTokens: 2, OutputTokens: 2}, &res)
	if accel.ClassOf(err) != accel.ClassHTTP4xx || !strings.Contains(err.Error(), "credentials refused: HTTP 403") {
		t.Errorf("wrong key: %v", err)
	}
}
