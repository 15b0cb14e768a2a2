package dev.gatehouse.ingress.wireguard.wire;

import io.netty.buffer.ByteBuf;

/**
 * The four WireGuard message types (whitepaper §5.4.2–§5.4.6), by their first byte. Every
 * message starts with the same four bytes:
 *
 * <pre>
 *  0      7 8                              31
 * +--------+--------+--------+--------+
 * |  type  |      reserved (zero)     |
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class MessageType {

  /** Whitepaper §5.4.2: handshake initiation. */
  public static final int HANDSHAKE_INITIATION = 1;
  /** Whitepaper §5.4.3: handshake response. */
  public static final int HANDSHAKE_RESPONSE = 2;
  /** Whitepaper §5.4.7: cookie reply. */
  public static final int COOKIE_REPLY = 3;
  /** Whitepaper §5.4.6: transport data. */
  public static final int TRANSPORT_DATA = 4;

  /** Offset of the type byte; the reserved bytes follow it. */
  public static final int TYPE_OFFSET = 0;
  /** The type byte and three reserved bytes. */
  public static final int TYPE_FIELD_BYTES = 4;

  /** No message has this type: {@link #typeOf} of a buffer too short for any. */
  public static final int NONE = -1;

  private MessageType() {}

  /** The type byte at {@code offset}, or {@link #NONE} if {@code lengthBytes} is 0. */
  public static int typeOf(ByteBuf buffer, int offset, int lengthBytes) {
    return lengthBytes < 1 ? NONE : buffer.getUnsignedByte(offset + TYPE_OFFSET);
  }

  /** Writes the type and zero reserved bytes at {@code offset}. */
  static void writeType(ByteBuf buffer, int offset, int type) {
    buffer.setInt(offset, type << 24);
  }

  /** Checks the length range, type and reserved bytes common to all messages, in that order. */
  static WireCheck check(ByteBuf buffer, int offset, int lengthBytes, int type,
      int minLengthBytes, int maxLengthBytes) {
    java.util.Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    if (lengthBytes < TYPE_FIELD_BYTES) {
      return WireCheck.BAD_LENGTH;
    }
    if (buffer.getUnsignedByte(offset) != type) {
      return WireCheck.BAD_TYPE;
    }
    if (lengthBytes < minLengthBytes || lengthBytes > maxLengthBytes) {
      return WireCheck.BAD_LENGTH;
    }
    // whitepaper §5.4.2: reserved ← 0^3; a non-zero byte is not a message we understand
    if (buffer.getMedium(offset + 1) != 0) {
      return WireCheck.BAD_RESERVED;
    }
    return WireCheck.OK;
  }
}
