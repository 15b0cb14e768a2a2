package dev.gatehouse.core.inspect;

import dev.gatehouse.core.wire.QuicPackets;

/**
 * The long header of one packet in a client's datagram, read from a copy of the datagram
 * with its protection still on: enough to find the packet's end, its Destination Connection
 * ID and, for an Initial, where the protected packet number starts. One instance per flow,
 * reused for every packet.
 *
 * <pre>
 *  RFC 9000 §17.2.2, Initial packet (other long packets have no Token fields, §17.2):
 *  +-+-+-+-+-+-+-+-+
 *  |1|1|T T|R R|P P|   Header Form, Fixed Bit, Long Packet Type, Reserved, PN Length
 *  +-+-+-+-+-+-+-+-+   (R and P are under header protection, RFC 9001 §5.4.1)
 *  | Version (32) | DCID Len (8) | DCID (0..160) | SCID Len (8) | SCID (0..160) |
 *  | Token Length (i) | Token (..) | Length (i) | Packet Number (8..32) | Payload |
 *  Length covers the Packet Number and the Payload (RFC 9000 §17.2).
 * </pre>
 *
 * <p>Only QUIC versions 1 and 2 are read: the layout after the connection IDs belongs to
 * the version (RFC 8999 §5.1), and only theirs are known here.
 */
final class QuicLongHeader {
  private static final int LONG_HEADER_FORM = 0x80;
  /** RFC 9000 §17.2: "In QUIC version 1, this value MUST NOT exceed 20 bytes" (also v2). */
  private static final int MAX_CONNECTION_ID_BYTES = 20;

  private final QuicReader reader = new QuicReader();

  int start;
  int firstByte;
  int version;
  int dcidStart;
  int dcidLength;
  boolean initial;
  /** Where the packet number starts (RFC 9001 §5.4.2's pn_offset), absolute in the copy. */
  int packetNumberOffset;
  /** Where the packet ends and the next coalesced one starts (RFC 9000 §12.2). */
  int end;

  /**
   * Reads the packet at {@code bytes[at]}; false when it is not a version 1 or 2 long header
   * packet whose Length fits before {@code datagramEnd}: a short header packet has no length
   * (RFC 9000 §12.2: it can only be the last), nor has a Retry, nor an unknown version.
   */
  boolean read(byte[] bytes, int at, int datagramEnd) {
    reader.reset(bytes, at, datagramEnd);
    start = at;
    firstByte = reader.u8();
    if (firstByte < 0 || (firstByte & LONG_HEADER_FORM) == 0 || reader.remaining() < 4) {
      return false;
    }
    version = (reader.u8() << 24) | (reader.u8() << 16) | (reader.u8() << 8) | reader.u8();
    if (version != QuicPackets.QUIC_V1 && version != QuicPackets.QUIC_V2
        || QuicPackets.isRetry(firstByte, version)) {
      return false;
    }

    dcidLength = reader.u8();
    dcidStart = reader.position();
    if (dcidLength < 0 || dcidLength > MAX_CONNECTION_ID_BYTES || !reader.skip(dcidLength)) {
      return false;
    }
    int scidLength = reader.u8();
    if (scidLength < 0 || scidLength > MAX_CONNECTION_ID_BYTES || !reader.skip(scidLength)) {
      return false;
    }

    initial = QuicPackets.isInitial(firstByte, version);
    if (initial && !reader.skip(reader.varint())) {
      return false;
    }
    long length = reader.varint();
    packetNumberOffset = reader.position();
    if (length < 0 || length > reader.remaining()) {
      return false;
    }
    end = packetNumberOffset + (int) length;
    return true;
  }
}
