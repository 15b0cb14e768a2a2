package dev.gatehouse.ingress.wireguard.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a handshake response, WireGuard whitepaper §5.4.3: 92 bytes. Integers are
 * little-endian. Reusable: one instance per thread, {@link #wrap} per message.
 *
 * <pre>
 *  0       8      16      24      32 bits
 * +-------+-------+-------+-------+
 * | type=2|     reserved (0)      |   0
 * +-------+-------+-------+-------+
 * |         sender index          |   4
 * +-------+-------+-------+-------+
 * |        receiver index         |   8
 * +-------+-------+-------+-------+
 * |  unencrypted ephemeral (32)   |  12
 * +-------------------------------+
 * |  encrypted nothing (0 + 16)   |  44
 * +-------------------------------+
 * |          mac1 (16)            |  60
 * +-------------------------------+
 * |          mac2 (16)            |  76
 * +-------------------------------+  92
 * </pre>
 */
public final class HandshakeResponse {

  public static final int SENDER_OFFSET = 4;
  public static final int RECEIVER_OFFSET = 8;
  public static final int EPHEMERAL_OFFSET = 12;
  public static final int EMPTY_OFFSET = 44;
  public static final int MAC1_OFFSET = 60;
  public static final int MAC2_OFFSET = 76;
  public static final int LENGTH_BYTES = 92;

  /** Whitepaper §5.4.3: an empty plaintext's tag. */
  public static final int ENCRYPTED_EMPTY_BYTES = 16;

  private ByteBuf buffer;
  private int offset;

  /** Wraps the message at {@code offset}, checking length, type and reserved bytes. */
  public WireCheck wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    WireCheck check = MessageType.check(buffer, offset, lengthBytes,
        MessageType.HANDSHAKE_RESPONSE, LENGTH_BYTES, LENGTH_BYTES);
    if (check == WireCheck.OK) {
      this.buffer = buffer;
      this.offset = offset;
    }
    return check;
  }

  /** Writes the type, zero reserved bytes and both indices, then wraps the message. */
  public HandshakeResponse init(ByteBuf buffer, int offset, int senderIndex, int receiverIndex) {
    java.util.Objects.checkFromIndexSize(offset, LENGTH_BYTES, buffer.capacity());
    MessageType.writeType(buffer, offset, MessageType.HANDSHAKE_RESPONSE);
    buffer.setIntLE(offset + SENDER_OFFSET, senderIndex);
    buffer.setIntLE(offset + RECEIVER_OFFSET, receiverIndex);
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  public int senderIndex() {
    return buffer.getIntLE(offset + SENDER_OFFSET);
  }

  public int receiverIndex() {
    return buffer.getIntLE(offset + RECEIVER_OFFSET);
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
