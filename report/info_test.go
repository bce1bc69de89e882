package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/report"
)

// A report written before report.Info existed (when Backend embedded
// accel.Info: `inferbench run --backend sim:h100-sxm --requests 20`) reads
// and writes back byte for byte: the schema's own type kept the wire format.
func TestReportRoundTripsByteIdentical(t *testing.T) {
	t.Parallel()
	const path = "testdata/roundtrip/sim-h100-sxm.json"
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Backend.Info.Extra == nil || rep.Runs[0].Backend.Info.Profile == "" {
		t.Fatalf("%s: decoded %d runs, info %+v: want one run with a profile and extra facts", path, len(rep.Runs), rep.Runs)
	}
	var got bytes.Buffer
	if err := rep.Encode(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: re-encoded report differs:\n got %s\nwant %s", path, got.Bytes(), want)
	}
}

// InfoOf copies every field of accel.Info, and report.Info writes it as
// accel.Info's tags did. When accel.Info gains a field this fails: decide
// whether reports carry it, and add it to report.Info (and InfoOf) if so.
func TestInfoOfCopiesEveryField(t *testing.T) {
	t.Parallel()
	var in accel.Info
	v := reflect.ValueOf(&in).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("s" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(i + 1))
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.5)
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{"k": "v"}))
		default:
			t.Fatalf("accel.Info.%s: kind %s not set by this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	want, _ := json.Marshal(in)
	got, _ := json.Marshal(report.InfoOf(in))
	if !bytes.Equal(got, want) {
		t.Errorf("report.InfoOf(accel.Info) writes\n %s\nwant\n %s", got, want)
	}
	if n, m := reflect.TypeOf(report.Info{}).NumField(), v.NumField(); n != m {
		t.Errorf("report.Info has %d fields, accel.Info %d", n, m)
	}
}
