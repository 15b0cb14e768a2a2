package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ICMPv6 message (RFC 4443 §2.1). Reusable: one instance per thread,
 * {@link #wrap} per message; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Identifier and Sequence Number (echo, §4.1-4.2), MTU        |
 * |   (Packet Too Big, §3.2), Pointer (Parameter Problem, §3.4)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Body: echo data, or for an error as much of the invoking    |
 * |   packet as fits in the minimum IPv6 MTU (§3)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Types 0-127 are errors, 128-255 informational (RFC 4443 §2.1). The checksum covers the
 * IPv6 pseudo-header and the whole message (RFC 4443 §2.3). Accessors are defined only after
 * {@code wrap} returned {@link WireStatus#OK}.
 */
public final class Icmpv6Message extends IcmpMessage {

  // RFC 4443 §3.2 and §3.4: offsets of the rest-of-header fields of some error messages;
  // the offsets all ICMP messages share are inherited.
  public static final int MTU_OFFSET = 4;
  public static final int POINTER_OFFSET = 4;

  // RFC 4443 §3 and §4 message types.
  public static final int TYPE_DESTINATION_UNREACHABLE = 1;
  public static final int TYPE_PACKET_TOO_BIG = 2;
  public static final int TYPE_TIME_EXCEEDED = 3;
  public static final int TYPE_PARAMETER_PROBLEM = 4;
  public static final int TYPE_ECHO_REQUEST = 128;
  public static final int TYPE_ECHO_REPLY = 129;

  // RFC 4443 §2.1: the high-order bit of the type marks informational messages.
  private static final int INFORMATIONAL_TYPE_BIT = 0x80;

  /** A view that wraps nothing yet. */
  public Icmpv6Message() {
    super("ICMPv6");
  }

  /**
   * Starts a message of {@code lengthBytes} bytes to be written at {@code offset}: writes
   * type and code, leaves every other byte as it is, and wraps the result.
   *
   * @throws IllegalArgumentException if the length cannot hold the header
   */
  public Icmpv6Message init(ByteBuf buffer, int offset, int lengthBytes, int type, int code) {
    initHeader(buffer, offset, lengthBytes, type, code);
    return this;
  }

  /** Whether this is an error message (type below 128), whose body quotes a packet. */
  @Override
  public boolean isError() {
    return (type() & INFORMATIONAL_TYPE_BIT) == 0;
  }

  /** Whether this is an Echo Request or Echo Reply. */
  public boolean isEcho() {
    int type = type();
    return type == TYPE_ECHO_REQUEST || type == TYPE_ECHO_REPLY;
  }

  /** Packet Too Big: the MTU of the next-hop link, an unsigned 32-bit value (§3.2). */
  public long mtu() {
    return buffer().getUnsignedInt(offset() + MTU_OFFSET);
  }

  /** Parameter Problem: the offset of the bad byte in the invoking packet (§3.4). */
  public long pointer() {
    return buffer().getUnsignedInt(offset() + POINTER_OFFSET);
  }

  /**
   * The checksum the message should carry, given the IPv6 pseudo-header sum for next header
   * 58 and {@link #lengthBytes()} (RFC 4443 §2.3).
   */
  public int computeChecksum(int pseudoHeaderSum) {
    return checksumWith(pseudoHeaderSum);
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum(int pseudoHeaderSum) {
    setChecksum(computeChecksum(pseudoHeaderSum));
  }

  /** {@code OK} if the checksum verifies with this pseudo-header sum, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyChecksum(int pseudoHeaderSum) {
    return verifyChecksumWith(pseudoHeaderSum);
  }
}
