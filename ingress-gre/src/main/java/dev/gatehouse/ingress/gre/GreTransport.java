package dev.gatehouse.ingress.gre;

import java.util.Locale;

/** How GRE packets travel between the appliance and the site. */
public enum GreTransport {
  /** Directly in IP, protocol 47 (RFC 2784 §1), through a raw socket. */
  IP,
  /** In UDP to port 4754 (RFC 8086), for networks where protocol 47 cannot pass. */
  UDP;

  /** The configuration's spelling: {@code ip}, {@code udp}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
