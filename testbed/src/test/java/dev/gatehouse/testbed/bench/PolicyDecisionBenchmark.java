package dev.gatehouse.testbed.bench;

import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.Verdict;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Policy decisions per second at one size of rule set: {@link PolicySet#decide} (the
 * destination index, Gatehouse's path) against {@link PolicySet#decideLinearly} (every rule
 * in order, the baseline), on the same {@link PolicyWorkload} in one thread.
 *
 * <p>Before the first run both paths must give the same verdict for every flow, or every
 * run fails. Each run sums the identity hashes of the verdicts it made and compares the sum
 * with the one the checked verdicts give for as many decisions: the sum keeps the JIT
 * compiler from dropping the work, and the comparison proves every verdict was the right one.
 */
public final class PolicyDecisionBenchmark implements InProcessBenchmark {
  /** The sizes of rule set measured. Issue #4 asks for these three. */
  static final List<Integer> RULE_COUNTS = List.of(10, 1_000, 10_000);
  /** Decisions between two reads of the clock; divides {@link PolicyWorkload#FLOWS}. Chosen. */
  static final int BATCH = 64;
  private static final long RUN_NANOS = 1_000_000_000L;
  private static final long WARM_UP_NANOS = 2_000_000_000L;

  private final int ruleCount;
  private final Supplier<PolicyWorkload> workloadSource;
  private PolicySet policies;
  private FlowDescription[] flows;
  private PolicyWorkload.Mix mix;
  private Optional<String> disagreement;
  /** Verdict identity hashes summed over the first i flows, at [i]. */
  private long[] expectedSums;
  /** The last run's sum, kept so that the sum is used beyond the check. */
  private long sink;
  /**
   * Where each side's next run starts: a run ends after a second, which at 10,000 rules in
   * order is a quarter of the flows, so the runs of a side go on through the flows in turn.
   */
  private final long[] nextDecision = new long[Route.values().length];

  /**
   * A benchmark over {@link PolicyWorkload#generate} of {@code ruleCount} rules and
   * {@link PolicyWorkload#SEED}, made when first needed (seconds at 10,000 rules).
   */
  public PolicyDecisionBenchmark(int ruleCount) {
    this(() -> PolicyWorkload.generate(ruleCount, PolicyWorkload.SEED), ruleCount);
  }

  PolicyDecisionBenchmark(Supplier<PolicyWorkload> workloadSource, int ruleCount) {
    this.ruleCount = ruleCount;
    this.workloadSource = workloadSource;
  }

  /** Makes the workload and checks its verdicts, once. */
  private void prepare() {
    if (flows != null) {
      return;
    }
    PolicyWorkload workload = workloadSource.get();
    policies = workload.policies();
    flows = workload.flows();
    mix = workload.mix();
    disagreement = workload.disagreement();
    expectedSums = new long[flows.length + 1];
    Verdict[] checked = workload.checkedVerdicts();
    for (int i = 0; i < flows.length; i++) {
      expectedSums[i + 1] = expectedSums[i] + System.identityHashCode(checked[i]);
    }
  }

  /** One benchmark per size in {@link #RULE_COUNTS}. */
  public static List<InProcessBenchmark> all() {
    return RULE_COUNTS.stream().<InProcessBenchmark>map(PolicyDecisionBenchmark::new).toList();
  }

  @Override
  public String name() {
    return "policy-decisions-" + ruleCount + "-rules";
  }

  @Override
  public String title() {
    return String.format(Locale.ROOT, "Policy decisions, %,d rules", ruleCount);
  }

  @Override
  public String description() {
    prepare();
    return String.format(Locale.ROOT, "In the runner's JVM, one thread decides %d seeded flows in turn against "
        + "a generated set of %,d rules: mostly per-host /32 and per-subnet /24 and /64 rules with their "
        + "ports, some port-only rules (`net.dst.port in {22 23 3389}`), a few `net.protocol` rules and broad "
        + "`not` rules (an anti-spoofing rule first), and SNI rules last, guarded by port 443, so that only "
        + "port-443 flows that no other rule decides wait for inspection (`PolicyWorkload`). Of the flows, "
        + "%d are decided by a rule in the first tenth of the list, %d by a later rule, %d by the default "
        + "action, and %d stay pending on an SNI rule. Gatehouse is `PolicySet.decide`, which evaluates "
        + "only the rules the destination index returns; the baseline is `PolicySet.decideLinearly`, which "
        + "evaluates every rule in order. Both must give the same verdict for every flow before anything "
        + "is measured, and each run checks that its verdicts are those. %d s of warm-up, then %d s per "
        + "run, the sides alternating, each run going on from the flow where the side's last run "
        + "stopped; the value is decisions per second, with the time per decision beside it.",
        flows.length, ruleCount, mix.firstTenth(), mix.later(), mix.byDefault(), mix.pending(), WARM_UP_NANOS / 1_000_000_000L, RUN_NANOS / 1_000_000_000L);
  }

  @Override
  public String unit() {
    return PerformanceReport.DECISIONS_PER_SECOND;
  }

  @Override
  public String gatehouseName() {
    return "PolicySet.decide (indexed)";
  }

  @Override
  public String baselineName() {
    return "PolicySet.decideLinearly (every rule in order)";
  }

  @Override
  public double runOnce(Route route, boolean warmUp) throws BenchmarkException {
    prepare();
    if (disagreement.isPresent()) {
      throw new BenchmarkException("indexed and linear decisions differ: " + disagreement.get());
    }
    long first = nextDecision[route.ordinal()];
    Sample sample = decide(route == Route.GATEHOUSE, first, warmUp ? WARM_UP_NANOS : RUN_NANOS);
    nextDecision[route.ordinal()] = first + sample.decisions();
    return sample.perSecond();
  }

  /**
   * How many decisions a run made in how long.
   *
   * @param decisions a multiple of {@link #BATCH}
   * @param elapsedNanos from the first decision to the clock read after the last
   */
  record Sample(long decisions, long elapsedNanos) {
    double perSecond() {
      return decisions * 1e9 / elapsedNanos;
    }
  }

  /**
   * Decides flows in turn, from decision number {@code first} (flow {@code first} modulo the
   * flows), for at least {@code durationNanos}; fails when a verdict was not the checked one.
   */
  Sample decide(boolean indexed, long first, long durationNanos) throws BenchmarkException {
    prepare();
    FlowDescription[] flows = this.flows;
    PolicySet policies = this.policies;
    int mask = flows.length - 1;
    int next = (int) (first & mask);
    long decisions = 0;
    long sum = 0;
    long started = System.nanoTime();
    long deadline = started + durationNanos;
    long now;
    do {
      for (int i = 0; i < BATCH; i++) {
        FlowDescription flow = flows[next];
        sum += System.identityHashCode(indexed ? policies.decide(flow) : policies.decideLinearly(flow));
        next = (next + 1) & mask;
      }
      decisions += BATCH;
      now = System.nanoTime();
    } while (now < deadline);

    sink = sum;
    if (sink != expectedSum(first + decisions) - expectedSum(first)) {
      throw new BenchmarkException("the verdicts of " + decisions + " decisions differ from the checked ones");
    }
    return new Sample(decisions, now - started);
  }

  /** What the checked verdicts sum to over the first {@code decisions} decisions, flows taken in turn. */
  long expectedSum(long decisions) {
    prepare();
    long passes = decisions / flows.length;
    return passes * expectedSums[flows.length] + expectedSums[(int) (decisions % flows.length)];
  }
}
