//go:build !drun_before_v2_6

// anthropic-sdk-go v2.6.0 on: the API error holds the body's error.message.
package main

import "github.com/anthropics/anthropic-sdk-go/v2"

func errorMessage(apiErr *anthropic.Error) string {
	return apiErr.Message
}
