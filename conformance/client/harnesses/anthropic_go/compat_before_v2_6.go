//go:build drun_before_v2_6

// anthropic-sdk-go v1.50.0 to v2.5.0: the API error has no Message field (new in v2.6.0); users
// read error.message from the body the error keeps (RawJSON).
package main

import (
	"encoding/json"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

func errorMessage(apiErr *anthropic.Error) string {
	var envelope struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(apiErr.RawJSON()), &envelope) // not JSON: no message, as v2.6.0's Message
	return envelope.Error.Message
}
