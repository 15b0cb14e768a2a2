package dev.gatehouse.core.wire;

/**
 * What a view found when it wrapped untrusted bytes. Anything but {@link #OK} means the
 * packet is dropped and counted under this name; the view's accessors are then undefined.
 */
public enum WireStatus {
  /** The bytes hold a well-formed header; the view's accessors may be used. */
  OK,
  /**
   * Fewer bytes arrived than the header's fixed part, or than the packet's own length field
   * (IPv4 Total Length, IPv6 Payload Length) says were sent: the packet was cut short.
   */
  TRUNCATED,
  /** The version field is not the one this view reads (4 for IPv4, 6 for IPv6). */
  BAD_VERSION,
  /**
   * A header length field (IPv4 IHL, TCP Data Offset) is below the fixed header or reaches
   * past the end of the packet that carries it.
   */
  BAD_HEADER_LENGTH,
  /**
   * A length field covering the whole packet or datagram (IPv4 Total Length, UDP Length)
   * is shorter than the header or longer than what carries it.
   */
  BAD_TOTAL_LENGTH,
  /**
   * An IPv4 or TCP option has a length below 2, reaches past the header, or has the wrong
   * length for its kind.
   */
  BAD_OPTION,
  /**
   * An IPv6 extension header reaches past the payload, is shorter than its fixed part, or
   * is a Hop-by-Hop Options header that does not directly follow the IPv6 header.
   */
  BAD_EXTENSION_HEADER,
  /** The checksum does not verify, or is zero where zero is not allowed (UDP over IPv6). */
  BAD_CHECKSUM
}
