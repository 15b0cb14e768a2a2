package dev.gatehouse.core.flow;

import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.expr.FlowFacts;

import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
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

  /** RFC 8200 §3: the source address follows the first 8 bytes of the fixed header. */
  private static final int IPV6_SOURCE_OFFSET = 8;

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

  /**
   * The key of the flow an inner packet belongs to, or {@code null} when the packet starts
   * or joins no flow: a transport Gatehouse does not proxy, a non-first fragment (its ports
   * are in another fragment), a header cut short, or ICMP other than an echo request.
   * {@code packet} must have been wrapped with status OK. The key is allocated: make it when
   * a flow is looked up or created, not for every packet's bookkeeping.
   */
  public static FlowKey of(IpPacket packet, TunnelContext from) {
    Transport transport = Transport.ofProtocol(packet.protocol());
    if (transport == null || packet.isNonFirstFragment()) {
      return null;
    }
    int sourcePort;
    int destinationPort;
    if (transport == Transport.TCP || transport == Transport.UDP) {
      if (!packet.hasPorts()) {
        return null;
      }
      sourcePort = packet.sourcePort();
      destinationPort = packet.destinationPort();
    } else {
      // ICMPv4 and ICMPv6 echo share a layout: type, code, checksum, identifier (RFC 792,
      // RFC 4443 §4.1).
      int echoRequest = transport == Transport.ICMP ? Icmpv4Message.TYPE_ECHO_REQUEST : Icmpv6Message.TYPE_ECHO_REQUEST;
      int at = packet.payloadOffset();
      if (packet.payloadLengthBytes() < Icmpv4Message.HEADER_LENGTH_BYTES
          || packet.buffer().getUnsignedByte(at + Icmpv4Message.TYPE_OFFSET) != echoRequest) {
        return null;
      }
      sourcePort = packet.buffer().getUnsignedShort(at + Icmpv4Message.IDENTIFIER_OFFSET);
      destinationPort = 0;
    }
    return new FlowKey(transport, sourceOf(packet), sourcePort, destinationOf(packet), destinationPort,
        from.name(), from.virtualNetwork());
  }

  private static InetAddress sourceOf(IpPacket packet) {
    if (packet.isIpv4()) {
      return ipv4(packet.ipv4().sourceAddress());
    }
    return ipv6(packet.buffer(), packet.ipv6().offset() + IPV6_SOURCE_OFFSET);
  }

  /** The final destination: for IPv6 with a Routing header, the one its last segment names. */
  private static InetAddress destinationOf(IpPacket packet) {
    if (packet.isIpv4()) {
      return ipv4(packet.ipv4().destinationAddress());
    }
    return ipv6(packet.buffer(), packet.ipv6().finalDestinationOffset());
  }

  private static InetAddress ipv4(int address) {
    byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    return byAddress(bytes);
  }

  private static InetAddress ipv6(ByteBuf buffer, int offset) {
    byte[] bytes = new byte[16];
    buffer.getBytes(offset, bytes);
    return byAddress(bytes);
  }

  private static InetAddress byAddress(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /**
   * What the flow offers its policies on the first packet, for a flow that arrived through
   * {@code from}: ICMP flows have no ports (the key's port is the echo identifier).
   */
  public FlowDescription describe(TunnelContext from) {
    boolean ports = transport == Transport.TCP || transport == Transport.UDP;
    return new FlowDescription(transport.logName(), source, ports ? sourcePort : FlowFacts.NO_PORT,
        destination, ports ? destinationPort : FlowFacts.NO_PORT, from.name(), from.site(), virtualNetwork);
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
