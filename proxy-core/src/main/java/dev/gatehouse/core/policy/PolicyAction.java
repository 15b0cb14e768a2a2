package dev.gatehouse.core.policy;

import java.util.Locale;

/** What a network policy does with the flows it matches. */
public enum PolicyAction {
  /** Let the flow reach the destination the client asked for. */
  ALLOW,
  /** Refuse the flow: TCP gets RST, UDP and ICMP are dropped; nothing reaches the origin. */
  BLOCK,
  /** Send the flow to the policy's destination instead of the one the client asked for. */
  OVERRIDE;

  /** The action as configured and logged: {@code allow}, {@code block}, {@code override}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
