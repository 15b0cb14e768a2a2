package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of an IPv6 header (RFC 8200 §3) and the chain of extension headers behind it
 * (RFC 8200 §4), walked once by {@link #wrap} to find the upper layer. Reusable: one instance
 * per thread, {@code wrap} per packet; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |              Flow Label               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                    Source Address (128 bits)                  +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                 Destination Address (128 bits)                +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension header, generic form (RFC 8200 §4.3-4.6, RFC 6564):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  (Hdr Ext Len + 1) * 8 bytes  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Fragment header (RFC 8200 §4.5), always 8 bytes:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Authentication Header (RFC 4302 §2), counted in 4-byte words:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Payload Len  |  (Payload Len + 2) * 4 bytes  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The walk stops at the first header that is not an extension header (the upper layer),
 * at ESP (RFC 4303: what follows is encrypted), at No Next Header (RFC 8200 §4.7), and after
 * the Fragment header of a non-first fragment, whose data holds no header to read. Jumbograms
 * (RFC 2675, Payload Length 0 with a Jumbo Payload option) are not read: they need links with
 * an MTU above 65575 bytes, which no tunnel carries.
 *
 * <p>Accessors are defined only after {@code wrap} returned {@link WireStatus#OK}.
 */
public final class Ipv6Header {

  // RFC 8200 §3: offsets from the first byte of the header.
  public static final int VERSION_TRAFFIC_CLASS_FLOW_LABEL_OFFSET = 0;
  public static final int PAYLOAD_LENGTH_OFFSET = 4;
  public static final int NEXT_HEADER_OFFSET = 6;
  public static final int HOP_LIMIT_OFFSET = 7;
  public static final int SOURCE_ADDRESS_OFFSET = 8;
  public static final int DESTINATION_ADDRESS_OFFSET = 24;

  /** RFC 8200 §3: the Version field of an IPv6 header. */
  public static final int VERSION = 6;
  /** RFC 8200 §3: the fixed header is 40 bytes. */
  public static final int HEADER_LENGTH_BYTES = 40;
  /** RFC 8200 §3: an address is 128 bits. */
  public static final int ADDRESS_LENGTH_BYTES = 16;
  /** RFC 8200 §3: Payload Length is 16 bits. */
  public static final int MAX_PAYLOAD_LENGTH_BYTES = 0xFFFF;

  // RFC 8200 §4: every extension header is a multiple of 8 bytes, at least 8.
  private static final int EXTENSION_UNIT_BYTES = 8;
  // RFC 4302 §2.2: AH's Payload Len counts 4-byte words, less 2; its fixed part is 12 bytes.
  private static final int AH_UNIT_BYTES = 4;
  private static final int AH_MIN_LENGTH_BYTES = 12;
  // RFC 8200 §4.4: Routing header fields.
  private static final int ROUTING_TYPE_OFFSET = 2;
  private static final int SEGMENTS_LEFT_OFFSET = 3;
  private static final int ROUTING_DATA_OFFSET = 8;
  private static final int ROUTING_TYPE_SOURCE_ROUTE = 0;
  private static final int ROUTING_TYPE_MOBILE_HOME_ADDRESS = 2;
  private static final int ROUTING_TYPE_SEGMENT_ROUTING = 4;
  // RFC 8200 §4.5: Fragment header fields.
  private static final int FRAGMENT_OFFSET_FLAGS_OFFSET = 2;
  private static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
  private static final int FRAGMENT_OFFSET_MASK = 0xFFF8;
  private static final int FRAGMENT_MORE_FLAG = 0x0001;

  private static final int NONE = -1;

  private ByteBuf buffer;
  private int offset;
  private int endOffset;
  private int upperLayerProtocol;
  private int upperLayerOffset;
  private int fragmentHeaderOffset;
  private int routingHeaderOffset;
  private int finalDestinationOffset;

  /**
   * Wraps a received packet of at most {@code lengthBytes} bytes at {@code offset} and walks
   * its extension headers, checking in this order: the fixed header fits
   * ({@code TRUNCATED}); version ({@code BAD_VERSION}); Payload Length within the bytes
   * received ({@code TRUNCATED}); each extension header whole within Payload Length, AH at
   * least its fixed part, Hop-by-Hop only first ({@code BAD_EXTENSION_HEADER}).
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, false);
  }

  /**
   * Wraps the start of a packet quoted inside an ICMPv6 error (RFC 4443 §3): Payload Length
   * may reach past {@code lengthBytes}, and {@link #isTruncated()} tells; an extension header
   * cut by the end of the quote is {@code TRUNCATED}.
   */
  public WireStatus wrapQuoted(ByteBuf buffer, int offset, int lengthBytes) {
    return bind(buffer, offset, lengthBytes, true);
  }

  /**
   * Starts a packet to be written at {@code offset} with no extension headers: writes
   * Version (traffic class and flow label zero), Payload Length and Next Header, leaves every
   * other byte as it is, and wraps the result.
   *
   * @throws IllegalArgumentException if the payload length does not fit the field
   */
  public Ipv6Header init(ByteBuf buffer, int offset, int nextHeader, int payloadLengthBytes) {
    if (payloadLengthBytes < 0 || payloadLengthBytes > MAX_PAYLOAD_LENGTH_BYTES) {
      throw new IllegalArgumentException(
          "payloadLengthBytes must be in [0, 65535], got " + payloadLengthBytes);
    }
    Objects.checkFromIndexSize(offset, HEADER_LENGTH_BYTES + payloadLengthBytes, buffer.capacity());
    buffer.setInt(offset + VERSION_TRAFFIC_CLASS_FLOW_LABEL_OFFSET, VERSION << 28);
    buffer.setShort(offset + PAYLOAD_LENGTH_OFFSET, payloadLengthBytes);
    buffer.setByte(offset + NEXT_HEADER_OFFSET, nextHeader);
    this.buffer = buffer;
    this.offset = offset;
    this.endOffset = offset + HEADER_LENGTH_BYTES + payloadLengthBytes;
    this.upperLayerProtocol = nextHeader;
    this.upperLayerOffset = offset + HEADER_LENGTH_BYTES;
    this.fragmentHeaderOffset = NONE;
    this.routingHeaderOffset = NONE;
    this.finalDestinationOffset = offset + DESTINATION_ADDRESS_OFFSET;
    return this;
  }

  private WireStatus bind(ByteBuf buffer, int offset, int lengthBytes, boolean quoted) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());

    if (lengthBytes < HEADER_LENGTH_BYTES) {
      return WireStatus.TRUNCATED;
    }
    if (buffer.getUnsignedByte(offset) >>> 4 != VERSION) {
      return WireStatus.BAD_VERSION;
    }
    int declaredLength = HEADER_LENGTH_BYTES
        + buffer.getUnsignedShort(offset + PAYLOAD_LENGTH_OFFSET);
    if (declaredLength > lengthBytes && !quoted) {
      return WireStatus.TRUNCATED;
    }

    this.buffer = buffer;
    this.offset = offset;
    this.endOffset = offset + Math.min(declaredLength, lengthBytes);
    WireStatus chain = walkExtensionHeaders(offset + declaredLength);
    if (chain != WireStatus.OK) {
      this.buffer = null;
    }
    return chain;
  }

  private WireStatus walkExtensionHeaders(int declaredEnd) {
    fragmentHeaderOffset = NONE;
    routingHeaderOffset = NONE;
    finalDestinationOffset = offset + DESTINATION_ADDRESS_OFFSET;
    int protocol = nextHeader();
    int position = offset + HEADER_LENGTH_BYTES;

    while (isWalkedExtensionHeader(protocol)) {
      // RFC 8200 §4.1: Hop-by-Hop Options may only follow the IPv6 header itself.
      if (protocol == IpProtocol.HOP_BY_HOP && position != offset + HEADER_LENGTH_BYTES) {
        return WireStatus.BAD_EXTENSION_HEADER;
      }
      WireStatus fixedPart = checkExtent(position, EXTENSION_UNIT_BYTES, declaredEnd);
      if (fixedPart != WireStatus.OK) {
        return fixedPart;
      }
      int length = extensionHeaderLengthBytes(protocol, position);
      if (protocol == IpProtocol.AH && length < AH_MIN_LENGTH_BYTES) {
        return WireStatus.BAD_EXTENSION_HEADER;
      }
      WireStatus whole = checkExtent(position, length, declaredEnd);
      if (whole != WireStatus.OK) {
        return whole;
      }

      if (protocol == IpProtocol.ROUTING && routingHeaderOffset == NONE) {
        routingHeaderOffset = position;
        finalDestinationOffset = finalDestinationOffset(position);
      }
      boolean fragmentData = false;
      if (protocol == IpProtocol.FRAGMENT && fragmentHeaderOffset == NONE) {
        fragmentHeaderOffset = position;
        fragmentData = isNonFirstFragment();
      }
      protocol = buffer.getUnsignedByte(position);
      position += length;
      if (fragmentData) {
        break;
      }
    }

    upperLayerProtocol = protocol;
    upperLayerOffset = position;
    return WireStatus.OK;
  }

  /**
   * Reaching past Payload Length is a malformed header; reaching past the bytes present while
   * within Payload Length happens only to a quote cut short.
   */
  private WireStatus checkExtent(int position, int lengthBytes, int declaredEnd) {
    if (position + lengthBytes > declaredEnd) {
      return WireStatus.BAD_EXTENSION_HEADER;
    }
    if (position + lengthBytes > endOffset) {
      return WireStatus.TRUNCATED;
    }
    return WireStatus.OK;
  }

  /**
   * The extension headers the walk steps over: RFC 8200 §4 and the IANA list of IPv6
   * Extension Header Types (RFC 7045), less ESP, behind which nothing can be read.
   */
  private static boolean isWalkedExtensionHeader(int protocol) {
    return switch (protocol) {
      case IpProtocol.HOP_BY_HOP, IpProtocol.ROUTING, IpProtocol.FRAGMENT,
          IpProtocol.DESTINATION_OPTIONS, IpProtocol.AH, IpProtocol.MOBILITY, IpProtocol.HIP,
          IpProtocol.SHIM6, IpProtocol.EXPERIMENT_1, IpProtocol.EXPERIMENT_2 -> true;
      default -> false;
    };
  }

  private int extensionHeaderLengthBytes(int protocol, int position) {
    int lengthField = buffer.getUnsignedByte(position + 1);
    return switch (protocol) {
      case IpProtocol.FRAGMENT -> EXTENSION_UNIT_BYTES;
      case IpProtocol.AH -> (lengthField + 2) * AH_UNIT_BYTES;
      default -> (lengthField + 1) * EXTENSION_UNIT_BYTES;
    };
  }

  /**
   * RFC 8200 §8.1: with a Routing header, the pseudo-header carries the final destination,
   * which the sender finds in the Routing header while Segments Left is non-zero. That is
   * the last address for type 0 (RFC 5095 deprecates it, its layout stays), the home
   * address for type 2 (RFC 6275 §6.4) and Segment List[0] for type 4 (RFC 8754 §2). Type 3
   * (RFC 6554) compresses its addresses and stays inside its RPL domain;
   * unknown types must be dropped by the node they are addressed to (RFC 8200 §4.4): both
   * keep the Destination Address.
   */
  private int finalDestinationOffset(int routingHeader) {
    int headerDestination = offset + DESTINATION_ADDRESS_OFFSET;
    if (buffer.getUnsignedByte(routingHeader + SEGMENTS_LEFT_OFFSET) == 0) {
      return headerDestination;
    }
    int addressBytes = buffer.getUnsignedByte(routingHeader + 1) * EXTENSION_UNIT_BYTES;
    int addresses = addressBytes / ADDRESS_LENGTH_BYTES;
    int firstAddress = routingHeader + ROUTING_DATA_OFFSET;
    return switch (buffer.getUnsignedByte(routingHeader + ROUTING_TYPE_OFFSET)) {
      case ROUTING_TYPE_SOURCE_ROUTE -> addresses == 0
          ? headerDestination
          : firstAddress + (addresses - 1) * ADDRESS_LENGTH_BYTES;
      case ROUTING_TYPE_MOBILE_HOME_ADDRESS, ROUTING_TYPE_SEGMENT_ROUTING -> addresses == 0
          ? headerDestination
          : firstAddress;
      default -> headerDestination;
    };
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the header's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The Traffic Class field (DSCP and ECN, RFC 2474 §3, RFC 3168 §5). */
  public int trafficClass() {
    return (firstWord() >>> 20) & 0xFF;
  }

  /** The 20-bit Flow Label field (RFC 6437). */
  public int flowLabel() {
    return firstWord() & 0xFFFFF;
  }

  private int firstWord() {
    return buffer.getInt(offset + VERSION_TRAFFIC_CLASS_FLOW_LABEL_OFFSET);
  }

  /** The Payload Length field: extension headers and upper layer, in bytes. */
  public int payloadLengthBytes() {
    return buffer.getUnsignedShort(offset + PAYLOAD_LENGTH_OFFSET);
  }

  /** Whether fewer bytes are present than Payload Length says (only after wrapQuoted). */
  public boolean isTruncated() {
    return endOffset - offset < HEADER_LENGTH_BYTES + payloadLengthBytes();
  }

  /** The Next Header field of the fixed header. */
  public int nextHeader() {
    return buffer.getUnsignedByte(offset + NEXT_HEADER_OFFSET);
  }

  /** The Hop Limit field. */
  public int hopLimit() {
    return buffer.getUnsignedByte(offset + HOP_LIMIT_OFFSET);
  }

  /** The first 64 bits of the source address. */
  public long sourceAddressHigh() {
    return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET);
  }

  /** The last 64 bits of the source address. */
  public long sourceAddressLow() {
    return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET + 8);
  }

  /** The first 64 bits of the destination address. */
  public long destinationAddressHigh() {
    return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET);
  }

  /** The last 64 bits of the destination address. */
  public long destinationAddressLow() {
    return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET + 8);
  }

  /**
   * The protocol after the extension headers: TCP, UDP, ICMPv6, another upper layer, ESP,
   * No Next Header, or for a non-first fragment the Fragment header's Next Header.
   */
  public int upperLayerProtocol() {
    return upperLayerProtocol;
  }

  /** Index of the first byte after the extension headers. */
  public int upperLayerOffset() {
    return upperLayerOffset;
  }

  /** Bytes present from {@link #upperLayerOffset()} to the end of the packet. */
  public int upperLayerLengthBytes() {
    return endOffset - upperLayerOffset;
  }

  /** Whether the chain holds a Fragment header, even an atomic one (RFC 6946). */
  public boolean hasFragmentHeader() {
    return fragmentHeaderOffset != NONE;
  }

  /** Index of the Fragment header, or -1 without one. */
  public int fragmentHeaderOffset() {
    return fragmentHeaderOffset;
  }

  /**
   * Whether this packet is a fragment to reassemble: offset non-zero or M set. An atomic
   * fragment (offset 0, M clear) is a whole packet (RFC 6946 §4).
   */
  public boolean isFragment() {
    return fragmentHeaderOffset != NONE && fragmentOffsetFlags() != 0;
  }

  /** Whether this is a fragment other than the first, which holds no upper-layer header. */
  public boolean isNonFirstFragment() {
    return fragmentHeaderOffset != NONE && (fragmentOffsetFlags() & FRAGMENT_OFFSET_MASK) != 0;
  }

  /** Where this fragment's data sits in the original packet; 0 without a Fragment header. */
  public int fragmentOffsetBytes() {
    return fragmentHeaderOffset == NONE ? 0 : fragmentOffsetFlags() & FRAGMENT_OFFSET_MASK;
  }

  /** The M flag of the Fragment header; false without one. */
  public boolean moreFragments() {
    return fragmentHeaderOffset != NONE && (fragmentOffsetFlags() & FRAGMENT_MORE_FLAG) != 0;
  }

  /** The Fragment header's Identification; 0 without one. */
  public int fragmentIdentification() {
    return fragmentHeaderOffset == NONE
        ? 0
        : buffer.getInt(fragmentHeaderOffset + FRAGMENT_IDENTIFICATION_OFFSET);
  }

  private int fragmentOffsetFlags() {
    return buffer.getUnsignedShort(fragmentHeaderOffset + FRAGMENT_OFFSET_FLAGS_OFFSET) & 0xFFF9;
  }

  /** Index of the first Routing header, or -1 without one. */
  public int routingHeaderOffset() {
    return routingHeaderOffset;
  }

  /** Index of the address the upper-layer pseudo-header uses as destination (RFC 8200 §8.1). */
  public int finalDestinationOffset() {
    return finalDestinationOffset;
  }

  /** Sets the Traffic Class field. */
  public void setTrafficClass(int trafficClass) {
    int word = (firstWord() & ~(0xFF << 20)) | ((trafficClass & 0xFF) << 20);
    buffer.setInt(offset + VERSION_TRAFFIC_CLASS_FLOW_LABEL_OFFSET, word);
  }

  /** Sets the 20-bit Flow Label field. */
  public void setFlowLabel(int flowLabel) {
    int word = (firstWord() & ~0xFFFFF) | (flowLabel & 0xFFFFF);
    buffer.setInt(offset + VERSION_TRAFFIC_CLASS_FLOW_LABEL_OFFSET, word);
  }

  /** Sets the Hop Limit field (IPv6 has no header checksum to update). */
  public void setHopLimit(int hopLimit) {
    buffer.setByte(offset + HOP_LIMIT_OFFSET, hopLimit);
  }

  /** Sets the source address; no upper-layer checksum is updated. */
  public void setSourceAddress(long high, long low) {
    buffer.setLong(offset + SOURCE_ADDRESS_OFFSET, high);
    buffer.setLong(offset + SOURCE_ADDRESS_OFFSET + 8, low);
  }

  /** Sets the destination address; no upper-layer checksum is updated. */
  public void setDestinationAddress(long high, long low) {
    buffer.setLong(offset + DESTINATION_ADDRESS_OFFSET, high);
    buffer.setLong(offset + DESTINATION_ADDRESS_OFFSET + 8, low);
  }

  /**
   * The IPv6 pseudo-header sum (RFC 8200 §8.1) for an upper layer of
   * {@code upperLayerLengthBytes} bytes of {@code nextHeader}, with the final destination.
   */
  public int pseudoHeaderSum(int nextHeader, int upperLayerLengthBytes) {
    return Checksums.ipv6PseudoHeaderSum(buffer, offset + SOURCE_ADDRESS_OFFSET,
        finalDestinationOffset, nextHeader, upperLayerLengthBytes);
  }
}
