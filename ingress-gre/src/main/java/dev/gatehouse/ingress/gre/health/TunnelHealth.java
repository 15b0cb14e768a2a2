package dev.gatehouse.ingress.gre.health;

import java.util.List;
import java.util.Objects;

/**
 * What a tunnel's health check shows at one moment, immutable: safe to hand to any thread.
 *
 * @param state the tunnel's state now
 * @param sinceEpochMillis when it entered that state (milliseconds since the epoch)
 * @param lossRatio the share of probes lost among those settled in the last five minutes,
 *     0 to 1; 0 before any was settled
 * @param history the last changes of state, oldest first, at most {@link HealthCheck#HISTORY_ENTRIES}
 */
public record TunnelHealth(HealthState state, long sinceEpochMillis, double lossRatio, List<Change> history) {

  public TunnelHealth {
    Objects.requireNonNull(state, "state");
    history = List.copyOf(history);
  }

  /**
   * One change of state.
   *
   * @param atEpochMillis when it happened (milliseconds since the epoch)
   * @param from the state before
   * @param to the state after
   */
  public record Change(long atEpochMillis, HealthState from, HealthState to) {
    public Change {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }
}
