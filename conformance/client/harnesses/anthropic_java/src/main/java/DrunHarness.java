// drun-conformance harness for the Java SDK (Maven com.anthropic:anthropic-java), protocol 1
// (spec/harness/).
//
// One long-lived JVM, one small loop: read a command line from stdin, dispatch, write one answer
// line, flush. The run is read as the SDK's documentation shows users reading it, through its
// typed accessors (`run.agent().version()`, `run.error()` and its variant accessors), never from
// the body, and written back as JSON with each value's class (`types`): a field whose accessor
// throws is written as the string "<unreadable: ...>". An HTTP error names the exception class
// thrown (`exception`). Retries are off. What differs between releases (how a `type` is typed) is
// read through Shim: src/shim/<range>/Shim.java, the one of the release's range chosen by the build.

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.Headers;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.beta.AnthropicBeta;
import com.anthropic.models.beta.agents.BetaManagedAgentsAgentReference;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsDeploymentRun;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsTriggerContext;
import com.anthropic.models.beta.deployments.DeploymentRunParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

public final class DrunHarness {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, AnthropicClient> CLIENTS = new HashMap<>();

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err); // whatever a library prints must not break the protocol
    for (String line; (line = in.readLine()) != null; ) {
      JsonNode command = JSON.readTree(line);
      String name = command.path("cmd").asText();
      if (name.equals("stop")) {
        break;
      }
      ObjectNode answer = switch (name) {
        case "start" -> cmdStart();
        case "run" -> cmdRun(command);
        case "retrieve" -> DrunFamily.cmdRetrieve(command);
        case "list" -> DrunFamily.cmdList(command);
        default -> JSON.createObjectNode().setAll(Map.of(
            "seq", command.path("seq"), "ok", JSON.getNodeFactory().booleanNode(false),
            "unsupported", JSON.getNodeFactory().booleanNode(true)));
      };
      out.print(JSON.writeValueAsString(answer) + "\n");
      out.flush();
    }
    System.exit(0); // OkHttp's pool threads would keep the JVM up
  }

  private static ObjectNode cmdStart() {
    ObjectNode answer = JSON.createObjectNode();
    String version = AnthropicClient.class.getPackage().getImplementationVersion();
    answer.put("ok", true);
    ObjectNode implementation = answer.putObject("implementation");
    implementation.put("name", "com.anthropic:anthropic-java");
    implementation.put("version", version == null ? "unknown" : version);
    implementation.put("language", "java");
    return answer;
  }

  static AnthropicClient client(String baseUrl, String apiKey) {
    // No fromEnv(): nothing of the environment reaches the client.
    return CLIENTS.computeIfAbsent(
        baseUrl + "\n" + apiKey,
        key -> AnthropicOkHttpClient.builder().apiKey(apiKey).baseUrl(baseUrl).maxRetries(0).build());
  }

  private static ObjectNode cmdRun(JsonNode command) {
    ObjectNode answer = JSON.createObjectNode();
    answer.set("seq", command.get("seq"));
    String id = command.get("deployment_id").asText();
    JsonNode betas = command.get("betas");
    AnthropicClient client = client(command.get("base_url").asText(), command.get("api_key").asText());
    BetaManagedAgentsDeploymentRun run;
    try {
      if (betas.isNull()) {
        run = client.beta().deployments().run(id);
      } else {
        List<AnthropicBeta> list = new ArrayList<>();
        betas.forEach(beta -> list.add(AnthropicBeta.of(beta.asText())));
        run = client.beta().deployments().run(DeploymentRunParams.builder().deploymentId(id).betas(list).build());
      }
    } catch (AnthropicServiceException error) {
      return apiError(answer, error);
    } catch (RuntimeException error) {
      answer.put("outcome", "client_error");
      answer.put("message", error.getClass().getSimpleName() + ": " + error.getMessage());
      return answer;
    }
    answer.put("outcome", "ok");
    Reading reading = new Reading();
    answer.set("run", reading.run(run));
    answer.set("types", reading.types);
    ObjectNode variants = answer.putObject("variants");
    run.error().ifPresent(error -> variants.set("/error", variantTag(error)));
    variants.set("/trigger_context", guarded(() -> variantTag(run.triggerContext())));
    return answer;
  }

  // --- the run, as users read it --------------------------------------------------------------

  /** One run read through its typed accessors: the values as JSON, each one's type by pointer. */
  static final class Reading {
    final ObjectNode types = JSON.createObjectNode();

    ObjectNode run(BetaManagedAgentsDeploymentRun run) {
      types.put("", run.getClass().getSimpleName());
      ObjectNode node = JSON.createObjectNode();
      node.set("id", read("/id", run::id));
      node.set("type", read("/type", () -> Shim.type(run)));
      node.set("agent", member("/agent", run::agent, a -> a, a -> agent((BetaManagedAgentsAgentReference) a)));
      node.set("created_at", read("/created_at", run::createdAt));
      node.set("deployment_id", read("/deployment_id", run::deploymentId));
      node.set("session_id", read("/session_id", run::sessionId));
      node.set("error", member("/error", run::error, DrunHarness::variant,
          e -> runError((BetaManagedAgentsDeploymentRun.Error) e)));
      node.set("trigger_context", member("/trigger_context", run::triggerContext, DrunHarness::variant,
          t -> trigger((BetaManagedAgentsTriggerContext) t)));
      return node;
    }

    private ObjectNode agent(BetaManagedAgentsAgentReference agent) {
      ObjectNode node = JSON.createObjectNode();
      node.set("id", read("/agent/id", agent::id));
      node.set("type", read("/agent/type", () -> Shim.type(agent)));
      node.set("version", read("/agent/version", agent::version));
      return node;
    }

    /** The error's type and message, as the release reads them (Shim). */
    private ObjectNode runError(BetaManagedAgentsDeploymentRun.Error error) {
      ObjectNode node = JSON.createObjectNode();
      node.set("type", read("/error/type", () -> Shim.type(error)));
      node.set("message", read("/error/message", () -> Shim.message(error)));
      return node;
    }

    private JsonNode trigger(BetaManagedAgentsTriggerContext trigger) {
      if (trigger.isSchedule()) {
        ObjectNode node = JSON.createObjectNode();
        node.set("type", read("/trigger_context/type", () -> Shim.type(trigger.asSchedule())));
        node.set("scheduled_at", read("/trigger_context/scheduled_at", () -> trigger.asSchedule().scheduledAt()));
        return node;
      }
      if (trigger.isManual()) {
        ObjectNode node = JSON.createObjectNode();
        node.set("type", read("/trigger_context/type", () -> Shim.type(trigger.asManual())));
        return node;
      }
      return trigger._json().map(DrunHarness::held).orElse(NullNode.getInstance()); // an unknown variant
    }

    /** A value read through its accessor, as JSON; an accessor that throws is written as such. */
    private JsonNode read(String pointer, Supplier<Object> accessor) {
      return member(pointer, accessor, value -> value, DrunHarness::json);
    }

    /** A member object: its type is the variant's class (`variant`), its fields read by `fields`. */
    private JsonNode member(
        String pointer, Supplier<Object> accessor, Function<Object, Object> variant, Function<Object, JsonNode> fields) {
      Object value;
      try {
        value = present(accessor.get());
        types.put(pointer, value == null ? null : variant.apply(value).getClass().getSimpleName());
      } catch (RuntimeException error) {
        types.put(pointer, UNREADABLE);
        return unreadable(error);
      }
      return value == null ? NullNode.getInstance() : fields.apply(value);
    }
  }

  private static final String UNREADABLE = "<unreadable>";

  private static Object present(Object value) {
    return value instanceof Optional<?> optional ? optional.orElse(null) : value;
  }

  private static JsonNode unreadable(RuntimeException error) {
    return TextNode.valueOf("<unreadable: " + error.getClass().getSimpleName() + ": " + error.getMessage() + ">");
  }

  /** A value the SDK handed out, as JSON: a timestamp in RFC 3339 with every digit it holds. */
  private static JsonNode json(Object value) {
    if (value == null) {
      return NullNode.getInstance();
    }
    if (value instanceof OffsetDateTime instant) {
      return TextNode.valueOf(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant));
    }
    if (value instanceof JsonValue held) {
      return held(held);
    }
    if (value instanceof com.anthropic.core.Enum constant) {
      return TextNode.valueOf(enumText(constant));
    }
    return value instanceof JsonNode node ? node : JSON.valueToTree(value);
  }

  /** The variant object a union holds (its isX/asX accessors), or the union itself for none of the known. */
  static Object variant(Object union) {
    for (Method is : union.getClass().getMethods()) {
      String name = is.getName();
      if (!name.startsWith("is") || name.equals("isValid") || is.getParameterCount() != 0
          || is.getReturnType() != boolean.class) {
        continue;
      }
      try {
        if ((boolean) is.invoke(union)) {
          return union.getClass().getMethod("as" + name.substring(2)).invoke(union);
        }
      } catch (ReflectiveOperationException error) {
        throw new IllegalStateException(error);
      }
    }
    return union;
  }

  /** The type tag of the variant object the SDK built for a union (null: none of the known). */
  static JsonNode variantTag(Object union) {
    Object variant = variant(union);
    if (variant == union) {
      return NullNode.getInstance();
    }
    try {
      return json(variant.getClass().getMethod(Shim.TAG).invoke(variant));
    } catch (ReflectiveOperationException error) {
      throw new IllegalStateException(error);
    }
  }

  /** What `reading` gives, or the exception it threw, written as such. */
  static JsonNode guarded(Supplier<JsonNode> reading) {
    try {
      return reading.get();
    } catch (RuntimeException error) {
      return unreadable(error);
    }
  }

  /** A raw value the SDK keeps as JsonValue (a constant, an unknown variant). */
  private static JsonNode held(JsonValue value) {
    JsonNode node = value.convert(JsonNode.class);
    return node == null ? NullNode.getInstance() : node;
  }

  // --- HTTP errors --------------------------------------------------------------------------

  static ObjectNode apiError(ObjectNode answer, AnthropicServiceException error) {
    JsonNode envelope = Optional.ofNullable(error.body().convert(JsonNode.class)).orElse(NullNode.getInstance());
    answer.put("outcome", "api_error");
    answer.put("status", error.statusCode());
    answer.set("error_type", accessor(error, "type", () -> text(envelope.path("error").path("type"))));
    answer.set("message", accessor(error, "apiMessage", () -> text(envelope.path("error").path("message"))));
    answer.set("request_id", accessor(error, "requestId", () -> firstHeader(error.headers(), "request-id")));
    answer.put("exception", error.getClass().getSimpleName());
    return answer;
  }

  /**
   * What an Optional accessor of newer releases gives, as a JSON string (empty: null); a release
   * without it (3.3.0 has fewer) is read as its users must, from the body or the headers.
   */
  private static JsonNode accessor(AnthropicServiceException error, String name, Supplier<Optional<JsonNode>> without) {
    Method method;
    try {
      method = error.getClass().getMethod(name);
    } catch (NoSuchMethodException absent) {
      return without.get().orElse(NullNode.getInstance());
    }
    try {
      Optional<?> value = (Optional<?>) method.invoke(error);
      return value.<JsonNode>map(v -> TextNode.valueOf(v instanceof com.anthropic.core.Enum e ? enumText(e) : v.toString()))
          .orElse(NullNode.getInstance());
    } catch (IllegalAccessException | InvocationTargetException failed) {
      throw new IllegalStateException(failed);
    }
  }

  private static String enumText(com.anthropic.core.Enum value) {
    try {
      return (String) value.getClass().getMethod("asString").invoke(value);
    } catch (ReflectiveOperationException error) {
      return value.toString();
    }
  }

  private static Optional<JsonNode> text(JsonNode node) {
    return node.isTextual() ? Optional.of(node) : Optional.empty();
  }

  private static Optional<JsonNode> firstHeader(Headers headers, String name) {
    List<String> values = headers.values(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(TextNode.valueOf(values.get(0)));
  }
}
