package dev.gatehouse.core.wire;

/**
 * IANA Assigned Internet Protocol Numbers used by the views: the IPv4 Protocol field and the
 * IPv6 Next Header field share one registry (RFC 8200 §3, §4).
 */
public final class IpProtocol {

  /** RFC 8200 §4.3, IPv6 Hop-by-Hop Options. */
  public static final int HOP_BY_HOP = 0;
  /** RFC 792, ICMP. */
  public static final int ICMP = 1;
  /** RFC 9293, TCP. */
  public static final int TCP = 6;
  /** RFC 768, UDP. */
  public static final int UDP = 17;
  /** RFC 8200 §4.4, IPv6 Routing header. */
  public static final int ROUTING = 43;
  /** RFC 8200 §4.5, IPv6 Fragment header. */
  public static final int FRAGMENT = 44;
  /** RFC 2784, Generic Routing Encapsulation. */
  public static final int GRE = 47;
  /** RFC 4303, Encapsulating Security Payload. */
  public static final int ESP = 50;
  /** RFC 4302, Authentication Header. */
  public static final int AH = 51;
  /** RFC 4443, ICMPv6. */
  public static final int ICMPV6 = 58;
  /** RFC 8200 §4.7, No Next Header. */
  public static final int NO_NEXT_HEADER = 59;
  /** RFC 8200 §4.6, IPv6 Destination Options. */
  public static final int DESTINATION_OPTIONS = 60;
  /** RFC 6275 §6.1, Mobility header. */
  public static final int MOBILITY = 135;
  /** RFC 7401 §5.1, Host Identity Protocol. */
  public static final int HIP = 139;
  /** RFC 5533 §5, Shim6. */
  public static final int SHIM6 = 140;
  /** RFC 3692 / RFC 4727, experimentation and testing. */
  public static final int EXPERIMENT_1 = 253;
  /** RFC 3692 / RFC 4727, experimentation and testing. */
  public static final int EXPERIMENT_2 = 254;

  private IpProtocol() {}
}
