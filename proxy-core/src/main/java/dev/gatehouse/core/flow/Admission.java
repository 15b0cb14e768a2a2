package dev.gatehouse.core.flow;

import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.Verdict;
import java.net.InetSocketAddress;

/**
 * A new flow's first-packet policy decision, and what follows from it: where the flow's
 * origin socket goes (the client's destination, or an override's) and the account that
 * will carry the decision into the flow's activity record. The verdict may be
 * {@link Verdict#PENDING}; the flow then decides again after inspection ({@link #decideAgain}).
 *
 * @param description what the flow's policies see of it
 * @param verdict the decision on the first packet
 * @param origin where the origin socket connects (port 0 for ICMP)
 * @param account the flow's account, holding the decision once there is one
 * @param startNanos when the first packet was decided on, for the decision time
 */
public record Admission(FlowDescription description, Verdict verdict, InetSocketAddress origin,
    FlowAccount account, long startNanos) {

  /**
   * Decides {@code description}, a flow with {@code key}, against {@code policies}: finally
   * when it was already inspected (a datagram flow), else perhaps pending.
   */
  public static Admission decide(PolicySet policies, FlowKey key, FlowDescription description) {
    long startNanos = System.nanoTime();
    Verdict verdict = description.isInspected() ? policies.decideFinal(description) : policies.decide(description);
    FlowAccount account = new FlowAccount();
    InetSocketAddress origin = originFor(verdict, key);
    if (!verdict.isPending()) {
      record(account, verdict, key, origin, System.nanoTime() - startNanos);
    }
    return new Admission(description, verdict, origin, account, startNanos);
  }

  /**
   * Decides the flow again once inspection made every fact known, and records the final
   * verdict; the origin it names may differ from {@link #origin()} when an override matched.
   */
  public Admission decideAgain(PolicySet policies, FlowKey key) {
    Verdict again = policies.decideFinal(description);
    InetSocketAddress target = originFor(again, key);
    record(account, again, key, target, System.nanoTime() - startNanos);
    return new Admission(description, again, target, account, startNanos);
  }

  /** Whether the flow is blocked; false while pending. */
  public boolean blocks() {
    return verdict.blocks();
  }

  private static InetSocketAddress originFor(Verdict verdict, FlowKey key) {
    if (verdict.action() != PolicyAction.OVERRIDE) {
      return new InetSocketAddress(key.destination(), key.destinationPort());
    }
    int port = key.transport() == Transport.TCP || key.transport() == Transport.UDP
        ? verdict.overridePort(key.destinationPort()) : 0;
    return new InetSocketAddress(verdict.overrideAddress(), port);
  }

  private static void record(FlowAccount account, Verdict verdict, FlowKey key, InetSocketAddress origin,
      long decisionNanos) {
    account.decision(verdict.policyName(), verdict.action().configName(), decisionNanos);
    if (verdict.action() == PolicyAction.OVERRIDE) {
      account.overrideDestination(origin);
    }
  }
}
