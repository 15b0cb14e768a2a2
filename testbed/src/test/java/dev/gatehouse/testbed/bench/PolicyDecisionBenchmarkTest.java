package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.testbed.bench.PolicyDecisionBenchmark.Sample;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The benchmark's workload and bookkeeping; how fast it runs is for scripts/bench to say. */
class PolicyDecisionBenchmarkTest {
  private static final int RULES = 1_000;
  private static final long ONE_BATCH_NANOS = 1;

  @Test
  void indexedAndLinearDecisionsAgreeOnEveryFlowAtEachSize() {
    for (int ruleCount : PolicyDecisionBenchmark.RULE_COUNTS) {
      PolicyWorkload workload = PolicyWorkload.generate(ruleCount, PolicyWorkload.SEED);

      assertEquals(Optional.empty(), workload.disagreement(), ruleCount + " rules");
      assertEquals(ruleCount, workload.policies().policies().size());
    }
  }

  @Test
  void makesTheSameRulesAndFlowsFromTheSameSeed() {
    PolicyWorkload first = PolicyWorkload.generate(RULES, PolicyWorkload.SEED);
    PolicyWorkload again = PolicyWorkload.generate(RULES, PolicyWorkload.SEED);

    assertEquals(selectors(first), selectors(again));
    for (int i = 0; i < PolicyWorkload.FLOWS; i++) {
      FlowDescription a = first.flows()[i];
      FlowDescription b = again.flows()[i];
      assertEquals(a.dstIp(), b.dstIp());
      assertEquals(a.dstPort(), b.dstPort());
      assertEquals(a.sniHost(), b.sniHost());
    }
    assertFalse(selectors(first).equals(selectors(PolicyWorkload.generate(RULES, PolicyWorkload.SEED + 1))));
  }

  @Test
  void putsAntiSpoofingFirstAndTheRulesThatNeedInspectionLast() {
    List<Policy> policies = PolicyWorkload.generate(10_000, PolicyWorkload.SEED).policies().policies();
    List<String> selectors = policies.stream().map(policy -> policy.traffic().text()).toList();

    assertEquals("not net.src.ip in {198.18.0.0/15 2001:2::/48}", selectors.getFirst());
    int firstInspecting = IntStream.range(0, policies.size())
        .filter(i -> policies.get(i).traffic().needsInspection()).findFirst().orElseThrow();
    assertEquals(10_000 - 10, firstInspecting, "ten SNI rules, at the end");
    assertTrue(selectors.subList(firstInspecting, selectors.size()).stream()
        .allMatch(s -> s.startsWith("net.dst.port == 443 and any(net.sni.domains[*] == ")), selectors.getLast());
    assertTrue(selectors.contains("net.dst.port in {22 23 3389}"));
    assertTrue(selectors.stream().anyMatch(s -> s.startsWith("net.protocol == ")));
    assertTrue(selectors.stream().filter(s -> s.matches("net\\.dst\\.ip in \\{[0-9.]+} and .*")).count() > 3_000,
        "mostly per-host rules");
  }

  @Test
  void decidesMostFlowsByDefaultAndSomeByEarlyLateAndPendingRules() {
    PolicyWorkload.Mix mix = PolicyWorkload.generate(RULES, PolicyWorkload.SEED).mix();

    assertEquals(PolicyWorkload.FLOWS, mix.firstTenth() + mix.later() + mix.byDefault() + mix.pending());
    assertTrue(mix.byDefault() > PolicyWorkload.FLOWS / 2, mix.toString());
    assertTrue(mix.firstTenth() > PolicyWorkload.FLOWS / 20, mix.toString());
    assertTrue(mix.later() > PolicyWorkload.FLOWS / 20, mix.toString());
    assertTrue(mix.pending() > 0, mix.toString());
  }

  @Test
  void eachRunGoesOnFromWhereTheLastStoppedAcrossTheEndOfTheFlows() throws Exception {
    PolicyDecisionBenchmark benchmark = new PolicyDecisionBenchmark(RULES);
    long nearTheEnd = PolicyWorkload.FLOWS - PolicyDecisionBenchmark.BATCH / 2;

    Sample indexed = benchmark.decide(true, nearTheEnd, ONE_BATCH_NANOS);
    Sample linear = benchmark.decide(false, nearTheEnd, ONE_BATCH_NANOS);

    assertEquals(PolicyDecisionBenchmark.BATCH, indexed.decisions());
    assertEquals(PolicyDecisionBenchmark.BATCH, linear.decisions());
    assertTrue(indexed.perSecond() > 0);
    assertEquals(benchmark.expectedSum(PolicyWorkload.FLOWS) + benchmark.expectedSum(7),
        benchmark.expectedSum(PolicyWorkload.FLOWS + 7));
  }

  @Test
  void failsARunWhoseVerdictsAreNotTheCheckedOnes() {
    PolicyWorkload workload = PolicyWorkload.generate(RULES, PolicyWorkload.SEED);
    PolicyDecisionBenchmark benchmark = new PolicyDecisionBenchmark(() -> workload, RULES);
    FlowDescription[] flows = workload.flows();
    int pending = IntStream.range(0, flows.length)
        .filter(i -> workload.checkedVerdicts()[i].isPending()).findFirst().orElseThrow();

    flows[pending].inspected("tls", "www.blocked-0.example", ""); // now an SNI rule blocks it

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> benchmark.decide(true, pending, ONE_BATCH_NANOS));
    assertEquals("the verdicts of 64 decisions differ from the checked ones", failure.getMessage());
    assertTrue(workload.disagreement().orElseThrow().startsWith("flow " + pending + " ("),
        workload.disagreement().toString());
  }

  @Test
  void namesEachSizeAndDescribesTheMixItMeasures() {
    List<InProcessBenchmark> all = PolicyDecisionBenchmark.all();

    assertEquals(List.of("policy-decisions-10-rules", "policy-decisions-1000-rules", "policy-decisions-10000-rules"),
        all.stream().map(InProcessBenchmark::name).toList());
    assertEquals("Policy decisions, 10,000 rules", all.getLast().title());
    PolicyWorkload.Mix mix = PolicyWorkload.generate(RULES, PolicyWorkload.SEED).mix();
    String description = new PolicyDecisionBenchmark(RULES).description();
    assertTrue(description.contains(mix.byDefault() + " by the default action"), description);
  }

  @Test
  void refusesAWorkloadTooSmallForEveryKindOfRule() {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> PolicyWorkload.generate(9, PolicyWorkload.SEED));

    assertEquals("a workload needs at least 10 rules, got 9", failure.getMessage());
  }

  private static List<String> selectors(PolicyWorkload workload) {
    return workload.policies().policies().stream().map(policy -> policy.traffic().text()).toList();
  }
}
