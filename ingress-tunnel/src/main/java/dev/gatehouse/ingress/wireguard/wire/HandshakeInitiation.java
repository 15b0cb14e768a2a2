package dev.gatehouse.ingress.wireguard.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a handshake initiation, WireGuard whitepaper §5.4.2: 148 bytes. Integers are
 * little-endian. Reusable: one instance per thread, {@link #wrap} per message.
 *
 * <pre>
 *  0       8      16      24      32 bits
 * +-------+-------+-------+-------+
 * | type=1|     reserved (0)      |   0
 * +-------+-------+-------+-------+
 * |         sender index          |   4
 * +-------+-------+-------+-------+
 * |  unencrypted ephemeral (32)   |   8
 * +-------------------------------+
 * | encrypted static (32 + 16)    |  40
 * +-------------------------------+
 * | encrypted timestamp (12 + 16) |  88
 * +-------------------------------+
 * |          mac1 (16)            | 116
 * +-------------------------------+
 * |          mac2 (16)            | 132
 * +-------------------------------+ 148
 * </pre>
 */
public final class HandshakeInitiation {

  public static final int SENDER_OFFSET = 4;
  public static final int EPHEMERAL_OFFSET = 8;
  public static final int STATIC_OFFSET = 40;
  public static final int TIMESTAMP_OFFSET = 88;
  public static final int MAC1_OFFSET = 116;
  public static final int MAC2_OFFSET = 132;
  public static final int LENGTH_BYTES = 148;

  /** Whitepaper §5.4.2: the encrypted static is a public key and a tag. */
  public static final int ENCRYPTED_STATIC_BYTES = 48;
  /** Whitepaper §5.4.2: the encrypted timestamp is a TAI64N label and a tag. */
  public static final int ENCRYPTED_TIMESTAMP_BYTES = 28;

  private ByteBuf buffer;
  private int offset;

  /** Wraps the message at {@code offset}, checking length, type and reserved bytes. */
  public WireCheck wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    WireCheck check = MessageType.check(buffer, offset, lengthBytes,
        MessageType.HANDSHAKE_INITIATION, LENGTH_BYTES, LENGTH_BYTES);
    if (check == WireCheck.OK) {
      this.buffer = buffer;
      this.offset = offset;
    }
    return check;
  }

  /** Writes the type, zero reserved bytes and the sender index, then wraps the message. */
  public HandshakeInitiation init(ByteBuf buffer, int offset, int senderIndex) {
    java.util.Objects.checkFromIndexSize(offset, LENGTH_BYTES, buffer.capacity());
    MessageType.writeType(buffer, offset, MessageType.HANDSHAKE_INITIATION);
    buffer.setIntLE(offset + SENDER_OFFSET, senderIndex);
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  public int senderIndex() {
    return buffer.getIntLE(offset + SENDER_OFFSET);
  }

  /** The buffer the view wraps, for the field offsets above. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** The offset of the message's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }
}
