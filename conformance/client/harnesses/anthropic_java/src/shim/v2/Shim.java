// The harness's reading of anthropic-java 2.40.0 to 2.x: a `type` is an enum (`type()`), and the
// run's error union has no type or message of its own: they are read from the variant it holds.
// (src/shim/v3: 3.0.0 on.)

import com.anthropic.models.beta.agents.BetaManagedAgentsAgentReference;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsDeploymentRun;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsManualTriggerContext;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsScheduleTriggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.InvocationTargetException;

final class Shim {
  /** The accessor of a variant's type tag. */
  static final String TAG = "type";

  private Shim() {}

  static Object type(BetaManagedAgentsDeploymentRun run) {
    return run.type();
  }

  static Object type(BetaManagedAgentsAgentReference agent) {
    return agent.type();
  }

  static Object type(BetaManagedAgentsScheduleTriggerContext trigger) {
    return trigger.type();
  }

  static Object type(BetaManagedAgentsManualTriggerContext trigger) {
    return trigger.type();
  }

  static Object type(BetaManagedAgentsDeploymentRun.Error error) {
    return ofVariant(error, "type");
  }

  static Object message(BetaManagedAgentsDeploymentRun.Error error) {
    return ofVariant(error, "message");
  }

  /** The variant's own accessor; an unknown variant's field from its JSON (`_json()`, as 3.x reads it). */
  private static Object ofVariant(BetaManagedAgentsDeploymentRun.Error error, String accessor) {
    Object variant = DrunHarness.variant(error);
    if (variant == error) {
      return error._json().map(json -> json.convert(JsonNode.class)).map(fields -> fields.get(accessor)).orElse(null);
    }
    try {
      return variant.getClass().getMethod(accessor).invoke(variant);
    } catch (InvocationTargetException thrown) {
      throw thrown.getCause() instanceof RuntimeException cause ? cause : new IllegalStateException(thrown);
    } catch (ReflectiveOperationException failed) {
      throw new IllegalStateException(failed);
    }
  }
}
