package dev.gatehouse.appliance.explicit;

import io.netty.util.NetUtil;
import java.util.Locale;

/**
 * The origin a client asked for, before resolution: a host name or IP literal (IPv6
 * without brackets) and a port.
 */
record OriginAddress(String host, int port) {

  OriginAddress {
    // DNS names compare without case (RFC 4343), so that two requests for
    // Example.com and example.com share one origin connection.
    host = host.toLowerCase(Locale.ROOT);
  }

  /** Whether the host is an IPv4 or IPv6 literal rather than a name to resolve. */
  boolean isIpLiteral() {
    return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
  }

  /** The host name the client asked for, or {@code null} when it gave an IP literal. */
  String hostNameOrNull() {
    return isIpLiteral() ? null : host;
  }

  /**
   * The {@code Host} field value for this origin (RFC 9110 §7.2): the port is left out
   * when it is the http default, and IPv6 literals are bracketed.
   */
  String hostHeader(int defaultPort) {
    String name = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return port == defaultPort ? name : name + ":" + port;
  }

  @Override
  public String toString() {
    return hostHeader(-1);
  }
}
