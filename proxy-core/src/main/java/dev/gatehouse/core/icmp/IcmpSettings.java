package dev.gatehouse.core.icmp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.Objects;

/**
 * How the ICMP engine re-originates echo requests.
 *
 * @param idleTimeout an echo flow with no request or reply for this long ends
 * @param maxFlows the most echo flows (each one ping socket) open at once, over all loops; a
 *     new flow beyond it is refused and its request dropped as {@code FLOW_LIMIT}
 * @param sourceV4 the address IPv4 ping sockets bind to, or {@code null} for the route's
 * @param sourceV6 the address IPv6 ping sockets bind to, or {@code null} for the route's
 * @param interfaceName the interface ping sockets are bound to (SO_BINDTODEVICE), or
 *     {@code null}
 */
public record IcmpSettings(Duration idleTimeout, int maxFlows, Inet4Address sourceV4,
    Inet6Address sourceV6, String interfaceName) {

  /**
   * Ours: a minute. ping sends a request a second, so a live flow is never idle that long,
   * and a finished one gives its socket back soon.
   */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(1);
  /** Ours: each flow holds a descriptor; a site rarely pings more hosts at once. */
  public static final int DEFAULT_MAX_FLOWS = 4096;

  public IcmpSettings {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
    }
    if (maxFlows < 1) {
      throw new IllegalArgumentException("maxFlows must be 1 or more, got " + maxFlows);
    }
  }

  /** The defaults: a minute idle, {@link #DEFAULT_MAX_FLOWS}, kernel's source. */
  public static IcmpSettings defaults() {
    return new IcmpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FLOWS, null, null, null);
  }
}
