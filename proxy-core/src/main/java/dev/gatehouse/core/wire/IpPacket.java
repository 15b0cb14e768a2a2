package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an IP packet of either version: reads the version nibble, wraps the matching
 * {@link Ipv4Header} or {@link Ipv6Header}, and answers the questions a flow table asks
 * whatever the version: transport protocol, where its header starts, its ports, whether the
 * packet is a fragment. It also rewrites addresses and ports while keeping every checksum
 * that covers them right (RFC 1624). Reusable; nothing is allocated.
 *
 * <p>Accessors are defined only after {@code wrap} returned {@link WireStatus#OK}.
 */
public final class IpPacket {

  private static final int PORTS_LENGTH_BYTES = 4;
  private static final int SOURCE_PORT_OFFSET = 0;
  private static final int DESTINATION_PORT_OFFSET = 2;
  private static final int NO_CHECKSUM_FIELD = -1;

  private final Ipv4Header ipv4 = new Ipv4Header();
  private final Ipv6Header ipv6 = new Ipv6Header();
  private int version;

  /**
   * Wraps a received packet of at most {@code lengthBytes} bytes at {@code offset}:
   * {@code TRUNCATED} if it is empty, {@code BAD_VERSION} unless it is 4 or 6, else what
   * {@link Ipv4Header#wrap} or {@link Ipv6Header#wrap} answers.
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, false);
  }

  /** Like {@link #wrap}, for a packet quoted in an ICMP error and so perhaps cut short. */
  public WireStatus wrapQuoted(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, true);
  }

  private WireStatus bind(ByteBuf buffer, int offset, int lengthBytes, boolean quoted) {
    version = 0;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    if (lengthBytes < 1) {
      return WireStatus.TRUNCATED;
    }
    int candidate = buffer.getUnsignedByte(offset) >>> 4;
    WireStatus status = switch (candidate) {
      case Ipv4Header.VERSION -> quoted
          ? ipv4.wrapQuoted(buffer, offset, lengthBytes)
          : ipv4.wrap(buffer, offset, lengthBytes);
      case Ipv6Header.VERSION -> quoted
          ? ipv6.wrapQuoted(buffer, offset, lengthBytes)
          : ipv6.wrap(buffer, offset, lengthBytes);
      default -> WireStatus.BAD_VERSION;
    };
    if (status == WireStatus.OK) {
      version = candidate;
    }
    return status;
  }

  /** 4 or 6. */
  public int version() {
    return version;
  }

  /** Whether the packet is IPv4. */
  public boolean isIpv4() {
    return version == Ipv4Header.VERSION;
  }

  /** Whether the packet is IPv6. */
  public boolean isIpv6() {
    return version == Ipv6Header.VERSION;
  }

  /**
   * The IPv4 header view.
   *
   * @throws IllegalStateException if the packet is not a wrapped IPv4 packet
   */
  public Ipv4Header ipv4() {
    if (!isIpv4()) {
      throw new IllegalStateException("not a wrapped IPv4 packet (version " + version + ")");
    }
    return ipv4;
  }

  /**
   * The IPv6 header view.
   *
   * @throws IllegalStateException if the packet is not a wrapped IPv6 packet
   */
  public Ipv6Header ipv6() {
    if (!isIpv6()) {
      throw new IllegalStateException("not a wrapped IPv6 packet (version " + version + ")");
    }
    return ipv6;
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return isIpv4() ? ipv4.buffer() : ipv6().buffer();
  }

  /** The transport protocol: IPv4 Protocol, or the IPv6 upper-layer protocol. */
  public int protocol() {
    return isIpv4() ? ipv4.protocol() : ipv6().upperLayerProtocol();
  }

  /** Index of the transport header (or, in a non-first fragment, of fragment data). */
  public int payloadOffset() {
    return isIpv4() ? ipv4.payloadOffset() : ipv6().upperLayerOffset();
  }

  /** Bytes present from {@link #payloadOffset()} to the end of the packet. */
  public int payloadLengthBytes() {
    return isIpv4() ? ipv4.payloadLengthBytes() : ipv6().upperLayerLengthBytes();
  }

  /**
   * The whole packet's length as its header declares it: the IPv4 total length (RFC 791),
   * or the fixed IPv6 header and its payload length (RFC 8200 §3). Bytes after it in the
   * buffer, such as a tunnel's padding, are not part of the packet.
   */
  public int packetLengthBytes() {
    return isIpv4() ? ipv4.totalLengthBytes() : Ipv6Header.HEADER_LENGTH_BYTES + ipv6.payloadLengthBytes();
  }

  /** Whether the packet is a fragment that needs reassembly. */
  public boolean isFragment() {
    return isIpv4() ? ipv4.isFragment() : ipv6().isFragment();
  }

  /** Whether the packet is a fragment other than the first: no transport header. */
  public boolean isNonFirstFragment() {
    return isIpv4() ? ipv4.isNonFirstFragment() : ipv6().isNonFirstFragment();
  }

  /** Whether the packet was cut short (only after {@link #wrapQuoted}). */
  public boolean isTruncated() {
    return isIpv4() ? ipv4.isTruncated() : ipv6().isTruncated();
  }

  /** IPv4 Time to Live or IPv6 Hop Limit. */
  public int hopLimit() {
    return isIpv4() ? ipv4.ttl() : ipv6().hopLimit();
  }

  /**
   * The pseudo-header sum for this packet's transport protocol and an upper layer of
   * {@code upperLayerLengthBytes} (for UDP its Length field, RFC 8200 §8.1).
   */
  public int pseudoHeaderSum(int upperLayerLengthBytes) {
    return isIpv4()
        ? ipv4.pseudoHeaderSum(ipv4.protocol(), upperLayerLengthBytes)
        : ipv6().pseudoHeaderSum(ipv6.upperLayerProtocol(), upperLayerLengthBytes);
  }

  /**
   * Whether source and destination port can be read: TCP or UDP, not a non-first fragment,
   * and the first four bytes of the transport header present.
   */
  public boolean hasPorts() {
    int protocol = protocol();
    return (protocol == IpProtocol.TCP || protocol == IpProtocol.UDP)
        && !isNonFirstFragment()
        && payloadLengthBytes() >= PORTS_LENGTH_BYTES;
  }

  /** The TCP or UDP source port; only meaningful if {@link #hasPorts()}. */
  public int sourcePort() {
    return buffer().getUnsignedShort(payloadOffset() + SOURCE_PORT_OFFSET);
  }

  /** The TCP or UDP destination port; only meaningful if {@link #hasPorts()}. */
  public int destinationPort() {
    return buffer().getUnsignedShort(payloadOffset() + DESTINATION_PORT_OFFSET);
  }

  /**
   * Rewrites the IPv4 source address, updating the header checksum and the TCP or UDP
   * checksum whose pseudo-header covers it (RFC 1624).
   */
  public void rewriteSourceAddress(int address) {
    int oldAddress = ipv4().sourceAddress();
    ipv4.rewriteSourceAddress(address);
    updateTransportChecksum32(oldAddress, address);
  }

  /** The destination-side twin of {@link #rewriteSourceAddress(int)}. */
  public void rewriteDestinationAddress(int address) {
    int oldAddress = ipv4().destinationAddress();
    ipv4.rewriteDestinationAddress(address);
    updateTransportChecksum32(oldAddress, address);
  }

  /**
   * Rewrites the IPv6 source address, updating the TCP, UDP or ICMPv6 checksum whose
   * pseudo-header covers it (RFC 1624).
   */
  public void rewriteSourceAddress(long high, long low) {
    int addressIndex = ipv6().offset() + Ipv6Header.SOURCE_ADDRESS_OFFSET;
    int oldSum = Checksums.sum(ipv6.buffer(), addressIndex, Ipv6Header.ADDRESS_LENGTH_BYTES);
    ipv6.setSourceAddress(high, low);
    int newSum = Checksums.sum(ipv6.buffer(), addressIndex, Ipv6Header.ADDRESS_LENGTH_BYTES);
    updateTransportChecksum(oldSum, newSum);
  }

  /**
   * Rewrites the IPv6 destination address, updating the upper-layer checksum unless a
   * Routing header supplies the pseudo-header's destination (RFC 8200 §8.1).
   */
  public void rewriteDestinationAddress(long high, long low) {
    int addressIndex = ipv6().offset() + Ipv6Header.DESTINATION_ADDRESS_OFFSET;
    int oldSum = Checksums.sum(ipv6.buffer(), addressIndex, Ipv6Header.ADDRESS_LENGTH_BYTES);
    ipv6.setDestinationAddress(high, low);
    if (ipv6.finalDestinationOffset() == addressIndex) {
      int newSum = Checksums.sum(ipv6.buffer(), addressIndex, Ipv6Header.ADDRESS_LENGTH_BYTES);
      updateTransportChecksum(oldSum, newSum);
    }
  }

  /**
   * Rewrites the TCP or UDP source port and updates the transport checksum.
   *
   * @throws IllegalStateException if {@link #hasPorts()} is false
   */
  public void rewriteSourcePort(int port) {
    rewritePort(SOURCE_PORT_OFFSET, port);
  }

  /**
   * Rewrites the TCP or UDP destination port and updates the transport checksum.
   *
   * @throws IllegalStateException if {@link #hasPorts()} is false
   */
  public void rewriteDestinationPort(int port) {
    rewritePort(DESTINATION_PORT_OFFSET, port);
  }

  private void rewritePort(int portOffset, int port) {
    if (!hasPorts()) {
      throw new IllegalStateException("protocol " + protocol() + " packet has no ports to rewrite");
    }
    int index = payloadOffset() + portOffset;
    int oldPort = buffer().getUnsignedShort(index);
    buffer().setShort(index, port);
    updateTransportChecksum(oldPort, port & 0xFFFF);
  }

  private void updateTransportChecksum32(int oldValue, int newValue) {
    int oldSum = Checksums.fold((long) (oldValue >>> 16) + (oldValue & 0xFFFF));
    int newSum = Checksums.fold((long) (newValue >>> 16) + (newValue & 0xFFFF));
    updateTransportChecksum(oldSum, newSum);
  }

  /**
   * Applies RFC 1624 eqn. 3 to the transport checksum, if this packet holds one that covers
   * the changed field. A UDP datagram sent without a checksum (zero, IPv4 only) keeps none,
   * and a UDP result of zero is sent as all ones (RFC 768).
   */
  private void updateTransportChecksum(int oldFieldSum, int newFieldSum) {
    int index = transportChecksumIndex();
    if (index == NO_CHECKSUM_FIELD) {
      return;
    }
    ByteBuf buffer = buffer();
    int checksum = buffer.getUnsignedShort(index);
    boolean udp = protocol() == IpProtocol.UDP;
    if (udp && checksum == UdpDatagram.NO_CHECKSUM) {
      return;
    }
    int updated = Checksums.updateSum(checksum, oldFieldSum, newFieldSum);
    if (udp && updated == UdpDatagram.NO_CHECKSUM) {
      updated = 0xFFFF;
    }
    buffer.setShort(index, updated);
  }

  /**
   * Index of the checksum that a pseudo-header change touches: TCP's and UDP's, and over
   * IPv6 ICMPv6's (ICMP for IPv4 has no pseudo-header, RFC 792); none in a non-first
   * fragment, or when the bytes are not there.
   */
  private int transportChecksumIndex() {
    if (isNonFirstFragment()) {
      return NO_CHECKSUM_FIELD;
    }
    int fieldOffset = switch (protocol()) {
      case IpProtocol.TCP -> TcpSegment.CHECKSUM_OFFSET;
      case IpProtocol.UDP -> UdpDatagram.CHECKSUM_OFFSET;
      case IpProtocol.ICMPV6 -> isIpv6() ? Icmpv6Message.CHECKSUM_OFFSET : NO_CHECKSUM_FIELD;
      default -> NO_CHECKSUM_FIELD;
    };
    if (fieldOffset == NO_CHECKSUM_FIELD || payloadLengthBytes() < fieldOffset + 2) {
      return NO_CHECKSUM_FIELD;
    }
    return payloadOffset() + fieldOffset;
  }
}
