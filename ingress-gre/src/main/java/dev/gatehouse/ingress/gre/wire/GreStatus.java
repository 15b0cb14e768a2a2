package dev.gatehouse.ingress.gre.wire;

/**
 * What {@link GreHeader#wrap} found in untrusted bytes. Anything but {@link #OK} means the
 * packet is dropped and counted; the view's accessors are then undefined.
 */
public enum GreStatus {
  /** A well-formed header: the accessors may be used. */
  OK,
  /** Fewer bytes than the fixed header and the optional fields its flags announce. */
  TRUNCATED,
  /** RFC 2784 §2.3.1: the Version Number field "MUST contain the value zero". */
  BAD_VERSION,
  /**
   * RFC 2784 §2.3: "A receiver MUST discard a packet where any of bits 1-5 are non-zero";
   * RFC 2890 §2 gives bits 2 (K) and 3 (S) a meaning, which leaves bits 1 (RFC 1701's
   * Routing Present), 4 (Strict Source Route) and 5 (the top bit of Recursion Control).
   */
  RESERVED_FLAGS,
  /** RFC 2784 §2.5: the Checksum field does not verify over the header and payload. */
  BAD_CHECKSUM
}
