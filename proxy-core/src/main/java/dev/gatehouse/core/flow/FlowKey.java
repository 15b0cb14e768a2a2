package dev.gatehouse.core.flow;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The identity of a flow, the one key every module uses: the client's address and port, the
 * destination's address and port, the transport, and where the flow came in (tunnel and
 * virtual network). Two sites may use the same private addresses; the tunnel and virtual
 * network keep their flows apart.
 *
 * <p>For ICMP echo flows the "ports" are the echo identifier (source) and 0 (destination),
 * which is how a ping socket tells its conversations apart.
 *
 * @param transport the transport protocol
 * @param source the client's address, as inside the tunnel
 * @param sourcePort the client's port, or the ICMP echo identifier
 * @param destination the address the client sent to
 * @param destinationPort the port the client sent to, or 0 for ICMP
 * @param tunnel the name of the configured tunnel (or listener) the flow arrived on
 * @param virtualNetwork the virtual network the tunnel belongs to
 */
public record FlowKey(
    Transport transport,
    InetAddress source,
    int sourcePort,
    InetAddress destination,
    int destinationPort,
    String tunnel,
    int virtualNetwork) {

  public FlowKey {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(tunnel, "tunnel");
    if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
      throw new IllegalArgumentException("source and destination must be of one IP version");
    }
    if (sourcePort < 0 || sourcePort > 0xffff || destinationPort < 0 || destinationPort > 0xffff) {
      throw new IllegalArgumentException("ports must be 0..65535");
    }
  }

  public boolean isIpv4() {
    return source instanceof Inet4Address;
  }

  /**
   * A stable spread of flows over {@code n} workers: the same flow always lands on the same
   * event loop, so its state needs no lock.
   */
  public int spread(int n) {
    return Math.floorMod(hashCode() * 0x9E3779B9, n);
  }
}
