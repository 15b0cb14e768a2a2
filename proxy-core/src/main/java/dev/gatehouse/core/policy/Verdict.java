package dev.gatehouse.core.policy;

import java.net.InetAddress;

/**
 * The outcome of evaluating a {@link PolicySet} against a flow: decided by a policy or by
 * the default action, or {@link #PENDING} when a policy that might match reads facts that
 * only inspecting the client's first bytes gives. Verdicts are made once per policy set and
 * shared; deciding allocates none.
 */
public final class Verdict {

  /** Not decided yet: inspect the client's first bytes, then decide again. */
  public static final Verdict PENDING = new Verdict(null, null);

  private final Policy policy;
  private final PolicyAction action;

  private Verdict(Policy policy, PolicyAction action) {
    this.policy = policy;
    this.action = action;
  }

  static Verdict of(Policy policy) {
    return new Verdict(policy, policy.action());
  }

  static Verdict byDefault(PolicyAction action) {
    return new Verdict(null, action);
  }

  public boolean isPending() {
    return this == PENDING;
  }

  /** The action; null while pending. */
  public PolicyAction action() {
    return action;
  }

  /** The policy that decided, or null when the default action did (or pending). */
  public Policy policy() {
    return policy;
  }

  /** The deciding policy's name, or null for the default action. */
  public String policyName() {
    return policy == null ? null : policy.name();
  }

  public boolean blocks() {
    return action == PolicyAction.BLOCK;
  }

  /** Where an override sends the flow; null for other actions. */
  public InetAddress overrideAddress() {
    return policy == null ? null : policy.overrideAddress();
  }

  /** The port an override sends the flow to, or {@code clientPort} when it keeps the client's. */
  public int overridePort(int clientPort) {
    return policy == null || policy.overridePort() == 0 ? clientPort : policy.overridePort();
  }

  @Override
  public String toString() {
    return isPending() ? "pending" : action.configName() + (policy == null ? " (default)" : " by " + policy.name());
  }
}
