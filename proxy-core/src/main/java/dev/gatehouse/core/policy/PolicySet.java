package dev.gatehouse.core.policy;

import dev.gatehouse.core.policy.expr.FlowFacts;
import dev.gatehouse.core.policy.expr.Outcome;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * An ordered list of network policies and the default action: the first policy whose
 * selector matches decides; when none does, the default action applies.
 *
 * <p>Deciding is three-valued, as the selectors are. Walking the rules in order, a rule
 * that matches decides, one that does not is passed, and one that cannot tell yet (it
 * reads the SNI, the HTTP Host or the detected protocol, which only inspection gives) makes
 * the verdict {@link Verdict#PENDING}: a later rule must not decide a flow an earlier one
 * may still claim. After inspection every fact is known and the verdict is final.
 *
 * <p>Immutable and safe from any thread; a reload builds a new set.
 */
public final class PolicySet {

  /** No policies, everything allowed: the set an appliance without policies runs. */
  public static final PolicySet ALLOW_ALL = new PolicySet(List.of(), PolicyAction.ALLOW);

  private final Policy[] policies;
  private final Verdict[] verdicts;
  private final Verdict byDefault;
  private final PolicyIndex index;
  private final int[] everyRule; // in the index's candidate form: the count, then every id
  private final boolean needsInspection;
  private final boolean appliesToEstablished;

  private PolicySet(List<Policy> policies, PolicyAction defaultAction) {
    this.policies = policies.toArray(Policy[]::new);
    this.verdicts = policies.stream().map(Verdict::of).toArray(Verdict[]::new);
    this.byDefault = Verdict.byDefault(defaultAction);
    this.everyRule = new int[policies.size() + 1];
    everyRule[0] = policies.size();
    for (int id = 0; id < policies.size(); id++) {
      everyRule[id + 1] = id;
    }
    this.index = new PolicyIndex(policies.stream().map(p -> p.traffic().destinationGuard()).toList());
    this.needsInspection = policies.stream().anyMatch(p -> p.traffic().needsInspection());
    this.appliesToEstablished = policies.stream().anyMatch(Policy::established);
  }

  /**
   * @param policies in order of precedence
   * @param defaultAction {@link PolicyAction#ALLOW} or {@link PolicyAction#BLOCK}
   * @throws IllegalArgumentException when two policies share a name or the default is override
   */
  public static PolicySet of(List<Policy> policies, PolicyAction defaultAction) {
    Objects.requireNonNull(defaultAction, "defaultAction");
    if (defaultAction == PolicyAction.OVERRIDE) {
      throw new IllegalArgumentException("the default action must be allow or block");
    }
    long names = policies.stream().map(Policy::name).distinct().count();
    if (names != policies.size()) {
      throw new IllegalArgumentException("policy names must be unique");
    }
    return new PolicySet(List.copyOf(policies), defaultAction);
  }

  /** Decides a flow from what is known of it, looking only at the rules its destination could concern. */
  public Verdict decide(FlowFacts facts) {
    return walk(facts, false);
  }

  /**
   * Decides a flow whose facts are all known (after inspection, or a datagram flow): never
   * pending. A rule that still answers "unknown" (a {@code matches} search that gave up on
   * a hostile value) does not match, and the walk goes on.
   */
  public Verdict decideFinal(FlowFacts facts) {
    return walk(facts, true);
  }

  private Verdict walk(FlowFacts facts, boolean finalPoint) {
    InetAddress destination = facts.dstIp();
    int port = facts.dstPort();
    if (destination == null || port == FlowFacts.UNKNOWN_PORT) {
      return walk(everyRule, facts, finalPoint); // the index files rules by destination
    }
    return walk(index.candidates(destination, port), facts, finalPoint);
  }

  /**
   * Decides by evaluating every rule in order, without the index: what {@link #decide}
   * must always agree with, and the baseline its benchmark is measured against.
   */
  public Verdict decideLinearly(FlowFacts facts) {
    return walk(everyRule, facts, false);
  }

  /** Walks the rules {@code candidates} names (its count first, then ids, ascending). */
  private Verdict walk(int[] candidates, FlowFacts facts, boolean finalPoint) {
    int count = candidates[0];
    for (int i = 1; i <= count; i++) {
      int id = candidates[i];
      Outcome outcome = policies[id].traffic().evaluate(facts);
      if (outcome == Outcome.MATCH) {
        return verdicts[id];
      }
      if (outcome == Outcome.UNKNOWN && !finalPoint) {
        return Verdict.PENDING;
      }
    }
    return byDefault;
  }

  /**
   * Whether a flow already open when this set was loaded must end: when this set, deciding
   * it now, blocks it by a policy marked {@link Policy#established()}.
   */
  public boolean endsEstablished(FlowDescription facts) {
    if (!appliesToEstablished) {
      return false;
    }
    Verdict verdict = facts.isInspected() ? decideFinal(facts) : decide(facts);
    return verdict.blocks() && verdict.policy() != null && verdict.policy().established();
  }

  /** Whether some policy reads facts only inspection gives (SNI, Host, detected protocol). */
  public boolean needsInspection() {
    return needsInspection;
  }

  /** Whether loading this set may end open flows. */
  public boolean appliesToEstablished() {
    return appliesToEstablished;
  }

  /** The policies, in order. */
  public List<Policy> policies() {
    return List.of(policies);
  }

  /** The verdict when no policy matches. */
  public Verdict defaultVerdict() {
    return byDefault;
  }
}
