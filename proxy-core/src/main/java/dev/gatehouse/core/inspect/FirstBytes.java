package dev.gatehouse.core.inspect;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Recognisers for TCP protocols that a few fixed bytes at the start identify. Each judges
 * the first {@code available} bytes of the stream at index 0 of {@code head}, and says
 * {@link Verdict#NEED_MORE} only while the bytes so far are consistent with its protocol.
 * Every one decides within {@link #DECIDING_BYTES}.
 */
final class FirstBytes {
  /** RFC 9113 §3.4: the client connection preface of HTTP/2 with prior knowledge. */
  private static final byte[] HTTP2_PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SSH_PREFIX = "SSH-".getBytes(StandardCharsets.US_ASCII);
  /** Chosen: protocol versions are "2.0" and "1.99"; a longer one is not SSH. */
  private static final int MAX_SSH_VERSION_BYTES = 8;

  /** RFC 1006 §6: TPKT version 3, reserved 0. */
  private static final int TPKT_VERSION = 3;
  /** TPKT header (4) and X.224 Connection Request fixed part (7). */
  private static final int RDP_FIXED_BYTES = 11;
  /** ITU-T X.224 §13.3: CR TPDU code 1110, credit 0000. */
  private static final int X224_CONNECTION_REQUEST = 0xE0;
  /** MS-RDPBCGR §2.2.1.1: routingToken and cookie both start so. */
  private static final byte[] RDP_COOKIE = "Cookie: ".getBytes(StandardCharsets.US_ASCII);
  /** MS-RDPBCGR §2.2.1.1.1: RDP_NEG_REQ type 0x01, then flags, then length 0x0008 LE. */
  private static final int RDP_NEG_REQ = 0x01;
  private static final int RDP_NEG_REQ_BYTES = 8;

  /** MS-SMB2 §2.1: Direct TCP header, a zero byte then a 24-bit length. */
  private static final int SMB_TRANSPORT_HEADER_BYTES = 4;
  /** MS-SMB2 §2.2.1 ProtocolId 0xFE 'S' 'M' 'B'; MS-CIFS §2.2.3.1 SMB1 uses 0xFF. */
  private static final int SMB2_PROTOCOL_ID = 0xFE534D42;
  private static final int SMB1_PROTOCOL_ID = 0xFF534D42;
  private static final int SMB2_HEADER_BYTES = 64;
  private static final int SMB1_HEADER_BYTES = 32;

  /** RFC 1035 §4.2.2: a 2-byte length precedes each message over TCP. */
  private static final int DNS_TCP_LENGTH_BYTES = 2;
  /**
   * Chosen: the largest first DNS message over TCP we take for a query. A query is one
   * question and a few EDNS options; the bound also keeps the length's first byte at 0x10
   * or below, far from TLS (0x16) and from any printable byte a text protocol starts with.
   */
  static final int MAX_DNS_TCP_QUERY_BYTES = 4096;

  /** The bytes every recogniser here decides within. */
  static final int DECIDING_BYTES = DNS_TCP_LENGTH_BYTES + DnsQuery.MAX_DECIDING_BYTES;

  private FirstBytes() {}

  static Verdict http2Preface(ByteBuf head, int available) {
    return prefix(head, 0, available, HTTP2_PREFACE);
  }

  /** RFC 4253 §4.2: "SSH-protoversion-softwareversion", protoversion digits "." digits. */
  static Verdict ssh(ByteBuf head, int available) {
    Verdict start = prefix(head, 0, available, SSH_PREFIX);
    if (start != Verdict.RECOGNISED) {
      return start;
    }
    int digitsBeforeDot = 0;
    int digitsAfterDot = -1;
    for (int i = SSH_PREFIX.length; i < available; i++) {
      int c = head.getUnsignedByte(i);
      if (c == '-' && digitsAfterDot > 0) {
        return Verdict.RECOGNISED;
      } else if (c == '.' && digitsBeforeDot > 0 && digitsAfterDot < 0) {
        digitsAfterDot = 0;
      } else if (c >= '0' && c <= '9' && i - SSH_PREFIX.length < MAX_SSH_VERSION_BYTES) {
        if (digitsAfterDot < 0) {
          digitsBeforeDot++;
        } else {
          digitsAfterDot++;
        }
      } else {
        return Verdict.NOT_IT;
      }
    }
    return Verdict.NEED_MORE;
  }

  /**
   * A TPKT carrying an X.224 Connection Request whose variable part is what an RDP client
   * puts there (a cookie, an RDP_NEG_REQ, or nothing), unlike ISO-on-TCP (RFC 1006, S7),
   * whose Connection Request carries TSAP parameters (codes 0xC0..0xC2).
   */
  static Verdict rdp(ByteBuf head, int available) {
    if (available > 0 && head.getUnsignedByte(0) != TPKT_VERSION
        || available > 1 && head.getUnsignedByte(1) != 0) {
      return Verdict.NOT_IT;
    }
    if (available < RDP_FIXED_BYTES) {
      return Verdict.NEED_MORE;
    }
    int tpktLength = head.getUnsignedShort(2);
    // X.224 §13.3.1: the length indicator counts the TPDU header without itself
    if (tpktLength < RDP_FIXED_BYTES || head.getUnsignedByte(4) != tpktLength - 5
        || head.getUnsignedByte(5) != X224_CONNECTION_REQUEST || head.getUnsignedShort(6) != 0
        || head.getUnsignedByte(10) != 0) {
      return Verdict.NOT_IT;
    }
    if (tpktLength == RDP_FIXED_BYTES) {
      return Verdict.RECOGNISED;
    }
    if (available == RDP_FIXED_BYTES) {
      return Verdict.NEED_MORE;
    }
    if (head.getUnsignedByte(RDP_FIXED_BYTES) == RDP_NEG_REQ) {
      if (tpktLength < RDP_FIXED_BYTES + RDP_NEG_REQ_BYTES) {
        return Verdict.NOT_IT;
      }
      if (available < RDP_FIXED_BYTES + 4) {
        return Verdict.NEED_MORE;
      }
      return head.getUnsignedShortLE(RDP_FIXED_BYTES + 2) == RDP_NEG_REQ_BYTES
          ? Verdict.RECOGNISED : Verdict.NOT_IT;
    }
    if (tpktLength < RDP_FIXED_BYTES + RDP_COOKIE.length) {
      return Verdict.NOT_IT;
    }
    return prefix(head, RDP_FIXED_BYTES, available, RDP_COOKIE);
  }

  static Verdict smb(ByteBuf head, int available) {
    if (available > 0 && head.getUnsignedByte(0) != 0) {
      return Verdict.NOT_IT;
    }
    if (available < SMB_TRANSPORT_HEADER_BYTES + 4) {
      return Verdict.NEED_MORE;
    }
    int length = head.getUnsignedMedium(1);
    int protocolId = head.getInt(SMB_TRANSPORT_HEADER_BYTES);
    if (protocolId == SMB2_PROTOCOL_ID && length >= SMB2_HEADER_BYTES
        || protocolId == SMB1_PROTOCOL_ID && length >= SMB1_HEADER_BYTES) {
      return Verdict.RECOGNISED;
    }
    return Verdict.NOT_IT;
  }

  static Verdict dnsOverTcp(ByteBuf head, int available) {
    if (available > 0 && head.getUnsignedByte(0) > (MAX_DNS_TCP_QUERY_BYTES >> 8)) {
      return Verdict.NOT_IT;
    }
    if (available < DNS_TCP_LENGTH_BYTES) {
      return Verdict.NEED_MORE;
    }
    int messageBytes = head.getUnsignedShort(0);
    if (messageBytes > MAX_DNS_TCP_QUERY_BYTES) {
      return Verdict.NOT_IT;
    }
    return DnsQuery.verdict(head, DNS_TCP_LENGTH_BYTES, available - DNS_TCP_LENGTH_BYTES, messageBytes);
  }

  /** Whether {@code expected} starts at {@code from}, as far as the bytes go. */
  private static Verdict prefix(ByteBuf head, int from, int available, byte[] expected) {
    int compare = Math.min(available - from, expected.length);
    for (int i = 0; i < compare; i++) {
      if (head.getByte(from + i) != expected[i]) {
        return Verdict.NOT_IT;
      }
    }
    return compare == expected.length ? Verdict.RECOGNISED : Verdict.NEED_MORE;
  }
}
