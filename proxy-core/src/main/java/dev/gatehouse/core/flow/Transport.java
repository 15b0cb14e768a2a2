package dev.gatehouse.core.flow;

/** The transport protocols Gatehouse makes flows of, with their IANA protocol numbers. */
public enum Transport {
  ICMP(1, "icmp"),
  TCP(6, "tcp"),
  UDP(17, "udp"),
  ICMPV6(58, "icmp");

  private final int protocolNumber;
  private final String logName;

  Transport(int protocolNumber, String logName) {
    this.protocolNumber = protocolNumber;
    this.logName = logName;
  }

  /** The IPv4 protocol / IPv6 next-header number (IANA "Assigned Internet Protocol Numbers"). */
  public int protocolNumber() {
    return protocolNumber;
  }

  /** The name the activity log uses; ICMPv4 and ICMPv6 are both {@code icmp}. */
  public String logName() {
    return logName;
  }

  /** The transport for a protocol number, or {@code null} when Gatehouse makes no flows of it. */
  public static Transport ofProtocol(int protocolNumber) {
    return switch (protocolNumber) {
      case 1 -> ICMP;
      case 6 -> TCP;
      case 17 -> UDP;
      case 58 -> ICMPV6;
      default -> null;
    };
  }
}
