package dev.gatehouse.appliance.admin;

import static dev.gatehouse.appliance.admin.AdminServer.jsonEscape;

import dev.gatehouse.appliance.reload.PolicyReloader;
import dev.gatehouse.appliance.reload.ReloadOutcome;
import dev.gatehouse.appliance.reload.RunningPolicies;
import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.policy.Policy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The JSON bodies of {@code GET /policies} and {@code POST /policies/reload}.
 *
 * <pre>
 * GET /policies
 *   {"loaded":"2025-01-01T12:00:00Z","trigger":"sighup","default-action":"allow",
 *    "inspection-timeout":"3s","policies":[{"name":"no-ssh","action":"block",
 *    "traffic":"net.dst.port == 22","established":true}, ...]}
 * POST /policies/reload
 *   200 {"status":"reloaded","policies":2}  (plus "tunnels-applied":["sites: peer lyon added"] when
 *       tunnels changed in place, "restart-needed":[...] when other settings changed)
 *   422 {"status":"refused","errors":["policies.rules[0].traffic: column 3: ... (line 5)"]}
 *   409 {"status":"no-file","reason":"..."}
 * </pre>
 */
final class PolicyEndpoints {
  /** RFC 9110 §15.5.21: the request was understood, but the file it asks to load is invalid. */
  static final HttpResponseStatus UNPROCESSABLE = HttpResponseStatus.valueOf(422);

  private PolicyEndpoints() {}

  /** One answer to a reload: status and body. */
  record Answer(HttpResponseStatus status, String json) {}

  /** The running policies, in order, with when and why they were loaded. */
  static String describe(PolicyReloader reloader) {
    RunningPolicies running = reloader.running();
    String rules = running.set().policies().stream().map(PolicyEndpoints::describe)
        .collect(Collectors.joining(",", "[", "]"));
    return "{\"loaded\":\"" + running.loadedAt() + "\""
        + ",\"trigger\":\"" + running.trigger().label() + "\""
        + reloader.file().map(f -> ",\"file\":\"" + jsonEscape(f.toString()) + "\"").orElse("")
        + ",\"default-action\":\"" + running.set().defaultVerdict().action().configName() + "\""
        + ",\"inspection-timeout\":\"" + ConfigNode.format(running.inspectionTimeout()) + "\""
        + ",\"policies\":" + rules + "}";
  }

  private static String describe(Policy policy) {
    StringBuilder json = new StringBuilder("{\"name\":\"").append(jsonEscape(policy.name()))
        .append("\",\"action\":\"").append(policy.action().configName())
        .append("\",\"traffic\":\"").append(jsonEscape(policy.traffic().text())).append('"');
    if (policy.overrideAddress() != null) {
      String address = NetUtil.toAddressString(policy.overrideAddress());
      String target = policy.overridePort() == 0 ? address
          : (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + policy.overridePort();
      json.append(",\"override\":\"").append(target).append('"');
    }
    if (policy.established()) {
      json.append(",\"established\":true");
    }
    return json.append('}').toString();
  }

  /** The answer to {@code POST /policies/reload}. */
  static Answer answer(ReloadOutcome outcome) {
    return switch (outcome) {
      case ReloadOutcome.Reloaded reloaded -> new Answer(HttpResponseStatus.OK,
          "{\"status\":\"reloaded\",\"policies\":" + reloaded.policies()
              + (reloaded.tunnelsApplied().isEmpty() ? ""
                  : ",\"tunnels-applied\":" + strings(reloaded.tunnelsApplied()))
              + (reloaded.sectionsNeedingRestart().isEmpty() ? ""
                  : ",\"restart-needed\":" + strings(reloaded.sectionsNeedingRestart()))
              + "}");
      case ReloadOutcome.Refused refused -> new Answer(UNPROCESSABLE,
          "{\"status\":\"refused\",\"errors\":"
              + strings(refused.errors().stream().map(ConfigError::toString).toList()) + "}");
      case ReloadOutcome.Unchanged unchanged -> new Answer(HttpResponseStatus.OK,
          "{\"status\":\"unchanged\"}");
      case ReloadOutcome.NoFile noFile -> new Answer(HttpResponseStatus.CONFLICT,
          "{\"status\":\"no-file\",\"reason\":\"running on the built-in defaults: there is no configuration"
              + " file to reload\"}");
    };
  }

  private static String strings(List<String> values) {
    return values.stream().map(v -> "\"" + jsonEscape(v) + "\"").collect(Collectors.joining(",", "[", "]"));
  }
}
