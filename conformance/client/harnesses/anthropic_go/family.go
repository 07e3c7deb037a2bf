// The rest of the operation family: retrieve a run by id, and walk the listing with the SDK's
// own auto-pager (ListAutoPaging, which fetches each next page as Next needs it). Each run is
// read and written back as cmdRun's is.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

func cmdRetrieve(command message) message {
	seq := command["seq"]
	params := anthropic.BetaDeploymentRunGetParams{Betas: betasOf(command)}
	c := client(command["base_url"].(string), command["api_key"].(string))
	run, err := c.Beta.DeploymentRuns.Get(context.Background(), command["run_id"].(string), params)
	if err != nil {
		return failure(seq, err)
	}
	return withSeq(seq, readOne(run))
}

func cmdList(command message) message {
	seq := command["seq"]
	params, err := listParams(command)
	if err != nil {
		return message{"seq": seq, "outcome": "client_error", "message": err.Error()}
	}
	c := client(command["base_url"].(string), command["api_key"].(string))
	pager := c.Beta.DeploymentRuns.ListAutoPaging(context.Background(), params)
	runs := []any{}
	for pager.Next() {
		run := pager.Current()
		runs = append(runs, readOne(&run))
	}
	if err := pager.Err(); err != nil {
		return failure(seq, err)
	}
	return message{"seq": seq, "outcome": "ok", "runs": runs}
}

// listParams are the filters as the SDK's params struct takes them: a timestamp as a time.Time.
func listParams(command message) (anthropic.BetaDeploymentRunListParams, error) {
	params := anthropic.BetaDeploymentRunListParams{Betas: betasOf(command)}
	filters, _ := command["filters"].(map[string]any)
	for name, value := range filters {
		switch name {
		case "deployment_id":
			params.DeploymentID = anthropic.String(value.(string))
		case "has_error":
			params.HasError = anthropic.Bool(value.(bool))
		case "limit":
			params.Limit = anthropic.Int(int64(value.(float64)))
		default:
			at, err := time.Parse(time.RFC3339Nano, value.(string))
			if err != nil {
				return params, fmt.Errorf("%s: %w", name, err)
			}
			switch name {
			case "created_at[gt]":
				params.CreatedAtGt = anthropic.Time(at)
			case "created_at[gte]":
				params.CreatedAtGte = anthropic.Time(at)
			case "created_at[lt]":
				params.CreatedAtLt = anthropic.Time(at)
			case "created_at[lte]":
				params.CreatedAtLte = anthropic.Time(at)
			}
		}
	}
	return params, nil
}

func betasOf(command message) []anthropic.AnthropicBeta {
	var betas []anthropic.AnthropicBeta
	if given, ok := command["betas"].([]any); ok {
		for _, beta := range given {
			betas = append(betas, anthropic.AnthropicBeta(beta.(string)))
		}
	}
	return betas
}

// readOne is one run as an ok answer gives it: run, types and variants.
func readOne(run *anthropic.BetaManagedAgentsDeploymentRun) message {
	variants := message{"/trigger_context": variantTag(run.TriggerContext.AsAny())}
	if run.JSON.Error.Valid() {
		variants["/error"] = variantTag(run.Error.AsAny())
	}
	types := message{}
	return message{"run": jsonOf(written(run), "", types), "types": types, "variants": variants}
}

func withSeq(seq any, answer message) message {
	answer["seq"], answer["outcome"] = seq, "ok"
	return answer
}

// failure is the answer to a call that returned an error: an API error, or anything else.
func failure(seq any, err error) message {
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) {
		return message{
			"seq": seq, "outcome": "api_error", "status": apiErr.StatusCode,
			"error_type": orNull(string(apiErr.Type())), "message": errorMessage(apiErr),
			"request_id": orNull(apiErr.RequestID), "exception": fmt.Sprintf("%T", apiErr),
		}
	}
	return message{"seq": seq, "outcome": "client_error", "message": fmt.Sprintf("%T: %v", err, err)}
}
