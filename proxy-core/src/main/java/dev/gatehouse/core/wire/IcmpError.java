package dev.gatehouse.core.wire;

/**
 * The ICMP errors Gatehouse sends to clients on behalf of an origin or a hop, with their
 * type and code in each family (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1 and §3.3).
 */
public enum IcmpError {
  /** RFC 792 code 0; RFC 4443 §3.1 code 0, "no route to destination". */
  NETWORK_UNREACHABLE(
      Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, 0, Icmpv6Message.TYPE_DESTINATION_UNREACHABLE, 0),
  /** RFC 792 code 1; RFC 4443 §3.1 code 3, "address unreachable". */
  HOST_UNREACHABLE(
      Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, 1, Icmpv6Message.TYPE_DESTINATION_UNREACHABLE, 3),
  /** RFC 792 code 3; RFC 4443 §3.1 code 4: the origin has no listener on the port. */
  PORT_UNREACHABLE(
      Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, 3, Icmpv6Message.TYPE_DESTINATION_UNREACHABLE, 4),
  /** RFC 1812 §5.2.7.1 code 13; RFC 4443 §3.1 code 1: a policy forbids it. */
  ADMINISTRATIVELY_PROHIBITED(
      Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, 13, Icmpv6Message.TYPE_DESTINATION_UNREACHABLE, 1),
  /** RFC 792 Time Exceeded code 0; RFC 4443 §3.3 code 0: hop limit exceeded in transit. */
  TIME_EXCEEDED_IN_TRANSIT(Icmpv4Message.TYPE_TIME_EXCEEDED, 0, Icmpv6Message.TYPE_TIME_EXCEEDED, 0);

  private final int typeV4;
  private final int codeV4;
  private final int typeV6;
  private final int codeV6;

  IcmpError(int typeV4, int codeV4, int typeV6, int codeV6) {
    this.typeV4 = typeV4;
    this.codeV4 = codeV4;
    this.typeV6 = typeV6;
    this.codeV6 = codeV6;
  }

  /** The ICMP (IPv4) type. */
  public int typeV4() {
    return typeV4;
  }

  /** The ICMP (IPv4) code. */
  public int codeV4() {
    return codeV4;
  }

  /** The ICMPv6 type. */
  public int typeV6() {
    return typeV6;
  }

  /** The ICMPv6 code. */
  public int codeV6() {
    return codeV6;
  }
}
