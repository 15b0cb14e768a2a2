package dev.gatehouse.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.policy.expr.ExpressionException;
import dev.gatehouse.core.policy.expr.FlowFacts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PolicySetTest {

  @Test
  void firstMatchingPolicyDecides() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        policy("ssh", "net.dst.port == 22", PolicyAction.BLOCK),
        policy("lab", "net.dst.ip in {198.18.20.0/24}", PolicyAction.ALLOW)), PolicyAction.BLOCK);

    assertEquals("ssh", set.decide(tcp("198.18.20.10", 22)).policyName());
    assertEquals("lab", set.decide(tcp("198.18.20.10", 80)).policyName());
    Verdict none = set.decide(tcp("198.18.21.10", 80));
    assertNull(none.policyName());
    assertTrue(none.blocks());
  }

  @Test
  void pendsWhenAnEarlierPolicyNeedsInspection() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        policy("sni", "net.sni.host == \"blocked.example\"", PolicyAction.BLOCK),
        policy("all", "net.dst.port == 443", PolicyAction.ALLOW)), PolicyAction.ALLOW);
    FlowDescription flow = tcp("198.18.20.10", 443);

    assertTrue(set.decide(flow).isPending());
    flow.inspected("tls", "blocked.example", "");
    assertEquals("sni", set.decide(flow).policyName());
  }

  @Test
  void decidesOnFirstPacketWhenAMatchComesBeforeAnyInspectingPolicy() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        policy("dns", "net.dst.port == 53", PolicyAction.ALLOW),
        policy("sni", "net.sni.host == \"x.example\"", PolicyAction.BLOCK)), PolicyAction.ALLOW);

    assertEquals("dns", set.decide(tcp("198.18.20.10", 53)).policyName());
    assertTrue(set.decide(tcp("198.18.20.10", 443)).isPending());
    assertTrue(set.needsInspection());
  }

  @Test
  void inspectingPolicyThatCannotMatchOnAddressesDoesNotHoldTheFlow() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        policy("sni", "net.dst.port == 443 and net.sni.host == \"x.example\"", PolicyAction.BLOCK)),
        PolicyAction.ALLOW);

    assertSame(set.defaultVerdict(), set.decide(tcp("198.18.20.10", 80)));
  }

  @Test
  void overrideCarriesItsDestination() throws Exception {
    InetAddress other = InetAddress.getByName("198.18.21.10");
    PolicySet set = PolicySet.of(List.of(new Policy("move", Expression.compile("net.dst.port == 8080"),
        PolicyAction.OVERRIDE, other, 80, false)), PolicyAction.ALLOW);

    Verdict verdict = set.decide(tcp("198.18.20.10", 8080));
    assertEquals(PolicyAction.OVERRIDE, verdict.action());
    assertEquals(other, verdict.overrideAddress());
    assertEquals(80, verdict.overridePort(8080));
  }

  @Test
  void endsOnlyEstablishedFlowsAMarkedBlockPolicyMatches() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        new Policy("telnet", Expression.compile("net.dst.port == 23"), PolicyAction.BLOCK, null, 0, true),
        policy("ssh", "net.dst.port == 22", PolicyAction.BLOCK)), PolicyAction.ALLOW);

    assertTrue(set.endsEstablished(tcp("198.18.20.10", 23)));
    assertFalse(set.endsEstablished(tcp("198.18.20.10", 22)));
    assertFalse(set.endsEstablished(tcp("198.18.20.10", 80)));
  }

  @Test
  void aRuleStillUnknownAfterInspectionDoesNotMatchAndTheWalkGoesOn() throws Exception {
    // (.*a){20}b backtracks exponentially on a run of a's: the bounded search gives up.
    PolicySet set = PolicySet.of(List.of(
        policy("regex", "net.sni.host matches r\"(.*a){20}b\"", PolicyAction.BLOCK),
        policy("tls", "net.detected_protocol == \"tls\"", PolicyAction.ALLOW)), PolicyAction.BLOCK);
    FlowDescription flow = tcp("198.18.20.10", 443);
    flow.inspected("tls", "a".repeat(60) + ".example", "");

    assertTrue(set.decide(flow).isPending());
    assertEquals("tls", set.decideFinal(flow).policyName());
  }

  @Test
  void refusesDuplicateNamesAndAnOverrideDefault() throws Exception {
    Policy a = policy("a", "net.dst.port == 1", PolicyAction.BLOCK);
    assertThrows(IllegalArgumentException.class, () -> PolicySet.of(List.of(a, a), PolicyAction.ALLOW));
    assertThrows(IllegalArgumentException.class, () -> PolicySet.of(List.of(), PolicyAction.OVERRIDE));
  }

  @Test
  void indexFindsIpv6AndIcmpRules() throws Exception {
    PolicySet set = PolicySet.of(List.of(
        policy("v6", "net.dst.ip in {2001:2:0:20::/64} and net.dst.port == 80", PolicyAction.BLOCK),
        policy("ping", "net.protocol == \"icmp\" and net.dst.ip == 198.18.20.10", PolicyAction.BLOCK)),
        PolicyAction.ALLOW);

    assertEquals("v6", set.decide(tcp("2001:2:0:20::10", 80)).policyName());
    assertNull(set.decide(tcp("2001:2:0:21::10", 80)).policyName());
    FlowDescription ping = new FlowDescription("icmp", address("198.18.10.10"), FlowFacts.NO_PORT,
        address("198.18.20.10"), FlowFacts.NO_PORT, "site", "site", 0);
    assertEquals("ping", set.decide(ping).policyName());
  }

  @Test
  void indexHandsAFlowOnlyTheRulesItsDestinationCouldConcern() throws Exception {
    List<Policy> policies = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String host = "198.18." + (i / 250) + "." + (i % 250);
      policies.add(policy("r" + i, "net.dst.ip == " + host + " and net.dst.port == 443", PolicyAction.BLOCK));
    }
    policies.add(policy("ssh", "net.dst.port in {22 2222}", PolicyAction.BLOCK));
    policies.add(policy("wide", "net.dst.port > 1000 and net.sni.host == \"a.example\"", PolicyAction.BLOCK));
    PolicyIndex index = new PolicyIndex(policies.stream().map(p -> p.traffic().destinationGuard()).toList());

    int[] toHost = index.candidates(address("198.18.3.7"), 443);
    assertEquals(List.of(757, 10_001), ids(toHost));
    assertEquals(List.of(10_000, 10_001), ids(index.candidates(address("198.18.99.1"), 2222)));
    assertEquals(List.of(10_001), ids(index.candidates(address("198.18.99.1"), 80)));
  }

  private static List<Integer> ids(int[] candidates) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 1; i <= candidates[0]; i++) {
      ids.add(candidates[i]);
    }
    return ids;
  }

  /** The index is an optimisation: over random rules and flows it must agree with a scan. */
  @Test
  void indexAgreesWithLinearScanOnRandomRules() throws Exception {
    SplittableRandom random = new SplittableRandom(20261203);
    for (int round = 0; round < 20; round++) {
      List<Policy> policies = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        policies.add(policy("r" + i, randomSelector(random), random.nextBoolean()
            ? PolicyAction.ALLOW : PolicyAction.BLOCK));
      }
      PolicySet set = PolicySet.of(policies, PolicyAction.ALLOW);
      for (int flow = 0; flow < 2_000; flow++) {
        FlowDescription facts = randomFlow(random);
        if (random.nextInt(4) == 0) {
          facts.inspected("tls", random.nextBoolean() ? "a.example" : "", "");
        }
        assertSame(set.decideLinearly(facts), set.decide(facts), () -> "flow to " + facts.dstIp()
            + " port " + facts.dstPort());
      }
    }
  }

  private static String randomSelector(SplittableRandom random) {
    List<String> parts = new ArrayList<>();
    int terms = 1 + random.nextInt(3);
    for (int i = 0; i < terms; i++) {
      parts.add(switch (random.nextInt(7)) {
        case 0 -> "net.dst.ip in {198.18." + random.nextInt(4) + ".0/" + (22 + random.nextInt(11)) + "}";
        case 1 -> "net.dst.ip == 198.18." + random.nextInt(4) + "." + random.nextInt(8);
        case 2 -> "net.dst.port in {" + random.nextInt(100) + ".." + (100 + random.nextInt(2000)) + "}";
        case 3 -> "net.dst.port == " + random.nextInt(16);
        case 4 -> "net.dst.port > " + random.nextInt(60_000);
        case 5 -> "net.sni.host == \"a.example\"";
        default -> "not net.dst.ip in {2001:2::/" + (32 + random.nextInt(97)) + " 198.18.0.0/" + (15 + random.nextInt(18)) + "}";
      });
    }
    String joiner = random.nextBoolean() ? " and " : " or ";
    return String.join(joiner, parts);
  }

  private static FlowDescription randomFlow(SplittableRandom random) throws UnknownHostException {
    String dst = random.nextInt(5) == 0
        ? "2001:2::" + Integer.toHexString(random.nextInt(65_536))
        : "198.18." + random.nextInt(5) + "." + random.nextInt(16);
    int port = random.nextInt(8) == 0 ? random.nextInt(16) : random.nextInt(65_536);
    return tcp(dst, port);
  }

  private static Policy policy(String name, String selector, PolicyAction action) throws ExpressionException {
    return Policy.of(name, Expression.compile(selector), action);
  }

  private static FlowDescription tcp(String dst, int port) throws UnknownHostException {
    InetAddress destination = address(dst);
    InetAddress source = address(destination.getAddress().length == 4 ? "198.18.10.10" : "2001:2:0:10::10");
    return new FlowDescription("tcp", source, 40_000, destination, port, "site", "site", 0);
  }

  private static InetAddress address(String text) throws UnknownHostException {
    return InetAddress.getByName(text);
  }
}
