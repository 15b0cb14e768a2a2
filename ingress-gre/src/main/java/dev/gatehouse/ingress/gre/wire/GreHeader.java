package dev.gatehouse.ingress.gre.wire;

import dev.gatehouse.core.wire.Checksums;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of a GRE header and the packet it heads: RFC 2784 §2 with the Key and Sequence
 * Number extensions of RFC 2890 §2. Reusable: one instance per thread, {@link #wrap} per
 * packet; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C| |K|S| Reserved0       | Ver |         Protocol Type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Checksum (optional)      |       Reserved1 (Optional)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Key (optional)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Sequence Number (Optional)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Each optional word is present only when its bit is set (C: RFC 2784 §2.2, K and S:
 * RFC 2890 §2), in this order, so the header is 4, 8, 12 or 16 bytes. The Protocol Type is
 * an EtherType (RFC 2784 §2.4): {@link #PROTOCOL_IPV4} and {@link #PROTOCOL_IPV6} here. The
 * checksum covers the GRE header and its payload, the Checksum field counted as zero
 * (RFC 2784 §2.5); Reserved1 is sent as zero and not looked at.
 *
 * <p>Accessors are defined only after {@code wrap} returned {@link GreStatus#OK} (or after
 * {@link #init}); the view forgets its buffer on any other status.
 */
public final class GreHeader {

  // RFC 2784 §2.1 and RFC 2890 §2: offsets from the first byte of the header.
  public static final int FLAGS_VERSION_OFFSET = 0;
  public static final int PROTOCOL_TYPE_OFFSET = 2;
  public static final int OPTIONAL_FIELDS_OFFSET = 4;

  /** RFC 2784 §2.1: the two 16-bit words every GRE header has. */
  public static final int MIN_HEADER_LENGTH_BYTES = 4;
  /** RFC 2890 §2: the base header, Checksum and Reserved1, Key, Sequence Number. */
  public static final int MAX_HEADER_LENGTH_BYTES = 16;
  /** RFC 2784 §2.2 and RFC 2890 §2: each optional field takes one 32-bit word. */
  public static final int OPTIONAL_WORD_BYTES = 4;

  /** RFC 2784 §2.3.1: the only version this specification defines. */
  public static final int VERSION = 0;
  /** RFC 2784 §2.4 (EtherType of IPv4, RFC 1700). */
  public static final int PROTOCOL_IPV4 = 0x0800;
  /** EtherType of IPv6 (RFC 7042 Appendix B). */
  public static final int PROTOCOL_IPV6 = 0x86DD;

  // Bits of the first 16-bit word, bit 0 the most significant (RFC 2784 §2, RFC 2890 §2).
  public static final int FLAG_CHECKSUM = 0x8000;
  public static final int FLAG_KEY = 0x2000;
  public static final int FLAG_SEQUENCE = 0x1000;
  /** RFC 2784 §2.3 bits 1-5 less RFC 2890's K and S: set means discard. */
  public static final int FLAGS_MUST_BE_ZERO = 0x4000 | 0x0800 | 0x0400;
  /** RFC 2784 §2.3 bits 6-12: "MUST be sent as zero and MUST be ignored on receipt". */
  public static final int FLAGS_IGNORED = 0x03F8;
  private static final int VERSION_MASK = 0x0007;

  private ByteBuf buffer;
  private int offset;
  private int lengthBytes;
  private int headerLengthBytes;

  /**
   * Wraps a received GRE packet of {@code lengthBytes} bytes at {@code offset} (for raw IP,
   * the outer IP payload; for GRE-in-UDP, the UDP payload) and checks, in this order: the
   * base header fits ({@code TRUNCATED}); reserved bits 1, 4, 5 are clear
   * ({@code RESERVED_FLAGS}); version 0 ({@code BAD_VERSION}); the optional fields its
   * flags announce fit ({@code TRUNCATED}). The checksum is checked apart, by
   * {@link #verifyChecksum()}; the protocol type is the caller's to judge.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public GreStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    if (lengthBytes < MIN_HEADER_LENGTH_BYTES) {
      return GreStatus.TRUNCATED;
    }
    int flags = buffer.getUnsignedShort(offset + FLAGS_VERSION_OFFSET);
    // RFC 2784 §2.3: "A receiver MUST discard a packet where any of bits 1-5 are non-zero,
    // unless that receiver implements RFC 1701" (we do not: no routing, no recursion).
    if ((flags & FLAGS_MUST_BE_ZERO) != 0) {
      return GreStatus.RESERVED_FLAGS;
    }
    if ((flags & VERSION_MASK) != VERSION) {
      return GreStatus.BAD_VERSION; // version 1 is PPTP's enhanced GRE (RFC 2637 §4.1)
    }
    int headerLength = headerLengthBytes(flags);
    if (headerLength > lengthBytes) {
      return GreStatus.TRUNCATED;
    }
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    this.headerLengthBytes = headerLength;
    return GreStatus.OK;
  }

  /**
   * Starts a GRE packet of {@code lengthBytes} bytes (header and payload) at
   * {@code offset}: writes the flags, version 0 and the protocol type, zeroes the optional
   * words, and wraps the result. Set the key and sequence number, write the payload, then
   * {@link #writeChecksum()} if the checksum is present.
   *
   * @throws IllegalArgumentException if the packet is shorter than its header
   */
  public GreHeader init(ByteBuf buffer, int offset, int lengthBytes, int protocolType,
      boolean checksumPresent, boolean keyPresent, boolean sequenceNumberPresent) {
    int flags = (checksumPresent ? FLAG_CHECKSUM : 0)
        | (keyPresent ? FLAG_KEY : 0)
        | (sequenceNumberPresent ? FLAG_SEQUENCE : 0);
    int headerLength = headerLengthBytes(flags);
    if (lengthBytes < headerLength) {
      throw new IllegalArgumentException("a GRE packet with flags 0x" + Integer.toHexString(flags)
          + " needs at least " + headerLength + " bytes, got " + lengthBytes);
    }
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    buffer.setShort(offset + FLAGS_VERSION_OFFSET, flags | VERSION);
    buffer.setShort(offset + PROTOCOL_TYPE_OFFSET, protocolType);
    buffer.setZero(offset + OPTIONAL_FIELDS_OFFSET, headerLength - OPTIONAL_FIELDS_OFFSET);
    this.buffer = buffer;
    this.offset = offset;
    this.lengthBytes = lengthBytes;
    this.headerLengthBytes = headerLength;
    return this;
  }

  /** The header's length for a first word of {@code flags}: 4 plus 4 per optional field. */
  public static int headerLengthBytes(int flags) {
    return MIN_HEADER_LENGTH_BYTES
        + ((flags & FLAG_CHECKSUM) != 0 ? OPTIONAL_WORD_BYTES : 0)
        + ((flags & FLAG_KEY) != 0 ? OPTIONAL_WORD_BYTES : 0)
        + ((flags & FLAG_SEQUENCE) != 0 ? OPTIONAL_WORD_BYTES : 0);
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the header's first byte. */
  public int offset() {
    return offset;
  }

  /** The GRE packet's length: header and payload. */
  public int lengthBytes() {
    return lengthBytes;
  }

  /** The header's length with its optional fields: 4, 8, 12 or 16. */
  public int headerLengthBytes() {
    return headerLengthBytes;
  }

  /** Index of the payload packet's first byte. */
  public int payloadOffset() {
    return offset + headerLengthBytes;
  }

  /** The payload packet's length: what follows the header. */
  public int payloadLengthBytes() {
    return lengthBytes - headerLengthBytes;
  }

  /** The first 16-bit word: flags, the reserved bits and the version. */
  public int flagsAndVersion() {
    return buffer.getUnsignedShort(offset + FLAGS_VERSION_OFFSET);
  }

  /** The Version Number field (RFC 2784 §2.3.1). */
  public int version() {
    return flagsAndVersion() & VERSION_MASK;
  }

  /** RFC 2784 §2.2, C: Checksum and Reserved1 are present. */
  public boolean checksumPresent() {
    return (flagsAndVersion() & FLAG_CHECKSUM) != 0;
  }

  /** RFC 2890 §2, K: the Key field is present. */
  public boolean keyPresent() {
    return (flagsAndVersion() & FLAG_KEY) != 0;
  }

  /** RFC 2890 §2, S: the Sequence Number field is present. */
  public boolean sequenceNumberPresent() {
    return (flagsAndVersion() & FLAG_SEQUENCE) != 0;
  }

  /** RFC 2784 §2.4: the EtherType of the payload packet. */
  public int protocolType() {
    return buffer.getUnsignedShort(offset + PROTOCOL_TYPE_OFFSET);
  }

  /** The Checksum field; only meaningful if {@link #checksumPresent()}. */
  public int checksum() {
    return buffer.getUnsignedShort(offset + OPTIONAL_FIELDS_OFFSET);
  }

  /** The Key field, 32 bits as a Java int; only meaningful if {@link #keyPresent()}. */
  public int key() {
    return buffer.getInt(keyOffset());
  }

  /**
   * The Sequence Number field, 32 bits as a Java int (compare with serial arithmetic, as
   * RFC 2890 §2.2 does); only meaningful if {@link #sequenceNumberPresent()}.
   */
  public int sequenceNumber() {
    return buffer.getInt(sequenceNumberOffset());
  }

  /** Sets the Key field; the header must have been started with it present. */
  public void setKey(int key) {
    requireField(keyPresent(), "key");
    buffer.setInt(keyOffset(), key);
  }

  /** Sets the Sequence Number field; the header must have been started with it present. */
  public void setSequenceNumber(int sequenceNumber) {
    requireField(sequenceNumberPresent(), "sequence number");
    buffer.setInt(sequenceNumberOffset(), sequenceNumber);
  }

  /**
   * The checksum the packet should carry: RFC 2784 §2.5, "the IP (one's complement)
   * checksum sum of the all the 16 bit words in the GRE header and the payload packet",
   * the Checksum field counted as zero (RFC 1071).
   */
  public int computeChecksum() {
    int at = offset + OPTIONAL_FIELDS_OFFSET;
    return Checksums.complement(Checksums.sumWithoutChecksumField(buffer, offset, lengthBytes, at));
  }

  /** Computes the checksum and writes it; the header must have been started with it present. */
  public void writeChecksum() {
    requireField(checksumPresent(), "checksum");
    buffer.setShort(offset + OPTIONAL_FIELDS_OFFSET, computeChecksum());
  }

  /**
   * {@code OK} if no checksum is present or it verifies over header and payload, else
   * {@code BAD_CHECKSUM}: the sum of every word, the checksum included, is all ones.
   */
  public GreStatus verifyChecksum() {
    if (!checksumPresent()) {
      return GreStatus.OK;
    }
    return Checksums.verifies(buffer, offset, lengthBytes, 0) ? GreStatus.OK : GreStatus.BAD_CHECKSUM;
  }

  private int keyOffset() {
    return offset + OPTIONAL_FIELDS_OFFSET + (checksumPresent() ? OPTIONAL_WORD_BYTES : 0);
  }

  private int sequenceNumberOffset() {
    return keyOffset() + (keyPresent() ? OPTIONAL_WORD_BYTES : 0);
  }

  private static void requireField(boolean present, String field) {
    if (!present) {
      throw new IllegalStateException("this GRE header was started without a " + field);
    }
  }
}
