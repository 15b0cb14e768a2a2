package dev.gatehouse.ingress.wireguard.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a cookie reply, WireGuard whitepaper §5.4.7: 64 bytes. The receiver index is
 * the sender index of the handshake message it answers. Reusable: {@link #wrap} per message.
 *
 * <pre>
 *  0       8      16      24      32 bits
 * +-------+-------+-------+-------+
 * | type=3|     reserved (0)      |   0
 * +-------+-------+-------+-------+
 * |        receiver index         |   4
 * +-------+-------+-------+-------+
 * |        nonce (24)             |   8
 * +-------------------------------+
 * | encrypted cookie (16 + 16)    |  32
 * +-------------------------------+  64
 * </pre>
 */
public final class CookieReply {

  public static final int RECEIVER_OFFSET = 4;
  public static final int NONCE_OFFSET = 8;
  public static final int COOKIE_OFFSET = 32;
  public static final int LENGTH_BYTES = 64;

  /** Whitepaper §5.4.7: XAEAD's nonce is 24 random bytes. */
  public static final int NONCE_BYTES = 24;
  /** Whitepaper §5.4.7: the cookie (a 16-byte MAC) and its tag. */
  public static final int ENCRYPTED_COOKIE_BYTES = 32;

  private ByteBuf buffer;
  private int offset;

  /** Wraps the message at {@code offset}, checking length, type and reserved bytes. */
  public WireCheck wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    WireCheck check = MessageType.check(buffer, offset, lengthBytes, MessageType.COOKIE_REPLY,
        LENGTH_BYTES, LENGTH_BYTES);
    if (check == WireCheck.OK) {
      this.buffer = buffer;
      this.offset = offset;
    }
    return check;
  }

  /** Writes the type, zero reserved bytes and the receiver index, then wraps the message. */
  public CookieReply init(ByteBuf buffer, int offset, int receiverIndex) {
    java.util.Objects.checkFromIndexSize(offset, LENGTH_BYTES, buffer.capacity());
    MessageType.writeType(buffer, offset, MessageType.COOKIE_REPLY);
    buffer.setIntLE(offset + RECEIVER_OFFSET, receiverIndex);
    this.buffer = buffer;
    this.offset = offset;
    return this;
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
