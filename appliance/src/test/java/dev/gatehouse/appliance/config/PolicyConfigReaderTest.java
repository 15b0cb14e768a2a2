package dev.gatehouse.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.Verdict;
import dev.gatehouse.core.tunnel.TunnelProviders;
import java.io.StringReader;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyConfigReaderTest {
  private final GatehouseConfigReader reader = new GatehouseConfigReader(
      TunnelProviders.load(getClass().getClassLoader()), SecretSource.of(Map.of()));

  private GatehouseConfig.PolicySettings read(String yaml) throws ConfigException {
    return reader.read(new StringReader(yaml), "test.yaml").policies();
  }

  private List<String> errorsOf(String yaml) {
    ConfigException e = assertThrows(ConfigException.class, () -> read(yaml));
    return e.errors().stream().map(ConfigError::toString).toList();
  }

  private static FlowDescription tcpTo(String address, int port) throws Exception {
    return new FlowDescription("tcp", InetAddress.getByName("198.18.0.2"), 40000,
        InetAddress.getByName(address), port, "branch-1", "site-a", 0);
  }

  @Test
  void defaultsToAllowingEverythingWithTheCoreInspectionTimeout() throws Exception {
    GatehouseConfig.PolicySettings policies = reader.defaults().policies();

    assertTrue(policies.set().policies().isEmpty());
    assertEquals(PolicyAction.ALLOW, policies.set().defaultVerdict().action());
    assertEquals(Policies.DEFAULT_INSPECTION_TIMEOUT, policies.inspectionTimeout());
    GatehouseConfig.PolicySettings empty = read("policies:\n  rules:\n");
    assertTrue(empty.set().policies().isEmpty());
    assertEquals(Policies.DEFAULT_INSPECTION_TIMEOUT, empty.inspectionTimeout());
  }

  @Test
  void readsEveryFieldOfEveryRuleInOrder() throws Exception {
    GatehouseConfig.PolicySettings policies = read("""
        policies:
          default-action: block
          inspection-timeout: 500ms
          rules:
            - name: no-ssh
              traffic: 'net.dst.ip in {198.18.20.0/24} and net.dst.port == 22'
              action: block
              established: true
            - name: to-other
              traffic: 'net.dst.port == 8080'
              action: override
              override: 198.18.21.10:80
            - name: web.ok_1
              traffic: net.dst.port in {80 443}
              action: allow
        """);

    assertEquals(Duration.ofMillis(500), policies.inspectionTimeout());
    PolicySet set = policies.set();
    assertEquals(PolicyAction.BLOCK, set.defaultVerdict().action());
    assertEquals(List.of("no-ssh", "to-other", "web.ok_1"), set.policies().stream().map(Policy::name).toList());
    Policy noSsh = set.policies().get(0);
    assertEquals(PolicyAction.BLOCK, noSsh.action());
    assertTrue(noSsh.established());
    assertEquals("net.dst.ip in {198.18.20.0/24} and net.dst.port == 22", noSsh.traffic().text());
    Policy override = set.policies().get(1);
    assertEquals(InetAddress.getByName("198.18.21.10"), override.overrideAddress());
    assertEquals(80, override.overridePort());
    assertFalse(override.established());

    // the compiled set decides as the file says, first match first
    assertEquals("no-ssh", set.decide(tcpTo("198.18.20.5", 22)).policyName());
    Verdict overridden = set.decide(tcpTo("198.18.30.1", 8080));
    assertEquals(PolicyAction.OVERRIDE, overridden.action());
    assertEquals(80, overridden.overridePort(8080));
    assertEquals(PolicyAction.ALLOW, set.decide(tcpTo("198.18.30.1", 443)).action());
    assertEquals(PolicyAction.BLOCK, set.decide(tcpTo("198.18.30.1", 25)).action());
    assertNull(set.decide(tcpTo("198.18.30.1", 25)).policyName());
  }

  @Test
  void readsEveryOverrideForm() throws Exception {
    GatehouseConfig.PolicySettings policies = read("""
        policies:
          rules:
            - {name: v4, traffic: net.dst.port == 1, action: override, override: 198.18.21.10}
            - {name: v4-port, traffic: net.dst.port == 2, action: override, override: "198.18.21.10:8080"}
            - {name: v6, traffic: net.dst.port == 3, action: override, override: "2001:2::10"}
            - {name: v6-port, traffic: net.dst.port == 4, action: override, override: "[2001:2::10]:443"}
        """);

    List<Policy> rules = policies.set().policies();
    assertEquals(InetAddress.getByName("198.18.21.10"), rules.get(0).overrideAddress());
    assertEquals(0, rules.get(0).overridePort(), "a bare address keeps the client's port");
    assertEquals(8080, rules.get(1).overridePort());
    assertEquals(InetAddress.getByName("2001:2::10"), rules.get(2).overrideAddress());
    assertEquals(0, rules.get(2).overridePort());
    assertEquals(InetAddress.getByName("2001:2::10"), rules.get(3).overrideAddress());
    assertEquals(443, rules.get(3).overridePort());
  }

  @Test
  void refusesABadExpressionWithPathLineAndColumn() {
    List<String> errors = errorsOf("""
        policies:
          rules:
            - name: ok
              traffic: net.dst.port == 22
              action: block
            - name: broken
              traffic: 'net.dst.port in {22'
              action: block
            - name: unknown-field
              traffic: net.dst.prot == 22
              action: allow
        """);

    assertEquals(2, errors.size(), errors.toString());
    assertTrue(errors.get(0).matches("policies\\.rules\\[1\\]\\.traffic: column \\d+: .+ \\(line 7\\)"), errors.get(0));
    assertTrue(errors.get(1).matches("policies\\.rules\\[2\\]\\.traffic: column 1: .+ \\(line 10\\)"), errors.get(1));
  }

  @Test
  void namesTheColumnTheCompilerReports() throws Exception {
    String expression = "net.dst.port == 22 and";
    int column = assertThrows(dev.gatehouse.core.policy.expr.ExpressionException.class,
        () -> dev.gatehouse.core.policy.expr.Expression.compile(expression)).column();

    List<String> errors = errorsOf("policies:\n  rules:\n    - name: a\n      traffic: '" + expression
        + "'\n      action: block\n");

    assertTrue(errors.getFirst().startsWith("policies.rules[0].traffic: column " + column + ": "), errors.toString());
    assertTrue(errors.getFirst().endsWith("(line 4)"), errors.toString());
  }

  @Test
  void refusesBadNamesAndRepeatedNames() {
    List<String> errors = errorsOf("""
        policies:
          rules:
            - name: No_Caps
              traffic: net.dst.port == 1
              action: block
            - name: same
              traffic: net.dst.port == 2
              action: block
            - name: same
              traffic: net.dst.port == 3
              action: allow
            - name: ''
              traffic: net.dst.port == 4
              action: allow
            - name: %s
              traffic: net.dst.port == 5
              action: allow
        """.formatted("x".repeat(64)));

    String rule = "1 to 63 characters of a-z, 0-9, '.', '_' and '-'";
    assertEquals(List.of(
        "policies.rules[0].name: expected a name of " + rule + ", got \"No_Caps\" (line 3)",
        "policies.rules[2].name: \"same\" is already the name of policies.rules[1]; names must be unique (line 9)",
        "policies.rules[3].name: expected a name of " + rule + ", got \"\" (line 12)",
        "policies.rules[4].name: expected a name of " + rule + ", got \"" + "x".repeat(40) + "...\" (line 15)"),
        errors);
  }

  @Test
  void refusesMissingKeysUnknownKeysAndBadActions() {
    List<String> errors = errorsOf("""
        policies:
          default-action: override
          inspection-timeout: 2m
          rule: []
          rules:
            - action: drop
              trafic: net.dst.port == 1
        """);

    assertEquals(List.of(
        "policies.default-action: expected one of allow, block, got \"override\" (line 2)",
        "policies.inspection-timeout: expected 100ms..1m, got 2m (line 3)",
        "policies.rule: unknown setting; expected one of default-action, inspection-timeout, rules (line 4)",
        "policies.rules[0].action: expected one of allow, block, override, got \"drop\" (line 6)",
        "policies.rules[0].name: required setting is missing (line 6)",
        "policies.rules[0].traffic: required setting is missing (line 6)",
        "policies.rules[0].trafic: unknown setting; expected one of name, traffic, action, override, established"
            + " (line 7)"),
        errors);
  }

  @Test
  void refusesAnOverrideWithoutAddressAndAnAddressWithoutOverride() {
    List<String> errors = errorsOf("""
        policies:
          rules:
            - name: a
              traffic: net.dst.port == 1
              action: override
            - name: b
              traffic: net.dst.port == 2
              action: block
              override: 198.18.21.10
        """);

    assertEquals(List.of(
        "policies.rules[0].override: required when action is override: an address, address:port or [IPv6]:port"
            + " like 198.18.21.10, 198.18.21.10:80 or [2001:2::10]:80 (line 3)",
        "policies.rules[1].override: only allowed with action override, not block (line 9)"),
        errors);
  }

  @Test
  void refusesOverrideTargetsThatAreNotLiteralAddresses() {
    for (String target : List.of("origin.example:80", "198.18.21.10:0", "198.18.21.10:65536", "2001:2::10::80",
        "[198.18.21.10]:80", "198.18.21.10:", "[2001:2::10]:x")) {
      List<String> errors = errorsOf("policies:\n  rules:\n    - name: a\n      traffic: net.dst.port == 1\n"
          + "      action: override\n      override: '" + target + "'\n");
      assertEquals(List.of("policies.rules[0].override: expected an address, address:port or [IPv6]:port like"
          + " 198.18.21.10, 198.18.21.10:80 or [2001:2::10]:80, got \"" + target + "\" (line 6)"), errors, target);
    }
  }

  @Test
  void refusesEstablishedOnAnythingButBlock() {
    List<String> errors = errorsOf("""
        policies:
          rules:
            - name: a
              traffic: net.dst.port == 1
              action: allow
              established: true
            - name: b
              traffic: net.dst.port == 2
              action: block
              established: yes
        """);

    assertEquals(List.of(
        "policies.rules[0].established: only allowed with action block (an open flow can be ended, not moved or"
            + " allowed again), not allow (line 6)",
        "policies.rules[1].established: expected true or false, got \"yes\" (line 10)"),
        errors);
  }

  @Test
  void reportsPolicyErrorsTogetherWithTheOtherSections() {
    List<String> errors = errorsOf("""
        proxy:
          tcp:
            idle-timeout: 10
        policies:
          rules:
            - name: a
              traffic: net.dst.port ==
              action: block
        """);

    assertEquals(2, errors.size(), errors.toString());
    assertTrue(errors.get(0).startsWith("proxy.tcp.idle-timeout:"), errors.toString());
    assertTrue(errors.get(1).startsWith("policies.rules[0].traffic: column "), errors.toString());
  }
}
