// drun-conformance harness for the Go SDK (github.com/anthropics/anthropic-sdk-go/v2), protocol 1
// (spec/harness/).
//
// One long-lived process, one small loop: read a command line from stdin, dispatch, write one
// answer line. The run is read as the SDK's documentation shows users reading it, from its struct
// fields and the variant `.AsAny()` gives for a union, and written back with each value's `%T`
// (`types`): a field the JSON metadata says was null or absent is written as null (the struct
// holds a zero value there), any other as the struct holds it. An HTTP error names the error
// type it came as (`exception`). No environment defaults, retries off.
//
// What differs between releases is in a compat_*.go file the build selects with a tag, and the
// build sets the import path: the v1 module is github.com/anthropics/anthropic-sdk-go, without /v2.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/respjson"
)

const sdkModule = "github.com/anthropics/anthropic-sdk-go/v2"

type message = map[string]any

var clients = map[[2]string]anthropic.Client{}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return
		}
		var command message
		if json.Unmarshal(line, &command) != nil {
			fmt.Fprintf(os.Stderr, "not a JSON command: %q\n", line)
			return
		}
		switch command["cmd"] {
		case "stop":
			return
		case "start":
			_ = out.Encode(cmdStart())
		case "run":
			_ = out.Encode(cmdRun(command))
		case "retrieve":
			_ = out.Encode(cmdRetrieve(command))
		case "list":
			_ = out.Encode(cmdList(command))
		default:
			_ = out.Encode(message{"seq": command["seq"], "ok": false, "unsupported": true})
		}
	}
}

func cmdStart() message {
	version := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sdkModule {
				version = dep.Version
			}
		}
	}
	return message{"ok": true, "implementation": message{"name": sdkModule, "version": version, "language": "go"}}
}

func client(baseURL, apiKey string) anthropic.Client {
	key := [2]string{baseURL, apiKey}
	if _, ok := clients[key]; !ok {
		clients[key] = anthropic.NewClient(
			option.WithoutEnvironmentDefaults(), // no ANTHROPIC_BASE_URL, no credential chain
			option.WithAPIKey(apiKey),
			option.WithBaseURL(baseURL),
			option.WithMaxRetries(0),
		)
	}
	return clients[key]
}

func cmdRun(command message) message {
	seq := command["seq"]
	params := anthropic.BetaDeploymentRunParams{}
	if betas, ok := command["betas"].([]any); ok {
		for _, beta := range betas {
			params.Betas = append(params.Betas, anthropic.AnthropicBeta(beta.(string)))
		}
	}
	c := client(command["base_url"].(string), command["api_key"].(string))
	run, err := c.Beta.Deployments.Run(context.Background(), command["deployment_id"].(string), params)
	if err != nil {
		return failure(seq, err)
	}
	variants := message{"/trigger_context": variantTag(run.TriggerContext.AsAny())}
	if run.JSON.Error.Valid() {
		variants["/error"] = variantTag(run.Error.AsAny())
	}
	types := message{}
	return message{"seq": seq, "outcome": "ok", "run": jsonOf(written(run), "", types), "types": types, "variants": variants}
}

// --- the run, as users read it ---------------------------------------------------------------

// node is an object of the run as the SDK holds it: the Go value (its type is reported) and
// the fields read from it.
type node struct {
	of     any
	fields message
}

func written(run *anthropic.BetaManagedAgentsDeploymentRun) node {
	agent := run.Agent
	trigger := run.TriggerContext
	triggerFields := message{"type": held(trigger.JSON.Type, trigger.Type)}
	if trigger.JSON.ScheduledAt.Raw() != respjson.Omitted { // a manual trigger has none
		triggerFields["scheduled_at"] = held(trigger.JSON.ScheduledAt, trigger.ScheduledAt)
	}
	return node{run, message{
		"id":   held(run.JSON.ID, run.ID),
		"type": held(run.JSON.Type, run.Type),
		"agent": held(run.JSON.Agent, node{agent, message{
			"id":      held(agent.JSON.ID, agent.ID),
			"type":    held(agent.JSON.Type, agent.Type),
			"version": held(agent.JSON.Version, agent.Version),
		}}),
		"created_at":    held(run.JSON.CreatedAt, run.CreatedAt),
		"deployment_id": held(run.JSON.DeploymentID, run.DeploymentID),
		"session_id":    held(run.JSON.SessionID, run.SessionID),
		"error": held(run.JSON.Error, node{variant(run.Error.AsAny(), run.Error), message{
			"type":    held(run.Error.JSON.Type, run.Error.Type),
			"message": held(run.Error.JSON.Message, run.Error.Message),
		}}),
		"trigger_context": held(run.JSON.TriggerContext, node{variant(trigger.AsAny(), trigger), triggerFields}),
	}}
}

// held is the value the struct holds, or null where the metadata says null or absent (the
// struct's zero value there is no value the API sent).
func held(field respjson.Field, value any) any {
	if !field.Valid() && (field.Raw() == respjson.Null || field.Raw() == respjson.Omitted) {
		return nil
	}
	return value
}

// variant is the struct AsAny gives for a union, or the union itself for none of the known.
func variant(known any, union any) any {
	if known == nil {
		return union
	}
	return known
}

// jsonOf is a value read from the SDK as JSON, each value's %T recorded at its pointer in types
// (null: no value). A time.Time is written in RFC 3339 with every digit it holds.
func jsonOf(value any, pointer string, types message) any {
	switch v := value.(type) {
	case nil:
		types[pointer] = nil
		return nil
	case node:
		types[pointer] = fmt.Sprintf("%T", v.of)
		fields := message{}
		for name, field := range v.fields {
			fields[name] = jsonOf(field, pointer+"/"+name, types)
		}
		return fields
	case time.Time:
		types[pointer] = fmt.Sprintf("%T", v)
		return v.Format(time.RFC3339Nano)
	}
	types[pointer] = fmt.Sprintf("%T", value)
	if text := reflect.ValueOf(value); text.Kind() == reflect.String {
		return text.String() // as held: a constant's MarshalJSON writes its default for ""
	}
	return value
}

// variantTag is the type tag of the variant struct AsAny built (null: none of the known): its
// constant's Default, the tag its class stands for, not the string the decoder wrote into it.
func variantTag(variant any) any {
	if variant == nil {
		return nil
	}
	tag := reflect.ValueOf(variant).FieldByName("Type")
	if !tag.IsValid() {
		return nil
	}
	if own := tag.MethodByName("Default"); own.IsValid() && own.Type().NumIn() == 0 && own.Type().NumOut() == 1 {
		return own.Call(nil)[0].String()
	}
	return tag.String()
}

func orNull(text string) any {
	if text == "" {
		return nil
	}
	return text
}
