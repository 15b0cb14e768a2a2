package dev.gatehouse.core.tcp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.Objects;

/**
 * How the TCP engine terminates client connections and dials their origins.
 *
 * @param connectTimeout how long a dial may take; the held client SYN is then answered
 *     with RST (Cloudflare Gateway's default is 30 s)
 * @param idleTimeout a connection with no segment either way for this long is reset both
 *     ways (Gateway's default is 8 h)
 * @param maxFlows the most connections open at once, over all loops; a SYN beyond it is
 *     dropped and counted as {@code FLOW_LIMIT} (the client retries it)
 * @param sourceV4 the address IPv4 origin sockets bind to, or {@code null} for the route's
 * @param sourceV6 the address IPv6 origin sockets bind to, or {@code null} for the route's
 * @param interfaceName the interface origin sockets are bound to (SO_BINDTODEVICE, epoll
 *     loops only), or {@code null}
 * @param bufferBytes each of the client connection's send and receive buffers, and so the
 *     most the flow holds each way; a flow's memory is bounded by about twice this plus the
 *     origin socket's kernel buffers
 */
public record TcpProxySettings(Duration connectTimeout, Duration idleTimeout, int maxFlows,
    Inet4Address sourceV4, Inet6Address sourceV6, String interfaceName, int bufferBytes) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(8);
  /** Ours: the descriptors and buffers a small appliance can hold. */
  public static final int DEFAULT_MAX_FLOWS = 65_536;
  /** Ours: 256 KiB each way, enough for about 20 ms at 100 Mbit/s per flow. */
  public static final int DEFAULT_BUFFER_BYTES = 256 * 1024;

  public TcpProxySettings {
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (connectTimeout.isNegative() || connectTimeout.isZero()
        || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (maxFlows < 1 || bufferBytes < 1024) {
      throw new IllegalArgumentException("maxFlows must be 1 or more and bufferBytes 1024 or more");
    }
  }

  /** Gateway's timeouts and Gatehouse's limits, with the kernel choosing the source. */
  public static TcpProxySettings defaults() {
    return new TcpProxySettings(DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FLOWS,
        null, null, null, DEFAULT_BUFFER_BYTES);
  }
}
