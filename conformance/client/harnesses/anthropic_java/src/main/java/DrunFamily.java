// The rest of the operation family for the Java harness: retrieve a run by id, and walk the
// listing with the SDK's own auto-pager (`list(params).autoPager()`, which fetches each next page
// as the loop needs it). Each run is read as DrunHarness.cmdRun reads its run.

import com.anthropic.client.AnthropicClient;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.beta.AnthropicBeta;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsDeploymentRun;
import com.anthropic.models.beta.deploymentruns.DeploymentRunListParams;
import com.anthropic.models.beta.deploymentruns.DeploymentRunRetrieveParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

final class DrunFamily {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DrunFamily() {}

  static ObjectNode cmdRetrieve(JsonNode command) {
    DeploymentRunRetrieveParams.Builder params =
        DeploymentRunRetrieveParams.builder().deploymentRunId(command.get("run_id").asText());
    betas(command).ifPresent(params::betas);
    return call(command, client -> read(client.beta().deploymentRuns().retrieve(params.build())));
  }

  static ObjectNode cmdList(JsonNode command) {
    return call(command, client -> {
      ArrayNode runs = NODES.arrayNode();
      for (BetaManagedAgentsDeploymentRun run : client.beta().deploymentRuns().list(listParams(command)).autoPager()) {
        runs.add(read(run));
      }
      ObjectNode answer = NODES.objectNode();
      answer.set("runs", runs);
      return answer;
    });
  }

  /** The filters as the SDK's builder takes them: a timestamp as an OffsetDateTime. */
  private static DeploymentRunListParams listParams(JsonNode command) {
    DeploymentRunListParams.Builder params = DeploymentRunListParams.builder();
    betas(command).ifPresent(params::betas);
    for (Iterator<Map.Entry<String, JsonNode>> it = command.get("filters").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> filter = it.next();
      JsonNode value = filter.getValue();
      switch (filter.getKey()) {
        case "deployment_id" -> params.deploymentId(value.asText());
        case "has_error" -> params.hasError(value.asBoolean());
        case "limit" -> params.limit(value.asInt());
        case "created_at[gt]" -> params.createdAtGt(OffsetDateTime.parse(value.asText()));
        case "created_at[gte]" -> params.createdAtGte(OffsetDateTime.parse(value.asText()));
        case "created_at[lt]" -> params.createdAtLt(OffsetDateTime.parse(value.asText()));
        case "created_at[lte]" -> params.createdAtLte(OffsetDateTime.parse(value.asText()));
        default -> throw new IllegalArgumentException("unknown filter " + filter.getKey());
      }
    }
    return params.build();
  }

  private static Optional<List<AnthropicBeta>> betas(JsonNode command) {
    JsonNode betas = command.get("betas");
    if (betas == null || betas.isNull()) {
      return Optional.empty();
    }
    List<AnthropicBeta> list = new ArrayList<>();
    betas.forEach(beta -> list.add(AnthropicBeta.of(beta.asText())));
    return Optional.of(list);
  }

  /** One call answered: ok with what `body` read, or the API error or anything else thrown. */
  private static ObjectNode call(JsonNode command, Function<AnthropicClient, ObjectNode> body) {
    ObjectNode answer = NODES.objectNode();
    answer.set("seq", command.get("seq"));
    AnthropicClient client = DrunHarness.client(command.get("base_url").asText(), command.get("api_key").asText());
    ObjectNode read;
    try {
      read = body.apply(client);
    } catch (AnthropicServiceException error) {
      return DrunHarness.apiError(answer, error);
    } catch (RuntimeException error) {
      answer.put("outcome", "client_error");
      answer.put("message", error.getClass().getSimpleName() + ": " + error.getMessage());
      return answer;
    }
    answer.put("outcome", "ok");
    answer.setAll(read);
    return answer;
  }

  /** One run as an ok answer gives it: run, types and variants. */
  private static ObjectNode read(BetaManagedAgentsDeploymentRun run) {
    ObjectNode answer = NODES.objectNode();
    DrunHarness.Reading reading = new DrunHarness.Reading();
    answer.set("run", reading.run(run));
    answer.set("types", reading.types);
    ObjectNode variants = answer.putObject("variants");
    run.error().ifPresent(error -> variants.set("/error", DrunHarness.variantTag(error)));
    variants.set("/trigger_context", DrunHarness.guarded(() -> DrunHarness.variantTag(run.triggerContext())));
    return answer;
  }
}
