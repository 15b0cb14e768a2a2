package dev.gatehouse.appliance.config;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.policy.expr.ExpressionException;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the {@code policies} section: the default action, the inspection timeout and the
 * ordered rules, each compiled with {@link Expression#compile}. Every rule is checked even
 * after an earlier one failed, so a file shows all its mistakes at once.
 */
final class PolicyConfigReader {
  /** Ours: long enough for 3 s of a slow client's first flight, short enough to notice. */
  static final Duration MIN_INSPECTION_TIMEOUT = Duration.ofMillis(100);
  static final Duration MAX_INSPECTION_TIMEOUT = Duration.ofMinutes(1);
  /** Ours: names go into log lines and the activity log unquoted, so they stay plain. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9._-]{1,63}");
  private static final String NAME_RULE = "1 to 63 characters of a-z, 0-9, '.', '_' and '-'";
  private static final String OVERRIDE_FORMS =
      "an address, address:port or [IPv6]:port like 198.18.21.10, 198.18.21.10:80 or [2001:2::10]:80";

  private PolicyConfigReader() {}

  /** Reads {@code policies} from its (possibly absent, hence empty) mapping. */
  static GatehouseConfig.PolicySettings read(ConfigMap m, ConfigErrors errors) {
    PolicyAction defaultAction = m.optional("default-action")
        .flatMap(n -> n.asChoice(List.of("allow", "block"), errors))
        .map(PolicyConfigReader::action)
        .orElse(PolicyAction.ALLOW);
    Duration inspectionTimeout = m.optional("inspection-timeout")
        .flatMap(n -> n.asDuration(MIN_INSPECTION_TIMEOUT, MAX_INSPECTION_TIMEOUT, errors))
        .orElse(Policies.DEFAULT_INSPECTION_TIMEOUT);
    List<Policy> rules = m.optional("rules")
        .flatMap(n -> n.asList(errors))
        .map(items -> rules(items, errors))
        .orElse(List.of());
    return new GatehouseConfig.PolicySettings(PolicySet.of(rules, defaultAction), inspectionTimeout);
  }

  /** The rules that are valid, in order; a name used before is refused, naming the first rule. */
  private static List<Policy> rules(List<ConfigNode> items, ConfigErrors errors) {
    List<Policy> rules = new ArrayList<>();
    Map<String, String> pathByName = new HashMap<>();
    for (ConfigNode item : items) {
      Optional<ConfigMap> map = item.asMap(errors);
      if (map.isPresent()) {
        rule(map.get(), pathByName, errors).ifPresent(rules::add);
        map.get().finish();
      }
    }
    return rules;
  }

  private static Optional<Policy> rule(ConfigMap m, Map<String, String> pathByName, ConfigErrors errors) {
    Optional<String> name = m.required("name").flatMap(n -> n.asString(errors)
        .filter(s -> isName(s, n, errors) && isUnique(s, n, m.node().path(), pathByName, errors)));
    Optional<Expression> traffic = m.required("traffic").flatMap(n -> n.asString(errors).flatMap(
        text -> compile(text, n, errors)));
    Optional<PolicyAction> action = m.required("action")
        .flatMap(n -> n.asChoice(List.of("allow", "block", "override"), errors))
        .map(PolicyConfigReader::action);
    Optional<Target> target = overrideTarget(m, action, errors);
    boolean established = established(m, action, errors);

    if (name.isEmpty() || traffic.isEmpty() || action.isEmpty()
        || (action.get() == PolicyAction.OVERRIDE && target.isEmpty())) {
      return Optional.empty();
    }
    InetAddress address = target.map(Target::address).orElse(null);
    int port = target.map(Target::port).orElse(0);
    return Optional.of(new Policy(name.get(), traffic.get(), action.get(), address, port, established));
  }

  private static boolean isUnique(String name, ConfigNode node, String rulePath, Map<String, String> pathByName,
      ConfigErrors errors) {
    String earlier = pathByName.putIfAbsent(name, rulePath);
    if (earlier == null) {
      return true;
    }
    errors.add(node, "\"" + name + "\" is already the name of " + earlier + "; names must be unique");
    return false;
  }

  private static boolean isName(String name, ConfigNode node, ConfigErrors errors) {
    if (NAME.matcher(name).matches()) {
      return true;
    }
    errors.add(node, "expected a name of " + NAME_RULE + ", got \"" + printable(name) + "\"");
    return false;
  }

  /**
   * The message keeps the compiler's column, which counts within the expression text (after
   * YAML has unquoted or folded it), beside the line where the value starts.
   */
  private static Optional<Expression> compile(String text, ConfigNode node, ConfigErrors errors) {
    try {
      return Optional.of(Expression.compile(text));
    } catch (ExpressionException e) {
      errors.add(node, e.getMessage());
      return Optional.empty();
    }
  }

  /** Where an override sends a flow; a port of 0 keeps the client's. */
  private record Target(InetAddress address, int port) {}

  private static Optional<Target> overrideTarget(ConfigMap m, Optional<PolicyAction> action, ConfigErrors errors) {
    Optional<ConfigNode> node = m.optional("override");
    boolean overriding = action.orElse(null) == PolicyAction.OVERRIDE;
    if (node.isEmpty()) {
      if (overriding) {
        errors.add(m.pathOf("override"), m.node().line(), "required when action is override: " + OVERRIDE_FORMS);
      }
      return Optional.empty();
    }
    if (action.isPresent() && !overriding) {
      errors.add(node.get(), "only allowed with action override, not " + action.get().configName());
      return Optional.empty();
    }
    return node.get().asString(errors).flatMap(text -> {
      Optional<Target> target = parseTarget(text.trim());
      if (target.isEmpty()) {
        errors.add(node.get(), "expected " + OVERRIDE_FORMS + ", got \"" + printable(text) + "\"");
      }
      return target;
    });
  }

  /** {@code 198.18.21.10}, {@code 2001:2::10}, {@code 198.18.21.10:80} or {@code [2001:2::10]:80}. */
  static Optional<Target> parseTarget(String text) {
    InetAddress bare = NetUtil.createInetAddressFromIpAddressString(text);
    if (bare != null) {
      return Optional.of(new Target(bare, 0));
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    String host = text.substring(0, colon);
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      return Optional.empty(); // an IPv6 address with a port needs brackets
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(host);
    int port = port(text.substring(colon + 1));
    if (address == null || port == 0 || bracketed != (address instanceof Inet6Address)) {
      return Optional.empty();
    }
    return Optional.of(new Target(address, port));
  }

  /** 1..65535, or 0 when the text is not one. */
  private static int port(String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return 0;
    }
    int port = Integer.parseInt(text);
    return port <= 0xffff ? port : 0;
  }

  private static boolean established(ConfigMap m, Optional<PolicyAction> action, ConfigErrors errors) {
    Optional<ConfigNode> node = m.optional("established");
    if (node.isEmpty()) {
      return false;
    }
    if (action.isPresent() && action.get() != PolicyAction.BLOCK) {
      errors.add(node.get(), "only allowed with action block (an open flow can be ended, not moved or"
          + " allowed again), not " + action.get().configName());
      return false;
    }
    return node.get().asBoolean(errors).orElse(false);
  }

  private static PolicyAction action(String configName) {
    return PolicyAction.valueOf(configName.toUpperCase(Locale.ROOT));
  }

  /** A user's text for a message: shortened, control characters shown as '?'. */
  private static String printable(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return shown.replaceAll("[\\p{Cntrl}\"\\\\]", "?");
  }
}
