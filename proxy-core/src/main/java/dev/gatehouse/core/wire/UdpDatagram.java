package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of a UDP datagram (RFC 768). Reusable: one instance per thread, {@link #wrap} per
 * datagram; nothing is allocated.
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |                 |                 |
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * +---------------- ...
 * </pre>
 *
 * <p>Length counts header and data. The checksum covers a pseudo-header, the header and the
 * data; a computed checksum of zero is sent as all ones (RFC 768), because a transmitted zero
 * means "no checksum", which IPv4 allows and IPv6 forbids (RFC 8200 §8.1).
 *
 * <p>Accessors are defined only after {@code wrap} returned {@link WireStatus#OK}.
 */
public final class UdpDatagram {

  // RFC 768: offsets from the first byte of the header.
  public static final int SOURCE_PORT_OFFSET = 0;
  public static final int DESTINATION_PORT_OFFSET = 2;
  public static final int LENGTH_OFFSET = 4;
  public static final int CHECKSUM_OFFSET = 6;

  /** RFC 768: the header is 8 bytes. */
  public static final int HEADER_LENGTH_BYTES = 8;
  /** RFC 768: a transmitted checksum of zero means the sender computed none. */
  public static final int NO_CHECKSUM = 0;

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;

  /**
   * Wraps a datagram at {@code offset} within {@code lengthBytes} bytes of IP payload and
   * checks in this order: the header fits ({@code TRUNCATED}); Length is at least 8 and within
   * the IP payload ({@code BAD_TOTAL_LENGTH}). Bytes after Length are not part of the datagram.
   * The checksum is checked apart.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());

    if (lengthBytes < HEADER_LENGTH_BYTES) {
      return WireStatus.TRUNCATED;
    }
    int length = buffer.getUnsignedShort(offset + LENGTH_OFFSET);
    if (length < HEADER_LENGTH_BYTES || length > lengthBytes) {
      return WireStatus.BAD_TOTAL_LENGTH;
    }
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = length;
    return WireStatus.OK;
  }

  /**
   * Starts a datagram of {@code lengthBytes} bytes to be written at {@code offset}: writes
   * Length, leaves every other byte as it is, and wraps the result.
   *
   * @throws IllegalArgumentException if the length does not fit the field or the header
   */
  public UdpDatagram init(ByteBuf buffer, int offset, int lengthBytes) {
    if (lengthBytes < HEADER_LENGTH_BYTES || lengthBytes > 0xFFFF) {
      throw new IllegalArgumentException("lengthBytes must be in [8, 65535], got " + lengthBytes);
    }
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    buffer.setShort(offset + LENGTH_OFFSET, lengthBytes);
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    return this;
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the datagram's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The Length field: header and data. Also the pseudo-header's length (RFC 8200 §8.1). */
  public int lengthBytes() {
    return lengthBytes;
  }

  /** Index of the first data byte. */
  public int payloadOffset() {
    return offset + HEADER_LENGTH_BYTES;
  }

  /** Bytes of data. */
  public int payloadLengthBytes() {
    return lengthBytes - HEADER_LENGTH_BYTES;
  }

  /** The Source Port field; 0 if the sender expects no reply (RFC 768). */
  public int sourcePort() {
    return buffer.getUnsignedShort(offset + SOURCE_PORT_OFFSET);
  }

  /** The Destination Port field. */
  public int destinationPort() {
    return buffer.getUnsignedShort(offset + DESTINATION_PORT_OFFSET);
  }

  /** The Checksum field as transmitted. */
  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_OFFSET);
  }

  /** Sets the Source Port field; the checksum is not updated. */
  public void setSourcePort(int port) {
    buffer.setShort(offset + SOURCE_PORT_OFFSET, port);
  }

  /** Sets the Destination Port field; the checksum is not updated. */
  public void setDestinationPort(int port) {
    buffer.setShort(offset + DESTINATION_PORT_OFFSET, port);
  }

  /** Sets the Checksum field as it is to be transmitted. */
  public void setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_OFFSET, checksum);
  }

  /** Sets the Source Port and updates the checksum, if there is one, to match. */
  public void rewriteSourcePort(int port) {
    int oldPort = sourcePort();
    setSourcePort(port);
    updateChecksum16(oldPort, port);
  }

  /** Sets the Destination Port and updates the checksum, if there is one, to match. */
  public void rewriteDestinationPort(int port) {
    int oldPort = destinationPort();
    setDestinationPort(port);
    updateChecksum16(oldPort, port);
  }

  /**
   * The checksum to transmit, given the pseudo-header sum from the IP layer: the one's
   * complement of the sum, with zero sent as 0xFFFF (RFC 768).
   */
  public int computeChecksum(int pseudoHeaderSum) {
    return transmitted(Checksums.compute(
        buffer, offset, lengthBytes, offset + CHECKSUM_OFFSET, pseudoHeaderSum));
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum(int pseudoHeaderSum) {
    setChecksum(computeChecksum(pseudoHeaderSum));
  }

  /** Marks the datagram as sent without a checksum; allowed over IPv4 only (RFC 768). */
  public void clearChecksum() {
    setChecksum(NO_CHECKSUM);
  }

  /**
   * Over IPv4: {@code OK} if the checksum is zero (the sender computed none, RFC 768) or
   * verifies, else {@code BAD_CHECKSUM}.
   */
  public WireStatus verifyChecksumOverIpv4(int pseudoHeaderSum) {
    return checksum() == NO_CHECKSUM ? WireStatus.OK : verify(pseudoHeaderSum);
  }

  /**
   * Over IPv6: {@code OK} only if the checksum verifies. RFC 8200 §8.1: "IPv6 receivers must
   * discard UDP packets containing a zero checksum". The tunnel exceptions of RFC 6935 do not
   * apply to the inner packets this view reads.
   */
  public WireStatus verifyChecksumOverIpv6(int pseudoHeaderSum) {
    return checksum() == NO_CHECKSUM ? WireStatus.BAD_CHECKSUM : verify(pseudoHeaderSum);
  }

  private WireStatus verify(int pseudoHeaderSum) {
    return Checksums.verify(buffer, offset, lengthBytes, pseudoHeaderSum);
  }

  /**
   * Updates the checksum after a 16-bit word it covers changed (RFC 1624 eqn. 3). A datagram
   * sent without a checksum keeps none; a result of zero is sent as 0xFFFF (RFC 768).
   */
  public void updateChecksum16(int oldWord, int newWord) {
    int checksum = checksum();
    if (checksum != NO_CHECKSUM) {
      setChecksum(transmitted(Checksums.update16(checksum, oldWord, newWord)));
    }
  }

  /** {@link #updateChecksum16} for a 32-bit value, such as an IPv4 address. */
  public void updateChecksum32(int oldValue, int newValue) {
    int checksum = checksum();
    if (checksum != NO_CHECKSUM) {
      setChecksum(transmitted(Checksums.update32(checksum, oldValue, newValue)));
    }
  }

  private static int transmitted(int checksum) {
    return checksum == NO_CHECKSUM ? 0xFFFF : checksum;
  }
}
