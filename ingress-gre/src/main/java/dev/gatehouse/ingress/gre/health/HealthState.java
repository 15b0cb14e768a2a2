package dev.gatehouse.ingress.gre.health;

import java.util.Locale;

/** A tunnel's health as its probes show it, best first. */
public enum HealthState {
  /** Every recent probe was answered, or too few were lost to matter. */
  HEALTHY,
  /** Some probes were lost: the link is lossy but passes traffic. */
  DEGRADED,
  /** The last probes all went unanswered, or too few were answered since they did. */
  DOWN;

  /** The state as status and logs print it: {@code healthy}, {@code degraded}, {@code down}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
