package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

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
public final class Icmpv6Message {

  // RFC 4443 §2.1: offsets from the first byte of the message.
  public static final int TYPE_OFFSET = 0;
  public static final int CODE_OFFSET = 1;
  public static final int CHECKSUM_OFFSET = 2;
  public static final int REST_OF_HEADER_OFFSET = 4;
  public static final int IDENTIFIER_OFFSET = 4;
  public static final int SEQUENCE_NUMBER_OFFSET = 6;
  public static final int MTU_OFFSET = 4;
  public static final int POINTER_OFFSET = 4;
  public static final int BODY_OFFSET = 8;

  /** RFC 4443 §2.1: type, code, checksum and four bytes that depend on the type. */
  public static final int HEADER_LENGTH_BYTES = 8;

  // RFC 4443 §3 and §4 message types.
  public static final int TYPE_DESTINATION_UNREACHABLE = 1;
  public static final int TYPE_PACKET_TOO_BIG = 2;
  public static final int TYPE_TIME_EXCEEDED = 3;
  public static final int TYPE_PARAMETER_PROBLEM = 4;
  public static final int TYPE_ECHO_REQUEST = 128;
  public static final int TYPE_ECHO_REPLY = 129;

  // RFC 4443 §2.1: the high-order bit of the type marks informational messages.
  private static final int INFORMATIONAL_TYPE_BIT = 0x80;

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;

  /**
   * Wraps a message of {@code lengthBytes} bytes at {@code offset}, the whole upper layer:
   * {@code TRUNCATED} if the 8-byte header does not fit. The checksum is checked apart.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    if (lengthBytes < HEADER_LENGTH_BYTES) {
      return WireStatus.TRUNCATED;
    }
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    return WireStatus.OK;
  }

  /**
   * Starts a message of {@code lengthBytes} bytes to be written at {@code offset}: writes
   * type and code, leaves every other byte as it is, and wraps the result.
   *
   * @throws IllegalArgumentException if the length cannot hold the header
   */
  public Icmpv6Message init(ByteBuf buffer, int offset, int lengthBytes, int type, int code) {
    if (lengthBytes < HEADER_LENGTH_BYTES) {
      throw new IllegalArgumentException("lengthBytes must be at least 8, got " + lengthBytes);
    }
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    setType(type);
    setCode(code);
    return this;
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the message's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The whole message's length: header and body; also the pseudo-header's length. */
  public int lengthBytes() {
    return lengthBytes;
  }

  /** The Type field. */
  public int type() {
    return buffer.getUnsignedByte(offset + TYPE_OFFSET);
  }

  /** The Code field. */
  public int code() {
    return buffer.getUnsignedByte(offset + CODE_OFFSET);
  }

  /** The Checksum field. */
  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_OFFSET);
  }

  /** Whether this is an error message (type below 128), whose body quotes a packet. */
  public boolean isError() {
    return (type() & INFORMATIONAL_TYPE_BIT) == 0;
  }

  /** Whether this is an Echo Request or Echo Reply. */
  public boolean isEcho() {
    int type = type();
    return type == TYPE_ECHO_REQUEST || type == TYPE_ECHO_REPLY;
  }

  /** The four bytes after the checksum, whatever the type makes of them. */
  public int restOfHeader() {
    return buffer.getInt(offset + REST_OF_HEADER_OFFSET);
  }

  /** Echo Request and Reply: the Identifier. */
  public int identifier() {
    return buffer.getUnsignedShort(offset + IDENTIFIER_OFFSET);
  }

  /** Echo Request and Reply: the Sequence Number. */
  public int sequenceNumber() {
    return buffer.getUnsignedShort(offset + SEQUENCE_NUMBER_OFFSET);
  }

  /** Packet Too Big: the MTU of the next-hop link, an unsigned 32-bit value (§3.2). */
  public long mtu() {
    return buffer.getUnsignedInt(offset + MTU_OFFSET);
  }

  /** Parameter Problem: the offset of the bad byte in the invoking packet (§3.4). */
  public long pointer() {
    return buffer.getUnsignedInt(offset + POINTER_OFFSET);
  }

  /** Index of the body: echo data or the invoking packet. */
  public int bodyOffset() {
    return offset + BODY_OFFSET;
  }

  /** Bytes of body. */
  public int bodyLengthBytes() {
    return lengthBytes - HEADER_LENGTH_BYTES;
  }

  /**
   * Wraps the invoking packet an error message quotes with {@code packet}, accepting that it
   * is cut short ({@link IpPacket#wrapQuoted}).
   *
   * @throws IllegalStateException if this is not an error message
   */
  public WireStatus wrapQuotedPacket(IpPacket packet) {
    if (!isError()) {
      throw new IllegalStateException("ICMPv6 type " + type() + " quotes no packet");
    }
    return packet.wrapQuoted(buffer, bodyOffset(), bodyLengthBytes());
  }

  /** Sets the Type field; the checksum is not updated. */
  public void setType(int type) {
    buffer.setByte(offset + TYPE_OFFSET, type);
  }

  /** Sets the Code field; the checksum is not updated. */
  public void setCode(int code) {
    buffer.setByte(offset + CODE_OFFSET, code);
  }

  /** Sets the Checksum field. */
  public void setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_OFFSET, checksum);
  }

  /** Sets the four bytes after the checksum; the checksum is not updated. */
  public void setRestOfHeader(int restOfHeader) {
    buffer.setInt(offset + REST_OF_HEADER_OFFSET, restOfHeader);
  }

  /** Sets the echo Identifier; the checksum is not updated. */
  public void setIdentifier(int identifier) {
    buffer.setShort(offset + IDENTIFIER_OFFSET, identifier);
  }

  /** Sets the echo Sequence Number; the checksum is not updated. */
  public void setSequenceNumber(int sequenceNumber) {
    buffer.setShort(offset + SEQUENCE_NUMBER_OFFSET, sequenceNumber);
  }

  /** Sets the echo Identifier and updates the checksum to match (RFC 1624). */
  public void rewriteIdentifier(int identifier) {
    int oldIdentifier = identifier();
    setIdentifier(identifier);
    updateChecksum16(oldIdentifier, identifier);
  }

  /**
   * The checksum the message should carry, given the IPv6 pseudo-header sum for next header
   * 58 and {@link #lengthBytes()} (RFC 4443 §2.3).
   */
  public int computeChecksum(int pseudoHeaderSum) {
    int messageSum = Checksums.sumWithoutChecksumField(
        buffer, offset, lengthBytes, offset + CHECKSUM_OFFSET);
    return Checksums.complement(Checksums.add(pseudoHeaderSum, messageSum));
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum(int pseudoHeaderSum) {
    setChecksum(computeChecksum(pseudoHeaderSum));
  }

  /** {@code OK} if the checksum verifies with this pseudo-header sum, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyChecksum(int pseudoHeaderSum) {
    return Checksums.verifies(buffer, offset, lengthBytes, pseudoHeaderSum)
        ? WireStatus.OK
        : WireStatus.BAD_CHECKSUM;
  }

  /** Updates the checksum after a 16-bit word it covers changed (RFC 1624 eqn. 3). */
  public void updateChecksum16(int oldWord, int newWord) {
    setChecksum(Checksums.update16(checksum(), oldWord, newWord));
  }
}
