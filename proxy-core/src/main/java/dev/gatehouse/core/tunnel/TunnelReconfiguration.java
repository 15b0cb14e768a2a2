package dev.gatehouse.core.tunnel;

import java.util.List;

/**
 * What a running tunnel made of a new plan for itself ({@link Tunnel#reconfigure}).
 *
 * @param inPlace false when the tunnel applies nothing of a new plan: any change to it needs
 *     a restart, and {@code restartNeeded} is empty
 * @param applied what changed in place, one short phrase each, for the log ("peer lyon
 *     added"); empty when nothing did
 * @param restartNeeded the tunnel's own setting keys that changed but apply only on a
 *     restart ({@code mtu}, {@code listen-port}); empty when nothing else changed
 */
public record TunnelReconfiguration(boolean inPlace, List<String> applied, List<String> restartNeeded) {

  /** A tunnel whose settings apply only on a restart. */
  public static final TunnelReconfiguration NOT_IN_PLACE = new TunnelReconfiguration(false, List.of(), List.of());

  public TunnelReconfiguration {
    applied = List.copyOf(applied);
    restartNeeded = List.copyOf(restartNeeded);
    if (!inPlace && !(applied.isEmpty() && restartNeeded.isEmpty())) {
      throw new IllegalArgumentException("a tunnel that reconfigures nothing in place lists nothing");
    }
  }

  /** Applied {@code applied} in place; {@code restartNeeded} waits for a restart. */
  public static TunnelReconfiguration of(List<String> applied, List<String> restartNeeded) {
    return new TunnelReconfiguration(true, applied, restartNeeded);
  }
}
