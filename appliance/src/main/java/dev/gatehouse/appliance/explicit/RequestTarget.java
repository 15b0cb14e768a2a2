package dev.gatehouse.appliance.explicit;

import io.netty.util.NetUtil;

/**
 * A request-target as a proxy reads it (RFC 9112 §3.2): the origin it names and, for the
 * absolute form, the origin-form target to send on. Parsing never throws; a target this
 * proxy cannot use carries the {@link Problem} instead.
 *
 * @param origin the origin named, or {@code null} when {@code problem} is set
 * @param originForm the path and query to forward ({@code /} at least); {@code null} for
 *     the authority form and when {@code problem} is set
 * @param problem why the target is unusable, or {@code null}
 */
record RequestTarget(OriginAddress origin, String originForm, Problem problem) {

  /** Why a request-target was refused. */
  enum Problem {
    /** Not {@code scheme://authority...}: an origin-form or asterisk-form target. */
    NOT_ABSOLUTE_FORM("the request-target must be an absolute URI (RFC 9112 §3.2.2)"),
    /** A scheme other than {@code http}; {@code https} goes through CONNECT. */
    UNSUPPORTED_SCHEME("only http URIs are forwarded; use CONNECT for https"),
    /** RFC 9110 §4.2.4: userinfo in an http URI is to be treated as an error. */
    USERINFO("userinfo in the request-target is not allowed (RFC 9110 §4.2.4)"),
    /** The host or port does not parse. */
    BAD_AUTHORITY("the authority is not host:port with a valid host and port");

    private final String detail;

    Problem(String detail) {
      this.detail = detail;
    }

    /** A sentence for the error response body. */
    String detail() {
      return detail;
    }
  }

  /** RFC 9110 §4.2.1: the default port of the http scheme. */
  static final int HTTP_DEFAULT_PORT = 80;
  private static final String HTTP_SCHEME_PREFIX = "http://";
  private static final int MAX_PORT = 65535;

  /** True when the target names an origin this proxy can dial. */
  boolean valid() {
    return problem == null;
  }

  /**
   * Reads an absolute-form target, {@code http://host[:port][/path][?query]} (RFC 9112
   * §3.2.2). A missing path becomes {@code /} (RFC 9112 §3.2.1).
   */
  static RequestTarget absoluteForm(String target) {
    int schemeEnd = target.indexOf("://");
    if (schemeEnd <= 0) {
      return refused(Problem.NOT_ABSOLUTE_FORM);
    }
    if (!target.regionMatches(true, 0, HTTP_SCHEME_PREFIX, 0, HTTP_SCHEME_PREFIX.length())) {
      return refused(Problem.UNSUPPORTED_SCHEME);
    }

    int authorityStart = HTTP_SCHEME_PREFIX.length();
    int authorityEnd = authorityStart;
    while (authorityEnd < target.length() && "/?#".indexOf(target.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    String authority = target.substring(authorityStart, authorityEnd);
    if (authority.indexOf('@') >= 0) {
      return refused(Problem.USERINFO);
    }
    OriginAddress origin = parseAuthority(authority, HTTP_DEFAULT_PORT);
    if (origin == null) {
      return refused(Problem.BAD_AUTHORITY);
    }

    // A fragment is never sent in a request-target (RFC 9110 §4.2.5); drop one if a
    // client sent it anyway rather than forward it.
    int fragment = target.indexOf('#', authorityEnd);
    String rest = target.substring(authorityEnd, fragment < 0 ? target.length() : fragment);
    String originForm = rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
    return new RequestTarget(origin, originForm, null);
  }

  /**
   * Reads an authority-form target, {@code host:port}, the only form CONNECT takes
   * (RFC 9112 §3.2.3); the port is required.
   */
  static RequestTarget authorityForm(String target) {
    OriginAddress origin = parseAuthority(target, -1);
    return origin == null ? refused(Problem.BAD_AUTHORITY) : new RequestTarget(origin, null, null);
  }

  private static RequestTarget refused(Problem problem) {
    return new RequestTarget(null, null, problem);
  }

  /** Parses {@code host[:port]}; {@code defaultPort < 0} makes the port mandatory. */
  private static OriginAddress parseAuthority(String authority, int defaultPort) {
    String host;
    String portText;
    if (authority.startsWith("[")) {
      // RFC 3986 §3.2.2: an IP-literal is bracketed.
      int close = authority.indexOf(']');
      if (close < 0) {
        return null;
      }
      host = authority.substring(1, close);
      if (!NetUtil.isValidIpV6Address(host)) {
        return null;
      }
      String after = authority.substring(close + 1);
      if (!after.isEmpty() && after.charAt(0) != ':') {
        return null;
      }
      portText = after.isEmpty() ? "" : after.substring(1);
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      portText = colon < 0 ? "" : authority.substring(colon + 1);
      if (!isRegisteredNameOrIpv4(host)) {
        return null;
      }
    }

    int port = portText.isEmpty() ? defaultPort : parsePort(portText);
    return port < 1 ? null : new OriginAddress(host, port);
  }

  /**
   * Host names as DNS knows them (letters, digits, hyphen, underscore, dots) and dotted
   * IPv4. RFC 3986's reg-name also admits percent-encoding and sub-delims, which no DNS
   * name needs and which would only reach the resolver as surprises.
   */
  private static boolean isRegisteredNameOrIpv4(String host) {
    if (host.isEmpty() || host.length() > 253) {
      return false;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_';
      if (!allowed) {
        return false;
      }
    }
    return true;
  }

  private static int parsePort(String text) {
    if (text.length() > 5) {
      return -1;
    }
    int port = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      port = port * 10 + (c - '0');
    }
    return port <= MAX_PORT ? port : -1;
  }
}
