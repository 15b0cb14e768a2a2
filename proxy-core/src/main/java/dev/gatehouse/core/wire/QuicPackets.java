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
 */
public final class QuicPackets {
  /** RFC 9000 §14.1: the smallest datagram a client's Initial travels in. */
  public static final int MIN_INITIAL_DATAGRAM_BYTES = 1200;
  /** RFC 9000 §17.2: a connection ID is at most 20 bytes in version 1. */
  private static final int MAX_CONNECTION_ID_BYTES = 20;
  private static final int HEADER_FORM_AND_FIXED_BITS = 0xC0;
  private static final int VERSION_OFFSET = 1;
  private static final int DCID_LENGTH_OFFSET = 5;
  private static final int QUIC_V2 = 0x6b3343cf;
  private static final int INITIAL_V1 = 0b00;
  private static final int INITIAL_V2 = 0b01;

  private QuicPackets() {}

  /** Whether {@code length} bytes at {@code offset} are a datagram carrying a QUIC Initial. */
  public static boolean isClientInitial(ByteBuf buffer, int offset, int length) {
    if (length < MIN_INITIAL_DATAGRAM_BYTES) {
      return false;
    }
    int first = buffer.getUnsignedByte(offset);
    if ((first & HEADER_FORM_AND_FIXED_BITS) != HEADER_FORM_AND_FIXED_BITS) {
      return false;
    }
    int version = buffer.getInt(offset + VERSION_OFFSET);
    if (version == 0 || buffer.getUnsignedByte(offset + DCID_LENGTH_OFFSET) > MAX_CONNECTION_ID_BYTES) {
      return false;
    }
    int type = (first >> 4) & 0b11;
    return type == (version == QUIC_V2 ? INITIAL_V2 : INITIAL_V1);
  }
}
