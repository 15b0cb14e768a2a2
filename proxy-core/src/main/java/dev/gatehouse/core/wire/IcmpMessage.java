package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * What ICMP for IPv4 and ICMPv6 share: the first eight bytes, type, code, checksum and
 * rest-of-header, laid out alike by RFC 792 and RFC 4443 §2.1 (the diagrams are on
 * {@link Icmpv4Message} and {@link Icmpv6Message}), the echo Identifier and Sequence Number
 * at the same places (RFC 792 p.14, RFC 4443 §4.1-4.2), and the view's state and checks.
 *
 * <p>The two differ in their type numbers, in what rest-of-header holds for the errors, and
 * in the checksum: ICMPv6 adds the IPv6 pseudo-header (RFC 4443 §2.3), ICMP for IPv4 does
 * not. Those stay in the subclasses, which are the public views.
 */
abstract sealed class IcmpMessage permits Icmpv4Message, Icmpv6Message {

  // RFC 792 and RFC 4443 §2.1: offsets from the first byte of the message.
  public static final int TYPE_OFFSET = 0;
  public static final int CODE_OFFSET = 1;
  public static final int CHECKSUM_OFFSET = 2;
  public static final int REST_OF_HEADER_OFFSET = 4;
  public static final int IDENTIFIER_OFFSET = 4;
  public static final int SEQUENCE_NUMBER_OFFSET = 6;
  public static final int BODY_OFFSET = 8;

  /** Type, code, checksum and four bytes that depend on the type. */
  public static final int HEADER_LENGTH_BYTES = 8;

  // For the message of wrapQuotedPacket: "ICMP" or "ICMPv6".
  private final String protocolName;

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;

  IcmpMessage(String protocolName) {
    this.protocolName = protocolName;
  }

  /**
   * Wraps a message of {@code lengthBytes} bytes at {@code offset}, the rest of its packet:
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

  /** The subclasses' {@code init}, which return their own type. */
  final void initHeader(ByteBuf buffer, int offset, int lengthBytes, int type, int code) {
    if (lengthBytes < HEADER_LENGTH_BYTES) {
      throw new IllegalArgumentException("lengthBytes must be at least 8, got " + lengthBytes);
    }
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    setType(type);
    setCode(code);
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the message's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /**
   * The whole message's length: header and body. For ICMPv6 also the pseudo-header's
   * upper-layer length (RFC 4443 §2.3).
   */
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

  /** Whether this is an error message, whose body quotes the packet that caused it. */
  public abstract boolean isError();

  /** The four bytes after the checksum, whatever the type makes of them. */
  public int restOfHeader() {
    return buffer.getInt(offset + REST_OF_HEADER_OFFSET);
  }

  /** Echo Request and Echo Reply: the Identifier. */
  public int identifier() {
    return buffer.getUnsignedShort(offset + IDENTIFIER_OFFSET);
  }

  /** Echo Request and Echo Reply: the Sequence Number. */
  public int sequenceNumber() {
    return buffer.getUnsignedShort(offset + SEQUENCE_NUMBER_OFFSET);
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
      throw new IllegalStateException(protocolName + " type " + type() + " quotes no packet");
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

  /** Updates the checksum after a 16-bit word it covers changed (RFC 1624 eqn. 3). */
  public void updateChecksum16(int oldWord, int newWord) {
    setChecksum(Checksums.update16(checksum(), oldWord, newWord));
  }

  /**
   * The subclasses' {@code computeChecksum}: over the whole message, with {@code initialSum}
   * 0 for ICMP (RFC 792) or the IPv6 pseudo-header sum for ICMPv6 (RFC 4443 §2.3).
   */
  final int checksumWith(int initialSum) {
    return Checksums.compute(buffer, offset, lengthBytes, offset + CHECKSUM_OFFSET, initialSum);
  }

  /** The subclasses' {@code verifyChecksum}, {@code initialSum} as for {@link #checksumWith}. */
  final WireStatus verifyChecksumWith(int initialSum) {
    return Checksums.verify(buffer, offset, lengthBytes, initialSum);
  }
}
