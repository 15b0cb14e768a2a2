package dev.gatehouse.ingress.gre;

/**
 * Why a GRE tunnel dropped a packet. "In" is an outer packet from the site, "out" an inner
 * packet from the core. RFC 2890 §2 asks that a discarded datagram be recorded "in a
 * statistics counter"; each reason is one, per tunnel ({@link GreCounters}).
 */
public enum GreDropReason {
  /** In: the outer source is not the tunnel's {@code remote}. */
  IN_UNKNOWN_REMOTE,
  /** In: shorter than an outer IP header, a GRE header, or the optional fields its flags announce. */
  IN_TRUNCATED,
  /** In: GRE version other than 0 (RFC 2784 §2.3.1). */
  IN_BAD_VERSION,
  /** In: reserved bits 1, 4 or 5 set (RFC 2784 §2.3: the receiver MUST discard). */
  IN_RESERVED_FLAGS,
  /** In: the GRE checksum does not verify (RFC 2784 §2.5). */
  IN_BAD_CHECKSUM,
  /**
   * In: a key where the tunnel has none, none where it has one, or another value
   * (RFC 2890 §2.1: the key identifies the traffic flow, here the tunnel).
   */
  IN_WRONG_KEY,
  /** In: a sequence number not after the last one accepted (RFC 2890 §2.2); see {@link GreDecapsulator}. */
  IN_OUT_OF_SEQUENCE,
  /** In: a protocol type other than IPv4 (0x0800) and IPv6 (0x86DD). */
  IN_UNKNOWN_PROTOCOL_TYPE,
  /** In: the payload is not a well-formed IP packet of the version its protocol type names. */
  IN_NOT_IP,
  /** In: the outer packet did not fit the receive buffer, sized for the tunnel's MTU. */
  IN_LARGER_THAN_MTU,
  /** Out: not a well-formed IPv4 or IPv6 packet. */
  OUT_NOT_IP,
  /**
   * Out: longer than the MTU and not to be fragmented (IPv4 with DF set, or IPv6): the
   * sender got an ICMP "fragmentation needed" or "packet too big" when one may be sent.
   */
  OUT_LARGER_THAN_MTU,
  /** Out: the tunnel was not started yet, or is closed. */
  OUT_NOT_RUNNING,
  /** Out: the outer socket did not take the packet (buffer full, no route, socket failed). */
  OUT_SEND_FAILED
}
