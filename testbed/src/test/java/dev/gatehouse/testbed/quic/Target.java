package dev.gatehouse.testbed.quic;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a fetch goes and what it says: the URL's host name is the TLS SNI and the
 * {@code :authority}, while {@link #address} is where packets are sent, which a
 * {@code --resolve} entry may have chosen apart from DNS (as curl's does).
 *
 * @param host the URL's host name, for SNI, certificate checks and {@code :authority}
 * @param port the URL's port, 443 unless it names one
 * @param pathAndQuery the request's {@code :path}
 * @param address the socket address both UDP and TCP attempts use
 */
record Target(String host, int port, String pathAndQuery, InetSocketAddress address) {
  private static final int HTTPS_PORT = 443;

  /** {@code host[:port]} as {@code :authority} carries it (RFC 9114 §4.3.1). */
  String authority() {
    String name = host.contains(":") ? "[" + host + "]" : host;
    return port == HTTPS_PORT ? name : name + ":" + port;
  }

  /**
   * The target of an {@code https} URL; {@code resolve} ({@code host:port:address}) applies
   * when its host and port are the URL's, otherwise the host name is looked up.
   */
  static Target of(URI url, Optional<String> resolve) throws UnknownHostException {
    if (!"https".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
      throw new IllegalArgumentException("expected an https URL with a host, not " + url);
    }
    String host = stripBrackets(url.getHost());
    int port = url.getPort() == -1 ? HTTPS_PORT : url.getPort();
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    String pathAndQuery = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    Optional<InetAddress> resolved = resolved(host, port, resolve);
    InetAddress address = resolved.isPresent() ? resolved.get() : InetAddress.getByName(host);
    return new Target(host, port, pathAndQuery, new InetSocketAddress(address, port));
  }

  private static Optional<InetAddress> resolved(String host, int port, Optional<String> resolve)
      throws UnknownHostException {
    if (resolve.isEmpty()) {
      return Optional.empty();
    }
    String entry = resolve.get();
    int first = entry.indexOf(':');
    int second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    if (second < 0) {
      throw new IllegalArgumentException("expected --resolve host:port:address, not " + entry);
    }
    String name = entry.substring(0, first);
    int entryPort = Integer.parseInt(entry.substring(first + 1, second));
    if (!name.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT)) || entryPort != port) {
      return Optional.empty();
    }
    // a literal only: --resolve exists to bypass name lookups
    String literal = stripBrackets(entry.substring(second + 1));
    if (!literal.matches("[0-9a-fA-F:.]+") || !(literal.contains(".") || literal.contains(":"))) {
      throw new IllegalArgumentException("expected an IP address in --resolve, not " + literal);
    }
    return Optional.of(InetAddress.getByName(literal));
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
