package dev.gatehouse.core.inspect;

import io.netty.buffer.ByteBuf;

/**
 * Whether bytes are the start of a DNS query: a header a client would send and a first
 * question that parses. A DNS header starts with a random id, so the rest must carry the
 * weight: a query flag, a known opcode, a zero Z bit and RCODE, exactly one question, and
 * that question's name, type and class.
 *
 * <pre>
 *  RFC 1035 §4.1.1 header (12 bytes):
 *  | ID (16) | QR(1) Opcode(4) AA TC RD | RA Z AD CD RCODE(4) | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT |
 *  RFC 1035 §4.1.2 question:  QNAME (labels, 0-terminated) | QTYPE (16) | QCLASS (16)
 * </pre>
 */
final class DnsQuery {
  static final int HEADER_BYTES = 12;
  /** RFC 1035 §3.1: a name is at most 255 octets on the wire, its final zero included. */
  static final int MAX_NAME_BYTES = 255;
  private static final int QUESTION_TAIL_BYTES = 4;
  /** A header, the root name and its type and class. */
  static final int MIN_QUERY_BYTES = HEADER_BYTES + 1 + QUESTION_TAIL_BYTES;
  /** The bytes that always suffice to decide: header and the longest question. */
  static final int MAX_DECIDING_BYTES = HEADER_BYTES + MAX_NAME_BYTES + QUESTION_TAIL_BYTES;
  /** RFC 1035 §4.1.1 opcode 3 is unassigned; above 6 (DSO, RFC 8490) none are. */
  private static final int UNASSIGNED_OPCODE = 3;
  private static final int MAX_OPCODE = 6;
  /** RFC 1035 §4.1.4: the top two bits of a label length mark a compression pointer. */
  private static final int LABEL_POINTER_BITS = 0xC0;
  /** RFC 6762 §5.4: mDNS uses the top bit of QCLASS for "unicast response". */
  private static final int QCLASS_MASK = 0x7FFF;

  private DnsQuery() {}

  /**
   * Judges the {@code available} bytes at {@code offset} of a message {@code messageBytes}
   * long (the datagram for UDP, the length prefix's value for TCP).
   */
  static Verdict verdict(ByteBuf bytes, int offset, int available, int messageBytes) {
    if (messageBytes < MIN_QUERY_BYTES) {
      return Verdict.NOT_IT;
    }
    if (available < HEADER_BYTES) {
      return headerPrefix(bytes, offset, available);
    }
    Verdict header = headerPrefix(bytes, offset, HEADER_BYTES);
    if (header == Verdict.NOT_IT) {
      return header;
    }
    return question(bytes, offset, Math.min(available, messageBytes), messageBytes);
  }

  /** Checks as much of the header as arrived; fields not yet there are given the benefit. */
  private static Verdict headerPrefix(ByteBuf bytes, int offset, int available) {
    if (available > 2) {
      int flags = bytes.getUnsignedByte(offset + 2);
      int opcode = (flags >> 3) & 0xF;
      // QR = 0: a query, not a response
      if ((flags & 0x80) != 0 || opcode == UNASSIGNED_OPCODE || opcode > MAX_OPCODE) {
        return Verdict.NOT_IT;
      }
    }
    // "Z: Reserved for future use. Must be zero in all queries and responses"; RCODE 0
    if (available > 3 && (bytes.getUnsignedByte(offset + 3) & 0x4F) != 0) {
      return Verdict.NOT_IT;
    }
    if (available > 4 && bytes.getUnsignedByte(offset + 4) != 0) {
      return Verdict.NOT_IT;
    }
    if (available > 5 && bytes.getUnsignedByte(offset + 5) != 1) {
      return Verdict.NOT_IT;
    }
    return Verdict.NEED_MORE;
  }

  private static Verdict question(ByteBuf bytes, int offset, int available, int messageBytes) {
    int at = HEADER_BYTES;
    int nameBytes = 0;
    while (true) {
      if (at >= available) {
        return at >= messageBytes ? Verdict.NOT_IT : Verdict.NEED_MORE;
      }
      int labelBytes = bytes.getUnsignedByte(offset + at);
      nameBytes += 1 + labelBytes;
      // the first name has nothing before it to point to
      if ((labelBytes & LABEL_POINTER_BITS) != 0 || nameBytes > MAX_NAME_BYTES) {
        return Verdict.NOT_IT;
      }
      at += 1 + labelBytes;
      if (labelBytes == 0) {
        break;
      }
    }
    if (at + QUESTION_TAIL_BYTES > messageBytes) {
      return Verdict.NOT_IT;
    }
    if (at + QUESTION_TAIL_BYTES > available) {
      return Verdict.NEED_MORE;
    }
    int qtype = bytes.getUnsignedShort(offset + at);
    int qclass = bytes.getUnsignedShort(offset + at + 2) & QCLASS_MASK;
    return qtype != 0 && isQueryClass(qclass) ? Verdict.RECOGNISED : Verdict.NOT_IT;
  }

  /** RFC 1035 §3.2.4-5 IN, CH, HS; RFC 2136 §1.3 NONE; ANY (*). */
  private static boolean isQueryClass(int qclass) {
    return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255;
  }
}
