package plan_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/plan"
)

// Every plan key is a run flag of the same name (backends: --backend), and
// a plan's Args parsed by those flags give the plan back: a suite's --list
// prints what runs the same plan from a shell.
func TestArgsRoundTripThroughFlags(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{}`,
		`{"backends":["sim:inf2?chips=12","http://h:1/v1"],"model":"llama-2-7b","precision":"fp8","kv-precision":"fp8","workload":"chat","input-tokens":128,"output-tokens":0,
		  "scenario":"sweep","rates":[1,2.5],"burstiness":0.5,"workers":4,"max-workers":64,"max-lag":"2ms","shard":"1/4",
		  "duration":"30s","requests":400,"warmup":"1s","min-duration":"10s","min-requests":50,"early-stop":true,"ci-width":0.05,"ci-of":"ttft-p90",
		  "fail-fast-window":"0s","fail-fast-requests":7,"grace":"3s",
		  "slo":["latency-p99=500ms","ttft-p99=2s"],"confidence":0.95,"lag-budget":"5ms","lag-share":0.1,"max-error-rate":0,"allow-invalid":true,
		  "api":"completions","dialect":"azure","api-key-env":"K","header":["X-A=1,2","X-B=3"],"ca-cert":"ca.pem",
		  "connect-timeout":"1s","first-token-timeout":"2s","request-timeout":"3s","prompts":"p.jsonl","length-hints":false,"stream":false,"transport":"h1",
		  "telemetry":["nvml:0","nvml:1"],"telemetry-interval":"50ms","endpoint":"http://e:2/v1","scrape":"http://e:2/metrics",
		  "price":{"h100-sxm":4.5,"sim:inf2?chips=12":0.76},"trace":"t.csv","trace-format":"mooncake","speedup":10,"prefix-cache":false,"seed":9,"realtime":true,"concurrency":3,"rate":2,"concurrencies":[1,2]}`,
	} {
		var want plan.Plan
		if err := want.Decode([]byte(doc)); err != nil {
			t.Fatal(err)
		}
		var got plan.Plan
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f := plan.BindFlags(fs, &got, nil)
		if err := fs.Parse(want.Args()); err != nil {
			t.Fatalf("%s: %v", strings.Join(want.Args(), " "), err)
		}
		if err := f.Finish(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("round trip\n got %s\nwant %s", g, w)
		}
	}
}

// A flag given sets its field and one not given leaves it: bound over a
// suite job's plan, the flags after -- change only what they name.
func TestFlagsOverlayAPlan(t *testing.T) {
	t.Parallel()
	p := plan.Plan{Backends: []string{"sim:l4"}, Seed: 3, Load: plan.Load{Concurrency: 4}}
	fs := pflag.NewFlagSet("suite", pflag.ContinueOnError)
	f := plan.BindFlags(fs, &p, nil)
	if err := fs.Parse([]string{"--telemetry", "nvml:0", "--stream=false"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Finish(); err != nil {
		t.Fatal(err)
	}
	if p.Seed != 3 || p.Concurrency != 4 || len(p.Backends) != 1 || len(p.GPUs) != 1 || p.Stream == nil || *p.Stream || p.LengthHints != nil {
		t.Errorf("plan after the overlay: %+v", p)
	}
}

// An explicit zero that the plan would read as "the default" is refused.
func TestFlagsRefuseExplicitZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--concurrency", "0"}, {"--grace", "0s"}, {"--duration", "0s"}, {"--input-tokens", "0"}} {
		var p plan.Plan
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f := plan.BindFlags(fs, &p, nil)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := f.Finish(); !plan.IsInput(err) || !strings.Contains(err.Error(), args[0]+" 0") {
			t.Errorf("%v: %v, want an input error naming it", args, err)
		}
	}
}
