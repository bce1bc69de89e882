module github.com/inferbench/inferbench

go 1.26

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0
	github.com/spf13/pflag v1.1.0
	gonum.org/v1/gonum v0.17.0
)
