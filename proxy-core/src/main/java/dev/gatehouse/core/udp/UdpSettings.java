package dev.gatehouse.core.udp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.Objects;

/**
 * How the UDP engine re-originates sessions.
 *
 * @param idleTimeout a session with no datagram either way for this long ends
 * @param maxSessions the most sessions open at once, over all loops; a new session beyond
 *     it is refused and its packet dropped as {@code FLOW_LIMIT} (open sessions are never
 *     evicted to make room: a flood of new flows must not end established ones)
 * @param sourceV4 the address IPv4 origin sockets bind to, or {@code null} for the route's
 * @param sourceV6 the address IPv6 origin sockets bind to, or {@code null} for the route's
 * @param interfaceName the interface origin sockets are bound to (SO_BINDTODEVICE, epoll
 *     loops only), or {@code null}
 * @param blockQuic whether QUIC Initials to port 443 are dropped (and the flow logged as
 *     blocked), so that browsers fall back to HTTP/2 over TCP, where the proxy can inspect
 *     them; Cloudflare Gateway does the same while its UDP proxy is on
 */
public record UdpSettings(Duration idleTimeout, int maxSessions, Inet4Address sourceV4,
    Inet6Address sourceV6, String interfaceName, boolean blockQuic) {

  /** Five minutes, the default of common UDP proxies and NATs for non-DNS traffic. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
  /** Ours: enough for a branch office, small enough to bound descriptors and memory. */
  public static final int DEFAULT_MAX_SESSIONS = 65_536;

  public UdpSettings {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions must be 1 or more, got " + maxSessions);
    }
  }

  /** The defaults: five minutes idle, {@link #DEFAULT_MAX_SESSIONS}, kernel's source, QUIC blocked. */
  public static UdpSettings defaults() {
    return new UdpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS, null, null, null, true);
  }
}
