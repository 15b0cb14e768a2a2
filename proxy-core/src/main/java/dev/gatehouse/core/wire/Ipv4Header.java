package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an IPv4 header and the packet it heads (RFC 791 §3.1). Reusable: one instance
 * per thread, {@link #wrap} per packet; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |0|D|M|     Fragment Offset     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |        Header Checksum        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Source Address                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Destination Address                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Options (IHL > 5) and padding                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The type-of-service byte is read as DSCP and ECN (RFC 2474 §3, RFC 3168 §5). IHL counts
 * 32-bit words; Total Length counts bytes, header included; Fragment Offset counts 8-byte
 * blocks. Bytes past Total Length (link padding) are not part of the packet.
 *
 * <p>Accessors are defined only after {@code wrap} returned {@link WireStatus#OK}; the view
 * forgets its buffer on any other status, so a careless read fails loudly.
 */
public final class Ipv4Header {

  // RFC 791 §3.1: offsets from the first byte of the header.
  public static final int VERSION_IHL_OFFSET = 0;
  public static final int TYPE_OF_SERVICE_OFFSET = 1;
  public static final int TOTAL_LENGTH_OFFSET = 2;
  public static final int IDENTIFICATION_OFFSET = 4;
  public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
  public static final int TTL_OFFSET = 8;
  public static final int PROTOCOL_OFFSET = 9;
  public static final int HEADER_CHECKSUM_OFFSET = 10;
  public static final int SOURCE_ADDRESS_OFFSET = 12;
  public static final int DESTINATION_ADDRESS_OFFSET = 16;
  public static final int OPTIONS_OFFSET = 20;

  /** RFC 791 §3.1: the Version field of an IPv4 header. */
  public static final int VERSION = 4;
  /** RFC 791 §3.1: IHL 5, the header without options. */
  public static final int MIN_HEADER_LENGTH_BYTES = 20;
  /** RFC 791 §3.1: IHL 15, the largest a 4-bit word count can say. */
  public static final int MAX_HEADER_LENGTH_BYTES = 60;
  /** RFC 791 §3.1: Total Length is 16 bits. */
  public static final int MAX_TOTAL_LENGTH_BYTES = 0xFFFF;

  /** RFC 791 §3.1: option type 0, End of Option List; what follows is padding. */
  public static final int OPTION_END_OF_LIST = 0;
  /** RFC 791 §3.1: option type 1, No Operation, a single byte. */
  public static final int OPTION_NO_OPERATION = 1;

  // RFC 791 §3.1: bit 0 reserved, bit 1 DF, bit 2 MF, then 13 bits of offset.
  private static final int FLAG_DONT_FRAGMENT = 0x4000;
  private static final int FLAG_MORE_FRAGMENTS = 0x2000;
  private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
  private static final int FRAGMENT_BLOCK_BYTES = 8;

  private ByteBuf buffer;
  private int offset;
  private int headerLengthBytes;
  private int endOffset;

  /**
   * Wraps a received packet of at most {@code lengthBytes} bytes at {@code offset} and checks
   * it, in this order: the fixed header fits ({@code TRUNCATED}); version
   * ({@code BAD_VERSION}); IHL of at least 5 ({@code BAD_HEADER_LENGTH}); Total Length of at
   * least 20 ({@code BAD_TOTAL_LENGTH}); Total Length within the bytes received
   * ({@code TRUNCATED}); header within Total Length ({@code BAD_HEADER_LENGTH}); options
   * well-formed ({@code BAD_OPTION}). The header checksum is checked apart, by
   * {@link #verifyHeaderChecksum()}.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, false);
  }

  /**
   * Wraps the start of a packet quoted inside an ICMP error (RFC 792, RFC 1812 §4.3.2.3):
   * the header must be whole, but the rest may be cut, so a Total Length beyond
   * {@code lengthBytes} is accepted and {@link #isTruncated()} tells.
   */
  public WireStatus wrapQuoted(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, true);
  }

  /**
   * Starts a packet to be written at {@code offset}: writes Version, IHL and Total Length,
   * leaves every other byte as it is, and wraps the result. Callers start from zeroed bytes
   * or set every field.
   *
   * @throws IllegalArgumentException if the lengths are not a valid IPv4 header and packet
   */
  public Ipv4Header init(ByteBuf buffer, int offset, int headerLengthBytes, int totalLengthBytes) {
    if (headerLengthBytes < MIN_HEADER_LENGTH_BYTES
        || headerLengthBytes > MAX_HEADER_LENGTH_BYTES
        || headerLengthBytes % 4 != 0) {
      throw new IllegalArgumentException(
          "headerLengthBytes must be a multiple of 4 in [20, 60], got " + headerLengthBytes);
    }
    if (totalLengthBytes < headerLengthBytes || totalLengthBytes > MAX_TOTAL_LENGTH_BYTES) {
      throw new IllegalArgumentException("totalLengthBytes must be in [headerLengthBytes, 65535]"
          + ", got " + totalLengthBytes + " with headerLengthBytes " + headerLengthBytes);
    }
    Objects.checkFromIndexSize(offset, totalLengthBytes, buffer.capacity());
    buffer.setByte(offset + VERSION_IHL_OFFSET, VERSION << 4 | headerLengthBytes / 4);
    buffer.setShort(offset + TOTAL_LENGTH_OFFSET, totalLengthBytes);
    this.buffer = buffer;
    this.offset = offset;
    this.headerLengthBytes = headerLengthBytes;
    this.endOffset = offset + totalLengthBytes;
    return this;
  }

  private WireStatus bind(ByteBuf buffer, int offset, int lengthBytes, boolean quoted) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());

    // RFC 1812 §5.2.2 lists these checks (bytes for a header, version, IHL, Total Length
    // against IHL) for a router; RFC 1122 §3.2.1.1: another version is silently discarded.
    if (lengthBytes < MIN_HEADER_LENGTH_BYTES) {
      return WireStatus.TRUNCATED;
    }
    int versionIhl = buffer.getUnsignedByte(offset + VERSION_IHL_OFFSET);
    if (versionIhl >>> 4 != VERSION) {
      return WireStatus.BAD_VERSION;
    }
    int headerLength = (versionIhl & 0x0F) * 4;
    if (headerLength < MIN_HEADER_LENGTH_BYTES) {
      return WireStatus.BAD_HEADER_LENGTH;
    }

    // RFC 791 §3.1: Total Length covers header and data; bytes past it are link padding.
    int totalLength = buffer.getUnsignedShort(offset + TOTAL_LENGTH_OFFSET);
    if (totalLength < MIN_HEADER_LENGTH_BYTES) {
      return WireStatus.BAD_TOTAL_LENGTH;
    }
    if (totalLength > lengthBytes && !quoted) {
      return WireStatus.TRUNCATED;
    }
    if (headerLength > totalLength) {
      return WireStatus.BAD_HEADER_LENGTH;
    }
    if (headerLength > lengthBytes) {
      return WireStatus.TRUNCATED;
    }

    WireStatus options = checkOptions(buffer, offset + OPTIONS_OFFSET, offset + headerLength);
    if (options != WireStatus.OK) {
      return options;
    }
    this.buffer = buffer;
    this.offset = offset;
    this.headerLengthBytes = headerLength;
    this.endOffset = offset + Math.min(totalLength, lengthBytes);
    return WireStatus.OK;
  }

  /**
   * RFC 791 §3.1: an option is End of Option List, No Operation, or type, length (counting
   * type and length) and data; a length below 2 or past the header is malformed. Options
   * not understood are stepped over by their length (RFC 1122 §3.2.1.8: silently ignored).
   */
  private static WireStatus checkOptions(ByteBuf buffer, int at, int end) {
    int position = at;
    while (position < end) {
      int type = buffer.getUnsignedByte(position);
      if (type == OPTION_END_OF_LIST) {
        return WireStatus.OK;
      }
      if (type == OPTION_NO_OPERATION) {
        position++;
        continue;
      }
      if (position + 1 >= end) {
        return WireStatus.BAD_OPTION;
      }
      int length = buffer.getUnsignedByte(position + 1);
      if (length < 2 || position + length > end) {
        return WireStatus.BAD_OPTION;
      }
      position += length;
    }
    return WireStatus.OK;
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the header's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The IHL field in bytes: header and options. */
  public int headerLengthBytes() {
    return headerLengthBytes;
  }

  /** The Total Length field. */
  public int totalLengthBytes() {
    return buffer.getUnsignedShort(offset + TOTAL_LENGTH_OFFSET);
  }

  /** Whether fewer bytes are present than Total Length says (only after {@link #wrapQuoted}). */
  public boolean isTruncated() {
    return endOffset - offset < totalLengthBytes();
  }

  /** Index of the first byte after the header: the transport header or fragment data. */
  public int payloadOffset() {
    return offset + headerLengthBytes;
  }

  /** Bytes of payload present: Total Length less the header, or fewer if truncated. */
  public int payloadLengthBytes() {
    return endOffset - payloadOffset();
  }

  /** Index of the first option byte; options run to {@link #payloadOffset()}. */
  public int optionsOffset() {
    return offset + OPTIONS_OFFSET;
  }

  /** The whole type-of-service byte: DSCP and ECN. */
  public int typeOfService() {
    return buffer.getUnsignedByte(offset + TYPE_OF_SERVICE_OFFSET);
  }

  /** RFC 2474 §3: the upper six bits of the type-of-service byte. */
  public int dscp() {
    return typeOfService() >>> 2;
  }

  /** RFC 3168 §5: the lower two bits of the type-of-service byte. */
  public int ecn() {
    return typeOfService() & 0x03;
  }

  /** The Identification field. */
  public int identification() {
    return buffer.getUnsignedShort(offset + IDENTIFICATION_OFFSET);
  }

  /** The DF flag. */
  public boolean dontFragment() {
    return (flagsAndFragmentOffset() & FLAG_DONT_FRAGMENT) != 0;
  }

  /** The MF flag: more fragments follow this one. */
  public boolean moreFragments() {
    return (flagsAndFragmentOffset() & FLAG_MORE_FRAGMENTS) != 0;
  }

  /** Where this fragment's data sits in the original datagram. */
  public int fragmentOffsetBytes() {
    return (flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK) * FRAGMENT_BLOCK_BYTES;
  }

  /** Whether this packet is a fragment: MF set or a non-zero offset (RFC 791 §3.2). */
  public boolean isFragment() {
    return (flagsAndFragmentOffset() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
  }

  /** Whether this is a fragment other than the first, which holds no transport header. */
  public boolean isNonFirstFragment() {
    return (flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK) != 0;
  }

  private int flagsAndFragmentOffset() {
    return buffer.getUnsignedShort(offset + FLAGS_FRAGMENT_OFFSET_OFFSET);
  }

  /** The Time to Live field. */
  public int ttl() {
    return buffer.getUnsignedByte(offset + TTL_OFFSET);
  }

  /** The Protocol field: the IANA protocol number of the payload. */
  public int protocol() {
    return buffer.getUnsignedByte(offset + PROTOCOL_OFFSET);
  }

  /** The Header Checksum field. */
  public int headerChecksum() {
    return buffer.getUnsignedShort(offset + HEADER_CHECKSUM_OFFSET);
  }

  /** The source address, big-endian in an int. */
  public int sourceAddress() {
    return buffer.getInt(offset + SOURCE_ADDRESS_OFFSET);
  }

  /** The destination address, big-endian in an int. */
  public int destinationAddress() {
    return buffer.getInt(offset + DESTINATION_ADDRESS_OFFSET);
  }

  /** Sets the whole type-of-service byte; the checksum is not updated. */
  public void setTypeOfService(int typeOfService) {
    buffer.setByte(offset + TYPE_OF_SERVICE_OFFSET, typeOfService);
  }

  /** Sets the Identification field; the checksum is not updated. */
  public void setIdentification(int identification) {
    buffer.setShort(offset + IDENTIFICATION_OFFSET, identification);
  }

  /**
   * Sets DF, MF and the fragment offset, which must be a multiple of 8 below 65536; the
   * reserved bit is cleared (RFC 791 §3.1: must be zero) and the checksum is not updated.
   */
  public void setFragmentation(boolean dontFragment, boolean moreFragments, int offsetBytes) {
    if (offsetBytes < 0 || offsetBytes % FRAGMENT_BLOCK_BYTES != 0 || offsetBytes > 0xFFFF) {
      throw new IllegalArgumentException(
          "offsetBytes must be a multiple of 8 in [0, 65535], got " + offsetBytes);
    }
    int value = offsetBytes / FRAGMENT_BLOCK_BYTES
        | (dontFragment ? FLAG_DONT_FRAGMENT : 0)
        | (moreFragments ? FLAG_MORE_FRAGMENTS : 0);
    buffer.setShort(offset + FLAGS_FRAGMENT_OFFSET_OFFSET, value);
  }

  /** Sets the Time to Live field; the checksum is not updated. */
  public void setTtl(int ttl) {
    buffer.setByte(offset + TTL_OFFSET, ttl);
  }

  /** Sets the Protocol field; the checksum is not updated. */
  public void setProtocol(int protocol) {
    buffer.setByte(offset + PROTOCOL_OFFSET, protocol);
  }

  /** Sets the Header Checksum field. */
  public void setHeaderChecksum(int checksum) {
    buffer.setShort(offset + HEADER_CHECKSUM_OFFSET, checksum);
  }

  /** Sets the source address; no checksum is updated. */
  public void setSourceAddress(int address) {
    buffer.setInt(offset + SOURCE_ADDRESS_OFFSET, address);
  }

  /** Sets the destination address; no checksum is updated. */
  public void setDestinationAddress(int address) {
    buffer.setInt(offset + DESTINATION_ADDRESS_OFFSET, address);
  }

  /** Sets the Time to Live and updates the header checksum to match (RFC 1624). */
  public void rewriteTtl(int ttl) {
    int oldWord = buffer.getUnsignedShort(offset + TTL_OFFSET);
    setTtl(ttl);
    int newWord = buffer.getUnsignedShort(offset + TTL_OFFSET);
    setHeaderChecksum(Checksums.update16(headerChecksum(), oldWord, newWord));
  }

  /**
   * Sets the source address and updates the header checksum to match (RFC 1624). A TCP or
   * UDP checksum over the pseudo-header must be updated by the caller (see
   * {@link IpPacket#rewriteSourceAddress(int)}).
   */
  public void rewriteSourceAddress(int address) {
    int oldAddress = sourceAddress();
    setSourceAddress(address);
    setHeaderChecksum(Checksums.update32(headerChecksum(), oldAddress, address));
  }

  /** Sets the destination address and updates the header checksum to match (RFC 1624). */
  public void rewriteDestinationAddress(int address) {
    int oldAddress = destinationAddress();
    setDestinationAddress(address);
    setHeaderChecksum(Checksums.update32(headerChecksum(), oldAddress, address));
  }

  /** The header checksum the header should carry (RFC 791 §3.1, over the header only). */
  public int computeHeaderChecksum() {
    return Checksums.compute(
        buffer, offset, headerLengthBytes, offset + HEADER_CHECKSUM_OFFSET, 0);
  }

  /** Computes the header checksum and writes it. */
  public void writeHeaderChecksum() {
    setHeaderChecksum(computeHeaderChecksum());
  }

  /** {@code OK} if the header checksum verifies, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyHeaderChecksum() {
    return Checksums.verify(buffer, offset, headerLengthBytes, 0);
  }

  /**
   * The IPv4 pseudo-header sum for an upper layer of {@code upperLayerLengthBytes} bytes of
   * {@code protocol} carried by this packet (RFC 9293 §3.1, RFC 768).
   */
  public int pseudoHeaderSum(int protocol, int upperLayerLengthBytes) {
    return Checksums.ipv4PseudoHeaderSum(
        sourceAddress(), destinationAddress(), protocol, upperLayerLengthBytes);
  }
}
