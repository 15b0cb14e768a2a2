package dev.gatehouse.ingress.wireguard.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a transport data message, WireGuard whitepaper §5.4.6: a 16-byte header, then
 * the encrypted packet with its tag. The plaintext was padded with zeros to a multiple of
 * 16 bytes before encryption; an empty plaintext is a keepalive (§6.5). Reusable: {@link
 * #wrap} per message; nothing is allocated.
 *
 * <pre>
 *  0       8      16      24      32 bits
 * +-------+-------+-------+-------+
 * | type=4|     reserved (0)      |   0
 * +-------+-------+-------+-------+
 * |        receiver index         |   4
 * +-------+-------+-------+-------+
 * |                               |   8
 * +           counter (64)        +
 * |                               |
 * +-------+-------+-------+-------+
 * | encrypted packet (n + 16) ... |  16
 * +-------------------------------+
 * </pre>
 */
public final class TransportData {

  public static final int RECEIVER_OFFSET = 4;
  public static final int COUNTER_OFFSET = 8;
  public static final int PACKET_OFFSET = 16;
  public static final int HEADER_BYTES = 16;
  /** Poly1305's tag ends every encrypted packet (RFC 8439 §2.8). */
  public static final int TAG_BYTES = 16;
  /** A keepalive: the header and the tag of an empty plaintext. */
  public static final int MIN_LENGTH_BYTES = HEADER_BYTES + TAG_BYTES;
  /** Whitepaper §5.4.6: plaintexts are padded to a multiple of 16 bytes. */
  public static final int PADDING_MULTIPLE_BYTES = 16;

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;

  /** Wraps the message at {@code offset}, checking length, type and reserved bytes. */
  public WireCheck wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    WireCheck check = MessageType.check(buffer, offset, lengthBytes, MessageType.TRANSPORT_DATA,
        MIN_LENGTH_BYTES, Integer.MAX_VALUE);
    if (check == WireCheck.OK) {
      this.buffer = buffer;
      this.offset = offset;
      this.lengthBytes = lengthBytes;
    }
    return check;
  }

  /**
   * Writes the header of a message of {@code lengthBytes} (header, encrypted packet and tag),
   * then wraps it; the caller writes the encrypted packet at {@link #PACKET_OFFSET}.
   */
  public TransportData init(ByteBuf buffer, int offset, int lengthBytes, int receiverIndex,
      long counter) {
    if (lengthBytes < MIN_LENGTH_BYTES) {
      throw new IllegalArgumentException("transport data is at least 32 bytes, got "
          + lengthBytes);
    }
    java.util.Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    MessageType.writeType(buffer, offset, MessageType.TRANSPORT_DATA);
    buffer.setIntLE(offset + RECEIVER_OFFSET, receiverIndex);
    buffer.setLongLE(offset + COUNTER_OFFSET, counter);
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    return this;
  }

  public int receiverIndex() {
    return buffer.getIntLE(offset + RECEIVER_OFFSET);
  }

  /** The sender's counter, an unsigned 64-bit value held in a long. */
  public long counter() {
    return buffer.getLongLE(offset + COUNTER_OFFSET);
  }

  /** Bytes of encrypted packet and tag after the header. */
  public int encryptedLengthBytes() {
    return lengthBytes - HEADER_BYTES;
  }

  /** Bytes of (padded) plaintext the encrypted packet holds. */
  public int plaintextLengthBytes() {
    return lengthBytes - MIN_LENGTH_BYTES;
  }

  /** The buffer the view wraps. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The offset of the encrypted packet in {@link #buffer()}. */
  public int packetOffset() {
    return offset + PACKET_OFFSET;
  }

  /** Zero bytes to append to {@code plaintextBytes} so the length is a multiple of 16, capped
   * so that the padded packet is not longer than {@code mtuBytes} (whitepaper §5.4.6). */
  public static int paddingBytes(int plaintextBytes, int mtuBytes) {
    int padded = (plaintextBytes + PADDING_MULTIPLE_BYTES - 1) & -PADDING_MULTIPLE_BYTES;
    return Math.max(0, Math.min(padded, Math.max(mtuBytes, plaintextBytes)) - plaintextBytes);
  }
}
