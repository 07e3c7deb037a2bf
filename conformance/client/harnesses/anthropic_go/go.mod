module drun-conformance/harness/anthropic_go

go 1.25

require github.com/anthropics/anthropic-sdk-go/v2 v2.15.0
