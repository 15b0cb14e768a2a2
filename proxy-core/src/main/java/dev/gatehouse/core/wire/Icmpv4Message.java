package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ICMP message for IPv4 (RFC 792). Reusable: one instance per thread,
 * {@link #wrap} per message; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Rest of header: Identifier and Sequence Number (echo),      |
 * |   Next-Hop MTU (RFC 1191), Pointer, Gateway Address, unused   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Body: echo data, or for an error the IP header and at       |
 * |   least the first 64 bits of data of the packet that caused it|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The checksum covers the whole ICMP message and no pseudo-header (RFC 792). The body of
 * an error message is read with {@link #wrapQuotedPacket(IpPacket)}; RFC 4884 extension
 * objects after it are not read. Accessors are defined only after {@code wrap} returned
 * {@link WireStatus#OK}.
 */
public final class Icmpv4Message extends IcmpMessage {

  // RFC 792: offsets of the rest-of-header fields of some error messages; the offsets all
  // ICMP messages share are inherited.
  public static final int POINTER_OFFSET = 4;
  public static final int NEXT_HOP_MTU_OFFSET = 6;

  // RFC 792 message types.
  public static final int TYPE_ECHO_REPLY = 0;
  public static final int TYPE_DESTINATION_UNREACHABLE = 3;
  public static final int TYPE_SOURCE_QUENCH = 4;
  public static final int TYPE_REDIRECT = 5;
  public static final int TYPE_ECHO_REQUEST = 8;
  public static final int TYPE_TIME_EXCEEDED = 11;
  public static final int TYPE_PARAMETER_PROBLEM = 12;

  /** RFC 792: Destination Unreachable code 4, fragmentation needed and DF set. */
  public static final int CODE_FRAGMENTATION_NEEDED = 4;

  /** A view that wraps nothing yet. */
  public Icmpv4Message() {
    super("ICMP");
  }

  /**
   * Starts a message of {@code lengthBytes} bytes to be written at {@code offset}: writes
   * type and code, leaves every other byte as it is, and wraps the result.
   *
   * @throws IllegalArgumentException if the length cannot hold the header
   */
  public Icmpv4Message init(ByteBuf buffer, int offset, int lengthBytes, int type, int code) {
    initHeader(buffer, offset, lengthBytes, type, code);
    return this;
  }

  /**
   * Whether this is an error message, whose body quotes the packet that caused it:
   * Destination Unreachable, Source Quench, Redirect, Time Exceeded, Parameter Problem.
   */
  @Override
  public boolean isError() {
    return switch (type()) {
      case TYPE_DESTINATION_UNREACHABLE, TYPE_SOURCE_QUENCH, TYPE_REDIRECT, TYPE_TIME_EXCEEDED,
          TYPE_PARAMETER_PROBLEM -> true;
      default -> false;
    };
  }

  /** Whether this is an Echo or Echo Reply, which carry an identifier and sequence number. */
  public boolean isEcho() {
    int type = type();
    return type == TYPE_ECHO_REQUEST || type == TYPE_ECHO_REPLY;
  }

  /** Parameter Problem: the Pointer to the byte in the quoted header that is wrong. */
  public int pointer() {
    return buffer().getUnsignedByte(offset() + POINTER_OFFSET);
  }

  /** Redirect: the Gateway Internet Address. */
  public int gatewayAddress() {
    return restOfHeader();
  }

  /** Fragmentation Needed: the Next-Hop MTU (RFC 1191 §4); 0 from older routers. */
  public int nextHopMtu() {
    return buffer().getUnsignedShort(offset() + NEXT_HOP_MTU_OFFSET);
  }

  /** The checksum the message should carry (RFC 792: over the whole message). */
  public int computeChecksum() {
    return checksumWith(0);
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum() {
    setChecksum(computeChecksum());
  }

  /** {@code OK} if the checksum verifies, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyChecksum() {
    return verifyChecksumWith(0);
  }
}
