package html_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report/html"
)

// A report as one HTML file that opens anywhere: its table and its plots
// inside, nothing fetched.
func ExampleWriteReport() {
	rep := reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 1000, MedianMS: 100, Seed: 1, Rate: 5}))
	var page bytes.Buffer
	if err := html.WriteReport(&page, "h100.json", rep); err != nil {
		fmt.Println(err)
		return
	}
	s := page.String()
	fmt.Println("runs table:", strings.Contains(s, `<table class="runs">`))
	fmt.Println("plot embedded:", strings.Contains(s, `src="data:image/svg`))
	fmt.Println("scripts or remote links:", strings.Contains(s, "<script") || strings.Contains(s, `="http`))
	// Output:
	// runs table: true
	// plot embedded: true
	// scripts or remote links: false
}
