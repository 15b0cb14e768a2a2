package dev.gatehouse.core.inspect;

import dev.gatehouse.core.wire.QuicPackets;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * Inspects the first datagram of a UDP flow (one datagram: UDP has no stream). Each check
 * needs structure that random or other protocols' bytes would not have by chance; the DNS
 * check, whose header starts with a random id, runs last.
 */
public final class DatagramInspector {
  /** RFC 6347 §4.1: DTLS record header; RFC 6347 §4.2.2: DTLS handshake header. */
  private static final int DTLS_RECORD_HEADER_BYTES = 13;
  private static final int DTLS_HANDSHAKE_HEADER_BYTES = 12;
  /** RFC 6347 §4.1 DTLS 1.0 {254, 255}; 1.2 {254, 253}, also used by 1.3 (RFC 9147 §5.1). */
  private static final int DTLS_1_0 = 0xFEFF;
  private static final int DTLS_1_2 = 0xFEFD;
  private static final int CLIENT_HELLO = 1;

  /** WireGuard paper §5.4.2: handshake initiation, type 1 and three zero bytes, 148 bytes. */
  private static final int WIREGUARD_INITIATION = 0x01000000;
  private static final int WIREGUARD_INITIATION_BYTES = 148;

  /** RFC 8489 §5: 20-byte header, magic cookie at offset 4. */
  private static final int STUN_HEADER_BYTES = 20;
  private static final int STUN_MAGIC_COOKIE = 0x2112A442;

  private DatagramInspector() {}

  /**
   * The protocol of the {@code length} bytes at {@code offset} of {@code payload}, a UDP
   * flow's first datagram; {@link DetectedProtocol#NONE} when nothing was recognised.
   * Reads nothing outside that range and never throws on its contents.
   *
   * @throws IndexOutOfBoundsException when the range lies outside {@code payload}
   */
  public static DetectedProtocol inspect(ByteBuf payload, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, payload.capacity());
    if (QuicPackets.isClientInitial(payload, offset, length)) {
      return DetectedProtocol.QUIC;
    }
    if (isDtlsClientHello(payload, offset, length)) {
      return DetectedProtocol.DTLS;
    }
    if (length == WIREGUARD_INITIATION_BYTES && payload.getInt(offset) == WIREGUARD_INITIATION) {
      return DetectedProtocol.WIREGUARD;
    }
    if (isStunRequestOrIndication(payload, offset, length)) {
      return DetectedProtocol.STUN;
    }
    if (DnsQuery.verdict(payload, offset, length, length) == Verdict.RECOGNISED) {
      return DetectedProtocol.DNS;
    }
    return DetectedProtocol.NONE;
  }

  /**
   * RFC 6347 §4.1, §4.2.2: a handshake record of epoch 0 that fits the datagram and starts
   * a ClientHello whose fragment fits the record.
   */
  private static boolean isDtlsClientHello(ByteBuf payload, int offset, int length) {
    if (length < DTLS_RECORD_HEADER_BYTES + DTLS_HANDSHAKE_HEADER_BYTES
        || payload.getUnsignedByte(offset) != TlsHandshakeReader.CONTENT_TYPE_HANDSHAKE) {
      return false;
    }
    int version = payload.getUnsignedShort(offset + 1);
    int epoch = payload.getUnsignedShort(offset + 3);
    int recordLength = payload.getUnsignedShort(offset + 11);
    if (version != DTLS_1_0 && version != DTLS_1_2 || epoch != 0
        || recordLength < DTLS_HANDSHAKE_HEADER_BYTES
        || DTLS_RECORD_HEADER_BYTES + recordLength > length) {
      return false;
    }
    int handshake = offset + DTLS_RECORD_HEADER_BYTES;
    int messageLength = payload.getUnsignedMedium(handshake + 1);
    int fragmentOffset = payload.getUnsignedMedium(handshake + 6);
    int fragmentLength = payload.getUnsignedMedium(handshake + 9);
    return payload.getUnsignedByte(handshake) == CLIENT_HELLO
        && fragmentOffset + fragmentLength <= messageLength
        && DTLS_HANDSHAKE_HEADER_BYTES + fragmentLength <= recordLength;
  }

  /**
   * RFC 8489 §5: the top two bits zero, the magic cookie, a length that is a multiple of 4
   * and covers the rest of the datagram, and the class of a message a client starts with:
   * request (C1C0 = 00) or indication (01).
   */
  private static boolean isStunRequestOrIndication(ByteBuf payload, int offset, int length) {
    if (length < STUN_HEADER_BYTES) {
      return false;
    }
    int type = payload.getUnsignedShort(offset);
    int messageLength = payload.getUnsignedShort(offset + 2);
    int stunClass = ((type >> 7) & 0b10) | ((type >> 4) & 0b01);
    return (type & 0xC000) == 0 && payload.getInt(offset + 4) == STUN_MAGIC_COOKIE
        && (messageLength & 3) == 0 && messageLength == length - STUN_HEADER_BYTES
        && stunClass <= 1;
  }
}
