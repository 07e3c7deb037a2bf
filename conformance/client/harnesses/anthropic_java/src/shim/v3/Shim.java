// The harness's reading of anthropic-java 3.0.0 on: a constant `type` is a JsonValue (`_type()`),
// and the run's error union reads its type and message itself. (src/shim/v2: the 2.x releases.)

import com.anthropic.models.beta.agents.BetaManagedAgentsAgentReference;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsDeploymentRun;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsManualTriggerContext;
import com.anthropic.models.beta.deploymentruns.BetaManagedAgentsScheduleTriggerContext;

final class Shim {
  /** The accessor of a variant's type tag. */
  static final String TAG = "_type";

  private Shim() {}

  static Object type(BetaManagedAgentsDeploymentRun run) {
    return run._type();
  }

  static Object type(BetaManagedAgentsAgentReference agent) {
    return agent._type();
  }

  static Object type(BetaManagedAgentsScheduleTriggerContext trigger) {
    return trigger._type();
  }

  static Object type(BetaManagedAgentsManualTriggerContext trigger) {
    return trigger._type();
  }

  static Object type(BetaManagedAgentsDeploymentRun.Error error) {
    return error.type();
  }

  static Object message(BetaManagedAgentsDeploymentRun.Error error) {
    return error.message();
  }
}
