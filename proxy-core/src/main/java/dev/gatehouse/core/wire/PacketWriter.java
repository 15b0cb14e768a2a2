package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Builds whole IPv4 and IPv6 packets that the core sends to clients through a tunnel: UDP
 * datagrams, ICMP echo replies, ICMP errors and TCP segments, every checksum filled in. Each
 * method returns a new buffer from the allocator, readable from index 0, that the caller
 * owns; inputs are copied, never released.
 *
 * <p>Not thread-safe: the views it writes through are reused. One writer per event loop.
 *
 * <p>Choices of this implementation, where the RFCs leave them open:
 * <ul>
 *   <li>IPv4 Time to Live and IPv6 Hop Limit are {@link #HOP_LIMIT}, as if the packet
 *       started at the appliance, which it does: the appliance terminates the flow.
 *   <li>TCP segments go with DF set (RFC 1191 path MTU discovery). Other IPv4 packets may be
 *       fragmented on their way and take the next Identification of a per-writer counter
 *       (RFC 6864 §4.1 asks only for uniqueness within the reassembly window).
 *   <li>Traffic class, DSCP and flow label are 0.
 * </ul>
 */
public final class PacketWriter {

  /** Ours: the hop limit Linux uses by default (net.ipv4.ip_default_ttl). */
  public static final int HOP_LIMIT = 64;

  /**
   * RFC 1812 §4.3.2.3: an ICMP error quotes "as much of the original datagram as possible
   * without the length of the ICMP datagram exceeding 576 bytes".
   */
  public static final int IPV4_ERROR_MAX_BYTES = 576;

  /**
   * RFC 4443 §2.4(c): an ICMPv6 error quotes "as much of invoking packet as possible
   * without the ICMPv6 packet exceeding the minimum IPv6 MTU" (1280, RFC 8200 §5).
   */
  public static final int IPV6_ERROR_MAX_BYTES = 1280;

  private static final int IPV4_ADDRESS_BYTES = 4;

  private final ByteBufAllocator allocator;
  private final Ipv4Header ipv4 = new Ipv4Header();
  private final Ipv6Header ipv6 = new Ipv6Header();
  private final UdpDatagram udp = new UdpDatagram();
  private final TcpSegment tcp = new TcpSegment();
  private final Icmpv4Message icmpv4 = new Icmpv4Message();
  private final Icmpv6Message icmpv6 = new Icmpv6Message();
  private int nextIdentification;

  /** A writer whose packets come from {@code allocator}. */
  public PacketWriter(ByteBufAllocator allocator) {
    this.allocator = Objects.requireNonNull(allocator, "allocator");
  }

  /**
   * A UDP datagram (RFC 768) carrying {@code payload}'s readable bytes.
   *
   * @throws IllegalArgumentException if the addresses are of two families or the datagram
   *     would not fit in one IP packet
   */
  public ByteBuf udp(InetAddress source, int sourcePort, InetAddress destination,
      int destinationPort, ByteBuf payload) {
    int udpLengthBytes = UdpDatagram.HEADER_LENGTH_BYTES + payload.readableBytes();
    ByteBuf packet = startPacket(source, destination, IpProtocol.UDP, udpLengthBytes, false);
    int at = transportOffset(source);

    udp.init(packet, at, udpLengthBytes);
    udp.setSourcePort(sourcePort);
    udp.setDestinationPort(destinationPort);
    packet.setBytes(udp.payloadOffset(), payload, payload.readerIndex(), payload.readableBytes());
    udp.writeChecksum(pseudoHeaderSum(source, IpProtocol.UDP, udpLengthBytes));
    return packet;
  }

  /**
   * An ICMP Echo Reply (RFC 792 p.14) or ICMPv6 Echo Reply (RFC 4443 §4.2) from
   * {@code source} carrying {@code data}'s readable bytes.
   */
  public ByteBuf echoReply(InetAddress source, InetAddress destination, int identifier,
      int sequenceNumber, ByteBuf data) {
    int messageBytes = IcmpMessage.HEADER_LENGTH_BYTES + data.readableBytes();
    boolean v4 = source instanceof Inet4Address;
    int protocol = v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6;
    ByteBuf packet = startPacket(source, destination, protocol, messageBytes, false);
    IcmpMessage message = startIcmp(packet, source, messageBytes,
        v4 ? Icmpv4Message.TYPE_ECHO_REPLY : Icmpv6Message.TYPE_ECHO_REPLY, 0);

    message.setIdentifier(identifier);
    message.setSequenceNumber(sequenceNumber);
    packet.setBytes(message.bodyOffset(), data, data.readerIndex(), data.readableBytes());
    finishIcmp(source, messageBytes);
    return packet;
  }

  /**
   * An ICMP error from {@code reporter} to the sender of the offending packet, which lies at
   * {@code offset} in {@code offending} and is {@code lengthBytes} long. The error quotes as
   * much of it as fits in {@link #IPV4_ERROR_MAX_BYTES} or {@link #IPV6_ERROR_MAX_BYTES}.
   * The caller checks that an error is allowed at all: never about an ICMP error, a
   * broadcast or a non-first fragment (RFC 1122 §3.2.2, RFC 4443 §2.4(e)).
   *
   * @throws IllegalArgumentException if the offending packet is not of the reporter's family
   *     or is shorter than its fixed IP header
   */
  public ByteBuf icmpError(IcmpError error, InetAddress reporter, ByteBuf offending, int offset,
      int lengthBytes) {
    boolean v4 = reporter instanceof Inet4Address;
    return icmpError(v4 ? error.typeV4() : error.typeV6(), v4 ? error.codeV4() : error.codeV6(),
        reporter, offending, offset, lengthBytes);
  }

  /**
   * An ICMP error as {@link #icmpError(IcmpError, InetAddress, ByteBuf, int, int)} builds
   * it, of a type and code of the reporter's family given as numbers: for relaying an
   * error another node sent, as it was. Only for errors whose four bytes after the checksum
   * are unused (destination unreachable other than "fragmentation needed", time exceeded).
   */
  public ByteBuf icmpError(int type, int code, InetAddress reporter, ByteBuf offending,
      int offset, int lengthBytes) {
    boolean v4 = reporter instanceof Inet4Address;
    int version = lengthBytes > 0 ? offending.getUnsignedByte(offset) >>> 4 : 0;
    int minimum = v4 ? Ipv4Header.MIN_HEADER_LENGTH_BYTES : Ipv6Header.HEADER_LENGTH_BYTES;
    if (version != (v4 ? Ipv4Header.VERSION : Ipv6Header.VERSION) || lengthBytes < minimum) {
      throw new IllegalArgumentException("expected an IPv" + (v4 ? 4 : 6) + " packet of at least "
          + minimum + " bytes to quote, got version " + version + ", " + lengthBytes + " bytes");
    }
    InetAddress client = offendingSource(offending, offset, v4);

    int ipHeaderBytes = v4 ? Ipv4Header.MIN_HEADER_LENGTH_BYTES : Ipv6Header.HEADER_LENGTH_BYTES;
    int limit = v4 ? IPV4_ERROR_MAX_BYTES : IPV6_ERROR_MAX_BYTES;
    int quoteBytes = Math.min(lengthBytes, limit - ipHeaderBytes - IcmpMessage.HEADER_LENGTH_BYTES);
    int messageBytes = IcmpMessage.HEADER_LENGTH_BYTES + quoteBytes;
    int protocol = v4 ? IpProtocol.ICMP : IpProtocol.ICMPV6;
    ByteBuf packet = startPacket(reporter, client, protocol, messageBytes, false);
    IcmpMessage message = startIcmp(packet, reporter, messageBytes, type, code);

    // RFC 792 and RFC 4443 §3.1, §3.3: the four bytes after the checksum are unused, zero.
    message.setRestOfHeader(0);
    packet.setBytes(message.bodyOffset(), offending, offset, quoteBytes);
    finishIcmp(reporter, messageBytes);
    return packet;
  }

  /**
   * A TCP segment (RFC 9293 §3.1) whose header carries {@code options}' readable bytes,
   * already padded to a multiple of four (RFC 9293 §3.1: the header ends on a 32-bit
   * boundary), followed by {@code payload}'s readable bytes.
   *
   * @param flags the flag bits, {@link TcpSegment#FLAG_SYN} and friends
   * @param window the Window field as sent (already scaled down)
   * @throws IllegalArgumentException if the options are not a multiple of 4 or exceed 40
   */
  public ByteBuf tcp(InetAddress source, int sourcePort, InetAddress destination,
      int destinationPort, int sequenceNumber, int acknowledgmentNumber, int flags, int window,
      ByteBuf options, ByteBuf payload) {
    int optionBytes = options.readableBytes();
    int maxOptionBytes = TcpSegment.MAX_HEADER_LENGTH_BYTES - TcpSegment.MIN_HEADER_LENGTH_BYTES;
    if (optionBytes % 4 != 0 || optionBytes > maxOptionBytes) {
      throw new IllegalArgumentException(
          "TCP options must be padded to a multiple of 4 up to 40 bytes, got " + optionBytes);
    }
    int headerBytes = TcpSegment.MIN_HEADER_LENGTH_BYTES + optionBytes;
    int segmentBytes = headerBytes + payload.readableBytes();
    ByteBuf packet = startPacket(source, destination, IpProtocol.TCP, segmentBytes, true);
    int at = transportOffset(source);

    tcp.init(packet, at, headerBytes, segmentBytes);
    tcp.setSourcePort(sourcePort);
    tcp.setDestinationPort(destinationPort);
    tcp.setSequenceNumber(sequenceNumber);
    tcp.setAcknowledgmentNumber(acknowledgmentNumber);
    tcp.setFlags(flags);
    tcp.setWindow(window);
    tcp.setUrgentPointer(0);
    packet.setBytes(at + TcpSegment.OPTIONS_OFFSET, options, options.readerIndex(), optionBytes);
    packet.setBytes(at + headerBytes, payload, payload.readerIndex(), payload.readableBytes());
    tcp.writeChecksum(pseudoHeaderSum(source, IpProtocol.TCP, segmentBytes));
    return packet;
  }

  /**
   * Allocates the packet, zeroes its IP header and writes every field of it; the IPv4
   * header checksum too. Leaves the IP view bound for the pseudo-header sum.
   */
  private ByteBuf startPacket(InetAddress source, InetAddress destination, int protocol,
      int upperLayerBytes, boolean dontFragment) {
    boolean v4 = source instanceof Inet4Address;
    if (v4 != (destination instanceof Inet4Address)) {
      throw new IllegalArgumentException(
          "source " + source + " and destination " + destination + " are of two IP versions");
    }
    int headerBytes = v4 ? Ipv4Header.MIN_HEADER_LENGTH_BYTES : Ipv6Header.HEADER_LENGTH_BYTES;
    int maxUpperLayerBytes = v4
        ? Ipv4Header.MAX_TOTAL_LENGTH_BYTES - headerBytes
        : Ipv6Header.MAX_PAYLOAD_LENGTH_BYTES;
    if (upperLayerBytes > maxUpperLayerBytes) {
      throw new IllegalArgumentException("an IPv" + (v4 ? 4 : 6) + " packet carries at most "
          + maxUpperLayerBytes + " bytes, asked for " + upperLayerBytes);
    }
    int totalBytes = headerBytes + upperLayerBytes;
    ByteBuf packet = allocator.buffer(totalBytes, totalBytes);
    packet.setZero(0, headerBytes);
    packet.writerIndex(totalBytes);

    if (v4) {
      ipv4.init(packet, 0, headerBytes, totalBytes);
      ipv4.setIdentification(dontFragment ? 0 : nextIdentification++);
      ipv4.setFragmentation(dontFragment, false, 0);
      ipv4.setTtl(HOP_LIMIT);
      ipv4.setProtocol(protocol);
      packet.setBytes(Ipv4Header.SOURCE_ADDRESS_OFFSET, source.getAddress());
      packet.setBytes(Ipv4Header.DESTINATION_ADDRESS_OFFSET, destination.getAddress());
      ipv4.writeHeaderChecksum();
    } else {
      ipv6.init(packet, 0, protocol, upperLayerBytes);
      ipv6.setHopLimit(HOP_LIMIT);
      packet.setBytes(Ipv6Header.SOURCE_ADDRESS_OFFSET, source.getAddress());
      packet.setBytes(Ipv6Header.DESTINATION_ADDRESS_OFFSET, destination.getAddress());
    }
    return packet;
  }

  private static int transportOffset(InetAddress source) {
    return source instanceof Inet4Address
        ? Ipv4Header.MIN_HEADER_LENGTH_BYTES
        : Ipv6Header.HEADER_LENGTH_BYTES;
  }

  private int pseudoHeaderSum(InetAddress source, int protocol, int upperLayerBytes) {
    return source instanceof Inet4Address
        ? ipv4.pseudoHeaderSum(protocol, upperLayerBytes)
        : ipv6.pseudoHeaderSum(protocol, upperLayerBytes);
  }

  private IcmpMessage startIcmp(ByteBuf packet, InetAddress source, int messageBytes, int type,
      int code) {
    int at = transportOffset(source);
    return source instanceof Inet4Address
        ? icmpv4.init(packet, at, messageBytes, type, code)
        : icmpv6.init(packet, at, messageBytes, type, code);
  }

  /** RFC 792: ICMP sums the message alone; RFC 4443 §2.3: ICMPv6 adds the pseudo-header. */
  private void finishIcmp(InetAddress source, int messageBytes) {
    if (source instanceof Inet4Address) {
      icmpv4.writeChecksum();
    } else {
      icmpv6.writeChecksum(ipv6.pseudoHeaderSum(IpProtocol.ICMPV6, messageBytes));
    }
  }

  private static InetAddress offendingSource(ByteBuf offending, int offset, boolean v4) {
    byte[] address = new byte[v4 ? IPV4_ADDRESS_BYTES : Ipv6Header.ADDRESS_LENGTH_BYTES];
    offending.getBytes(offset + (v4
        ? Ipv4Header.SOURCE_ADDRESS_OFFSET
        : Ipv6Header.SOURCE_ADDRESS_OFFSET), address);
    try {
      return InetAddress.getByAddress(address);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }
}
