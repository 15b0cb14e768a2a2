package dev.gatehouse.core.inspect;

import io.netty.util.NetUtil;
import java.nio.charset.StandardCharsets;

/**
 * Turns host names that clients sent (an SNI, an HTTP Host) into the form policies compare:
 * lowercase, without a trailing dot, or the empty string when the bytes are not a name we
 * are willing to match on. Refusing is always safe: a policy then sees "no host".
 */
final class HostNames {
  /** RFC 1035 §2.3.4: a name is at most 255 octets on the wire. */
  static final int MAX_NAME_BYTES = 255;
  /** RFC 1035 §2.3.4: a label is at most 63 octets. */
  static final int MAX_LABEL_BYTES = 63;
  /** The longest textual IPv6 address, with an embedded IPv4 part (RFC 4291 §2.2). */
  private static final int MAX_IPV6_TEXT_BYTES = 45;
  /** Chosen: a TCP port has at most five digits (65535). */
  private static final int MAX_PORT_DIGITS = 5;

  private HostNames() {}

  /**
   * The name in {@code bytes[from, to)} lowercased, with one trailing dot removed, or ""
   * unless it is 1 to 255 bytes of letters, digits, hyphens, underscores and dots whose
   * labels are 1 to 63 bytes long. Underscores are not LDH (RFC 952) but appear in real
   * service names, and a policy may still match them.
   */
  static String ldhName(byte[] bytes, int from, int to) {
    int length = to - from;
    if (length < 1 || length > MAX_NAME_BYTES) {
      return "";
    }
    if (bytes[to - 1] == '.') {
      length--;
    }

    byte[] lower = new byte[length];
    int labelBytes = 0;
    for (int i = 0; i < length; i++) {
      int c = bytes[from + i];
      if (c == '.') {
        if (labelBytes == 0) {
          return "";
        }
        labelBytes = 0;
      } else if (isLdhOrUnderscore(c)) {
        if (++labelBytes > MAX_LABEL_BYTES) {
          return "";
        }
      } else {
        return "";
      }
      lower[i] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    if (labelBytes == 0) {
      return "";
    }
    return new String(lower, StandardCharsets.US_ASCII);
  }

  /**
   * The IPv6 address written in {@code bytes[from, to)} (without brackets), lowercased, or
   * "" when it is not one. Zone identifiers (RFC 6874) are refused: a zone is meaningless
   * beyond the client's own link.
   */
  static String ipv6Literal(byte[] bytes, int from, int to) {
    int length = to - from;
    if (length < 2 || length > MAX_IPV6_TEXT_BYTES) {
      return "";
    }
    for (int i = from; i < to; i++) {
      int c = bytes[i];
      if (!(isHexDigit(c) || c == ':' || c == '.')) {
        return "";
      }
    }
    String text = lowercase(bytes, from, length);
    return NetUtil.isValidIpV6Address(text) ? text : "";
  }

  /**
   * The host of {@code uri-host [ ":" port ]} in {@code bytes[from, to)} (RFC 9110 §7.2,
   * RFC 3986 §3.2.2-3): a name as {@link #ldhName}, or an IPv6 literal without its
   * brackets; "" for anything else, an empty value included.
   */
  static String hostAndPort(byte[] bytes, int from, int to) {
    if (from >= to) {
      return "";
    }
    int hostEnd;
    String host;
    if (bytes[from] == '[') {
      int close = indexOf(bytes, from, to, ']');
      if (close < 0) {
        return "";
      }
      host = ipv6Literal(bytes, from + 1, close);
      hostEnd = close + 1;
    } else {
      int colon = indexOf(bytes, from, to, ':');
      hostEnd = colon < 0 ? to : colon;
      host = ldhName(bytes, from, hostEnd);
    }
    return validPort(bytes, hostEnd, to) ? host : "";
  }

  /** RFC 3986 §3.2.3: port = *DIGIT; more than five digits is no TCP port. */
  private static boolean validPort(byte[] bytes, int from, int to) {
    if (from == to) {
      return true;
    }
    if (bytes[from] != ':' || to - from - 1 > MAX_PORT_DIGITS) {
      return false;
    }
    for (int i = from + 1; i < to; i++) {
      if (bytes[i] < '0' || bytes[i] > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * Where the authority of an absolute-form request-target in {@code bytes[from, to)}
   * starts, or -1 when the target is not {@code scheme "://" ...} (RFC 3986 §3.1:
   * scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
   */
  static int absoluteFormAuthority(byte[] bytes, int from, int to) {
    int at = from;
    if (at >= to || !isAlpha(bytes[at])) {
      return -1;
    }
    while (at < to && (isAlpha(bytes[at]) || (bytes[at] >= '0' && bytes[at] <= '9')
        || bytes[at] == '+' || bytes[at] == '-' || bytes[at] == '.')) {
      at++;
    }
    if (to - at < 3 || bytes[at] != ':' || bytes[at + 1] != '/' || bytes[at + 2] != '/') {
      return -1;
    }
    return at + 3;
  }

  /**
   * The host of the authority starting at {@code from} and ending before the first
   * {@code / ? #} (RFC 3986 §3.2). RFC 9110 §4.2.4: userinfo in an http URI is to be
   * treated as an error, so an authority with {@code @} gives "".
   */
  static String authorityHost(byte[] bytes, int from, int to) {
    int end = from;
    while (end < to && bytes[end] != '/' && bytes[end] != '?' && bytes[end] != '#') {
      if (bytes[end] == '@') {
        return "";
      }
      end++;
    }
    return hostAndPort(bytes, from, end);
  }

  private static int indexOf(byte[] bytes, int from, int to, char c) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isAlpha(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static String lowercase(byte[] bytes, int from, int length) {
    byte[] lower = new byte[length];
    for (int i = 0; i < length; i++) {
      int c = bytes[from + i];
      lower[i] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    return new String(lower, StandardCharsets.US_ASCII);
  }

  private static boolean isLdhOrUnderscore(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '-' || c == '_';
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
