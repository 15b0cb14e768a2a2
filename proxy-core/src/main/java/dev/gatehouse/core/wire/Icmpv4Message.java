package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

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
public final class Icmpv4Message {

  // RFC 792: offsets from the first byte of the message.
  public static final int TYPE_OFFSET = 0;
  public static final int CODE_OFFSET = 1;
  public static final int CHECKSUM_OFFSET = 2;
  public static final int REST_OF_HEADER_OFFSET = 4;
  public static final int IDENTIFIER_OFFSET = 4;
  public static final int SEQUENCE_NUMBER_OFFSET = 6;
  public static final int POINTER_OFFSET = 4;
  public static final int NEXT_HOP_MTU_OFFSET = 6;
  public static final int BODY_OFFSET = 8;

  /** RFC 792: type, code, checksum and four bytes that depend on the type. */
  public static final int HEADER_LENGTH_BYTES = 8;

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

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;

  /**
   * Wraps a message of {@code lengthBytes} bytes at {@code offset}, the whole IP payload:
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
  public Icmpv4Message init(ByteBuf buffer, int offset, int lengthBytes, int type, int code) {
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

  /** The whole message's length: header and body. */
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

  /**
   * Whether this is an error message, whose body quotes the packet that caused it:
   * Destination Unreachable, Source Quench, Redirect, Time Exceeded, Parameter Problem.
   */
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

  /** The four bytes after the checksum, whatever the type makes of them. */
  public int restOfHeader() {
    return buffer.getInt(offset + REST_OF_HEADER_OFFSET);
  }

  /** Echo and Echo Reply: the Identifier. */
  public int identifier() {
    return buffer.getUnsignedShort(offset + IDENTIFIER_OFFSET);
  }

  /** Echo and Echo Reply: the Sequence Number. */
  public int sequenceNumber() {
    return buffer.getUnsignedShort(offset + SEQUENCE_NUMBER_OFFSET);
  }

  /** Parameter Problem: the Pointer to the byte in the quoted header that is wrong. */
  public int pointer() {
    return buffer.getUnsignedByte(offset + POINTER_OFFSET);
  }

  /** Redirect: the Gateway Internet Address. */
  public int gatewayAddress() {
    return restOfHeader();
  }

  /** Fragmentation Needed: the Next-Hop MTU (RFC 1191 §4); 0 from older routers. */
  public int nextHopMtu() {
    return buffer.getUnsignedShort(offset + NEXT_HOP_MTU_OFFSET);
  }

  /** Index of the body: echo data or the quoted packet. */
  public int bodyOffset() {
    return offset + BODY_OFFSET;
  }

  /** Bytes of body. */
  public int bodyLengthBytes() {
    return lengthBytes - HEADER_LENGTH_BYTES;
  }

  /**
   * Wraps the packet an error message quotes with {@code packet}, accepting that it is cut
   * short ({@link IpPacket#wrapQuoted}).
   *
   * @throws IllegalStateException if this is not an error message
   */
  public WireStatus wrapQuotedPacket(IpPacket packet) {
    if (!isError()) {
      throw new IllegalStateException("ICMP type " + type() + " quotes no packet");
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

  /** The checksum the message should carry (RFC 792: over the whole message). */
  public int computeChecksum() {
    return Checksums.complement(Checksums.sumWithoutChecksumField(
        buffer, offset, lengthBytes, offset + CHECKSUM_OFFSET));
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum() {
    setChecksum(computeChecksum());
  }

  /** {@code OK} if the checksum verifies, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyChecksum() {
    return Checksums.verifies(buffer, offset, lengthBytes, 0)
        ? WireStatus.OK
        : WireStatus.BAD_CHECKSUM;
  }

  /** Updates the checksum after a 16-bit word it covers changed (RFC 1624 eqn. 3). */
  public void updateChecksum16(int oldWord, int newWord) {
    setChecksum(Checksums.update16(checksum(), oldWord, newWord));
  }
}
