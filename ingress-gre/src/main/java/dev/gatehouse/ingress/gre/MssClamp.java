package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.wire.Checksums;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import dev.gatehouse.core.wire.TcpOptions;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;

/**
 * Lowers the Maximum Segment Size option of TCP SYN and SYN-ACK segments crossing the
 * tunnel, in both directions, so that neither end sends segments the tunnel would have to
 * fragment or refuse: what routers call "MSS clamping".
 *
 * <p>RFC 879 and RFC 6691 §2: the MSS counts the TCP payload only, so a packet of MTU bytes
 * carries MTU less the fixed IP header (20, or 40 for IPv6) less the fixed TCP header (20).
 * The clamp is therefore {@code mtu - 40} for IPv4 and {@code mtu - 60} for IPv6. A SYN
 * without the option is left alone: the default it implies, 536 or 1220 (RFC 9293 §3.7.1,
 * RFC 8200 §8.3), is below any clamp of a tunnel of at least 576 / 1280 bytes.
 *
 * <p>The checksum is updated incrementally (RFC 1624 eqn. 3) over the 16-bit words the MSS
 * value touches: TCP options need no alignment, so the value may straddle two words. A
 * segment whose checksum was wrong stays wrong, and the core drops it as it would have.
 *
 * <p>Reusable, not thread-safe: one per thread.
 */
final class MssClamp {

  /** RFC 6691 §2: the fixed IPv4 and TCP headers, which the MSS does not count. */
  static final int IPV4_OVERHEAD_BYTES = Ipv4Header.MIN_HEADER_LENGTH_BYTES + TcpSegment.MIN_HEADER_LENGTH_BYTES;
  /** RFC 6691 §2 for IPv6: the 40-byte IPv6 header and the fixed TCP header. */
  static final int IPV6_OVERHEAD_BYTES = Ipv6Header.HEADER_LENGTH_BYTES + TcpSegment.MIN_HEADER_LENGTH_BYTES;

  private final int mssV4;
  private final int mssV6;
  private final TcpSegment tcp = new TcpSegment();

  /** A clamp for a tunnel whose inner packets are at most {@code mtuBytes} long. */
  MssClamp(int mtuBytes) {
    this.mssV4 = mtuBytes - IPV4_OVERHEAD_BYTES;
    this.mssV6 = mtuBytes - IPV6_OVERHEAD_BYTES;
  }

  /** The MSS an IPv4 SYN may announce at most. */
  int mssV4() {
    return mssV4;
  }

  /** The MSS an IPv6 SYN may announce at most. */
  int mssV6() {
    return mssV6;
  }

  /**
   * Lowers the MSS of {@code packet} in place if it is a TCP SYN (with or without ACK) whose
   * MSS option exceeds the clamp. Fragments and malformed segments are left for the core.
   *
   * @param packet a packet {@link IpPacket#wrap wrapped} with {@code OK}
   * @return whether the segment was changed
   */
  boolean clamp(IpPacket packet) {
    if (packet.protocol() != IpProtocol.TCP || packet.isFragment()) {
      return false;
    }
    ByteBuf buffer = packet.buffer();
    if (tcp.wrap(buffer, packet.payloadOffset(), packet.payloadLengthBytes()) != WireStatus.OK
        || !tcp.isSyn()) {
      return false;
    }
    int limit = packet.isIpv4() ? mssV4 : mssV6;
    for (int at = tcp.firstOptionOffset(); at >= 0; at = tcp.nextOptionOffset(at)) {
      if (tcp.optionKind(at) == TcpOptions.KIND_MSS) {
        return lower(buffer, at + 2, limit);
      }
    }
    return false;
  }

  private boolean lower(ByteBuf buffer, int valueIndex, int limit) {
    if (buffer.getUnsignedShort(valueIndex) <= limit) {
      return false;
    }
    // the words of the segment that hold the value: one if it starts at an even distance
    // from the TCP header, else the two it straddles (RFC 1071: words from the header's start)
    int wordsIndex = valueIndex - ((valueIndex - tcp.offset()) & 1);
    int wordsLength = wordsIndex == valueIndex ? 2 : 4;
    int oldSum = Checksums.sum(buffer, wordsIndex, wordsLength);
    buffer.setShort(valueIndex, limit);
    int newSum = Checksums.sum(buffer, wordsIndex, wordsLength);
    tcp.setChecksum(Checksums.updateSum(tcp.checksum(), oldSum, newSum));
    return true;
  }
}
