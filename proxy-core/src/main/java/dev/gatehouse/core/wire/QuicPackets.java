package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * Recognises a client's QUIC Initial packet at the start of a UDP payload, without
 * decrypting anything: only the invariant long header and the length rule clients obey.
 *
 * <pre>
 *  RFC 9000 §17.2 (long header), RFC 8999 §5.1 (invariants):
 *  +-+-+-+-+-+-+-+-+
 *  |1|1|T T|X X X X|   Header Form 1, Fixed Bit 1, Long Packet Type
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Version (32)                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | DCID Len (8)  |  Destination Connection ID (0..160) ...
 * </pre>
 *
 * <p>The Initial's type is 0b00 in QUIC version 1 (RFC 9000 §17.2.2) and 0b01 in version 2
 * (RFC 9369 §3.2); a version of 0 is Version Negotiation, not an Initial. RFC 9000 §14.1:
 * a client pads every datagram carrying an Initial to at least 1200 bytes, which keeps
 * ordinary UDP to port 443 (DTLS, say) from looking like QUIC by chance.
 *
 * <p>RFC 9287 §3.1 lets a client that remembers a server's {@code grease_quic_bit}
 * transport parameter clear the Fixed Bit even in its Initials. Such a datagram is still an
 * Initial here, but only for the versions this class knows (1 and 2): with the one fixed
 * bit gone, an unknown version would let too much else through.
 */
public final class QuicPackets {
  /** RFC 9000 §14.1: the smallest datagram a client's Initial travels in. */
  public static final int MIN_INITIAL_DATAGRAM_BYTES = 1200;
  /** RFC 9000 §17.2: a connection ID is at most 20 bytes in version 1. */
  private static final int MAX_CONNECTION_ID_BYTES = 20;
  /** RFC 9000 §15: QUIC version 1. */
  public static final int QUIC_V1 = 0x00000001;
  /** RFC 9369 §3.1: QUIC version 2. */
  public static final int QUIC_V2 = 0x6b3343cf;
  private static final int HEADER_FORM_BIT = 0x80;
  private static final int FIXED_BIT = 0x40;
  private static final int VERSION_OFFSET = 1;
  private static final int DCID_LENGTH_OFFSET = 5;
  private static final int INITIAL_V1 = 0b00;
  private static final int INITIAL_V2 = 0b01;
  private static final int RETRY_V1 = 0b11;
  private static final int RETRY_V2 = 0b00;

  private QuicPackets() {}

  /** Whether {@code length} bytes at {@code offset} are a datagram carrying a QUIC Initial. */
  public static boolean isClientInitial(ByteBuf buffer, int offset, int length) {
    if (length < MIN_INITIAL_DATAGRAM_BYTES) {
      return false;
    }
    int first = buffer.getUnsignedByte(offset);
    if ((first & HEADER_FORM_BIT) == 0) {
      return false;
    }
    int version = buffer.getInt(offset + VERSION_OFFSET);
    boolean greased = (first & FIXED_BIT) == 0;
    if (version == 0 || greased && version != QUIC_V1 && version != QUIC_V2) {
      return false;
    }
    if (buffer.getUnsignedByte(offset + DCID_LENGTH_OFFSET) > MAX_CONNECTION_ID_BYTES) {
      return false;
    }
    return isInitial(first, version);
  }

  /**
   * Whether a long header whose first byte is {@code firstByte} is an Initial in
   * {@code version}; versions other than 2 are read with version 1's types.
   */
  public static boolean isInitial(int firstByte, int version) {
    return longPacketType(firstByte) == (version == QUIC_V2 ? INITIAL_V2 : INITIAL_V1);
  }

  /**
   * Whether a long header is a Retry (RFC 9000 §17.2.5, RFC 9369 §3.2), the one long
   * packet without a Length field, so that nothing after it in a datagram can be found.
   */
  public static boolean isRetry(int firstByte, int version) {
    return longPacketType(firstByte) == (version == QUIC_V2 ? RETRY_V2 : RETRY_V1);
  }

  private static int longPacketType(int firstByte) {
    return (firstByte >> 4) & 0b11;
  }
}
