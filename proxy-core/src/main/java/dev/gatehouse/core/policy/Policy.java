package dev.gatehouse.core.policy;

import dev.gatehouse.core.policy.expr.Expression;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One network policy: a named selector and what to do with the flows it matches.
 *
 * @param name the configured name, logged with every flow it decides
 * @param traffic the selector
 * @param action what to do with matching flows
 * @param overrideAddress where {@link PolicyAction#OVERRIDE} sends the flow; null otherwise
 * @param overridePort the port it sends the flow to, or 0 to keep the client's
 * @param established whether loading the policy also ends open flows it blocks (only for
 *     {@link PolicyAction#BLOCK}: an open connection cannot be moved to another origin)
 */
public record Policy(String name, Expression traffic, PolicyAction action, InetAddress overrideAddress,
    int overridePort, boolean established) {

  /**
   * @throws IllegalArgumentException when the override target does not fit the action, or
   *     {@code established} is set on an action other than block
   */
  public Policy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(traffic, "traffic");
    Objects.requireNonNull(action, "action");
    if ((action == PolicyAction.OVERRIDE) != (overrideAddress != null)) {
      throw new IllegalArgumentException("an override address goes with, and only with, action override");
    }
    if (overridePort < 0 || overridePort > 0xffff) {
      throw new IllegalArgumentException("override port outside 0..65535: " + overridePort);
    }
    if (established && action != PolicyAction.BLOCK) {
      throw new IllegalArgumentException("only a block policy can apply to established flows");
    }
  }

  /** A policy that allows or blocks, with nothing to override. */
  public static Policy of(String name, Expression traffic, PolicyAction action) {
    return new Policy(name, traffic, action, null, 0, false);
  }
}
