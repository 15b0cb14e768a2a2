package dev.gatehouse.core.inspect;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

/**
 * Reads an HTTP/1.x request head line by line as it arrives, keeping only the line not yet
 * complete. The request line is checked byte by byte, so that a client that is not
 * speaking HTTP is given up on at its first impossible byte; header lines are looked at
 * once each, when their line feed arrives.
 *
 * <pre>
 *  RFC 9112 §3:   request-line = method SP request-target SP HTTP-version CRLF
 *  RFC 9112 §5:   field-line   = field-name ":" OWS field-value OWS
 *  RFC 9110 §7.2: Host         = uri-host [ ":" port ]
 * </pre>
 *
 * <p>RFC 9112 §2.2 lets a recipient accept a bare LF as a line terminator; we do, and drop
 * one CR before it.
 */
final class HttpRequestReader {
  /** Chosen: registered methods are at most 17 bytes (UPDATEREDIRECTREF); room to spare. */
  static final int MAX_METHOD_BYTES = 24;
  /** RFC 9110 §9.3 and RFC 5789: a request line with one of these is HTTP even unfinished. */
  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final byte[] HTTP_1_VERSION_PREFIX = {'H', 'T', 'T', 'P', '/', '1', '.'};
  private static final int VERSION_BYTES = HTTP_1_VERSION_PREFIX.length + 1;
  private static final int FIRST_LINE_CAPACITY = 256;
  private static final byte[] HOST = {'h', 'o', 's', 't'};

  /** Where reading stands. */
  enum State {
    /** The request line is incomplete but could still be one. */
    REQUEST_LINE,
    /** The request line was valid; header lines are being read for the Host. */
    HEADERS,
    /** The bytes cannot be an HTTP/1.x request line. */
    NOT_HTTP,
    /** HTTP, and nothing later can change the host. */
    DONE
  }

  private enum Part { METHOD, TARGET, VERSION }

  private final int maxBytes;
  private State state = State.REQUEST_LINE;
  private byte[] line;
  private int lineLength;

  private Part part = Part.METHOD;
  private int partBytes;
  private int methodEnd;
  private int targetEnd;

  private int hostFields;
  private String host = "";
  private boolean lastFieldWasHost;

  HttpRequestReader(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  State state() {
    return state;
  }

  /** Whether the request line was complete and valid. */
  boolean isHttp() {
    return state == State.HEADERS || state == State.DONE;
  }

  /**
   * Whether the request line, though unfinished, has a known method and a target so far
   * valid: what {@link StreamInspector#finish()} calls HTTP when the bytes stop there.
   */
  boolean startsLikeHttp() {
    return state == State.REQUEST_LINE && part != Part.METHOD
        && KNOWN_METHODS.contains(ascii(0, methodEnd));
  }

  /**
   * The host found so far: final in {@link State#DONE}; in {@link State#HEADERS} the host
   * of the one Host field seen, which only a second one or a damaged continuation could void.
   */
  String host() {
    return hostFields <= 1 ? host : "";
  }

  /** Reads bytes {@code [index, index + length)}; stops early once finished. */
  void read(ByteBuf bytes, int index, int length) {
    int end = index + length;
    if (lineLength == 0 && state == State.REQUEST_LINE && index < end
        && !isTokenChar(bytes.getUnsignedByte(index))) {
      state = State.NOT_HTTP;
      return;
    }
    while (index < end && (state == State.REQUEST_LINE || state == State.HEADERS)) {
      int lf = bytes.indexOf(index, end, (byte) '\n');
      int stop = lf < 0 ? end : lf + 1;
      int from = lineLength;
      append(bytes, index, stop - index);
      index = stop;
      if (state == State.REQUEST_LINE) {
        requestLineBytes(from);
      } else if (lf >= 0) {
        fieldLine(lineLength - 1);
        lineLength = 0;
      }
    }
  }

  private void append(ByteBuf bytes, int index, int length) {
    if (line == null) {
      line = new byte[Math.min(maxBytes, Math.max(FIRST_LINE_CAPACITY, length))];
    } else if (lineLength + length > line.length) {
      // the inspector never hands over more than maxBytes in all, so this stays bounded
      line = Arrays.copyOf(line, Math.min(maxBytes, Math.max(line.length * 2, lineLength + length)));
    }
    bytes.getBytes(index, line, lineLength, length);
    lineLength += length;
  }

  /** Checks the request line's bytes from {@code from}, the first not yet checked. */
  private void requestLineBytes(int from) {
    for (int i = from; i < lineLength && state == State.REQUEST_LINE; i++) {
      int c = line[i] & 0xff;
      switch (part) {
        case METHOD -> method(c, i);
        case TARGET -> target(c, i);
        default -> version(c);
      }
    }
  }

  // RFC 9110 §9.1: method = token
  private void method(int c, int at) {
    if (c == ' ' && partBytes > 0) {
      methodEnd = at;
      nextPart(Part.TARGET);
    } else if (!isTokenChar(c) || ++partBytes > MAX_METHOD_BYTES) {
      state = State.NOT_HTTP;
    }
  }

  // RFC 9112 §3.2: no whitespace or control characters inside the request-target
  private void target(int c, int at) {
    if (c == ' ' && partBytes > 0) {
      targetEnd = at;
      nextPart(Part.VERSION);
    } else if (c <= ' ' || c == 0x7f) {
      state = State.NOT_HTTP;
    } else {
      partBytes++;
    }
  }

  // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive; we take 1.0 and 1.1
  private void version(int c) {
    int at = partBytes++;
    boolean expected;
    if (at < HTTP_1_VERSION_PREFIX.length) {
      expected = c == HTTP_1_VERSION_PREFIX[at];
    } else if (at == HTTP_1_VERSION_PREFIX.length) {
      expected = c == '0' || c == '1';
    } else if (at == VERSION_BYTES && c == '\r') {
      expected = true;
    } else {
      expected = c == '\n';
      if (expected) {
        requestLine();
        return;
      }
    }
    if (!expected) {
      state = State.NOT_HTTP;
    }
  }

  private void nextPart(Part next) {
    part = next;
    partBytes = 0;
  }

  /**
   * The request line is complete. RFC 9112 §3.2.2: with an absolute-form target "the origin
   * server MUST ignore the received Host header field"; RFC 9112 §3.2.3: CONNECT names its
   * host in the authority-form target. Either way the headers cannot change the host.
   */
  private void requestLine() {
    int targetStart = methodEnd + 1;
    lineLength = 0;
    if (ascii(0, methodEnd).equals("CONNECT")) {
      finish(HostNames.hostAndPort(line, targetStart, targetEnd));
      return;
    }
    int authority = HostNames.absoluteFormAuthority(line, targetStart, targetEnd);
    if (authority >= 0) {
      finish(HostNames.authorityHost(line, authority, targetEnd));
    } else if (line[targetStart] == '/' || (line[targetStart] == '*' && targetEnd == targetStart + 1)) {
      state = State.HEADERS;
    } else {
      // neither origin-, absolute-, authority- (without CONNECT) nor asterisk-form
      finish("");
    }
  }

  /** A header line is complete in {@code line[0, lf)}. */
  private void fieldLine(int lf) {
    int end = lf > 0 && line[lf - 1] == '\r' ? lf - 1 : lf;
    if (end == 0) {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400; no host either way
      finish(hostFields == 1 ? host : "");
      return;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      // RFC 9112 §5.2 obs-fold; a folded Host is too doubtful to match on
      if (lastFieldWasHost) {
        finish("");
      }
      return;
    }

    int colon = 0;
    while (colon < end && isTokenChar(line[colon] & 0xff)) {
      colon++;
    }
    // RFC 9112 §5.1: whitespace before the colon "MUST" be rejected; so is a line without one
    if (colon == 0 || colon == end || line[colon] != ':') {
      finish("");
      return;
    }
    lastFieldWasHost = isHost(colon);
    if (lastFieldWasHost) {
      hostField(colon + 1, end);
    }
  }

  private void hostField(int from, int to) {
    // RFC 9112 §3.2: more than one Host field is answered 400 Bad Request
    if (++hostFields > 1) {
      finish("");
      return;
    }
    while (from < to && (line[from] == ' ' || line[from] == '\t')) {
      from++;
    }
    while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
      to--;
    }
    host = HostNames.hostAndPort(line, from, to);
    if (host.isEmpty()) {
      // an empty or unusable Host gives no host whatever follows
      finish("");
    }
  }

  private boolean isHost(int nameLength) {
    if (nameLength != HOST.length) {
      return false;
    }
    for (int i = 0; i < nameLength; i++) {
      if ((line[i] | 0x20) != HOST[i]) {
        return false;
      }
    }
    return true;
  }

  private void finish(String finalHost) {
    host = finalHost;
    hostFields = Math.min(hostFields, 1);
    state = State.DONE;
    line = null;
    lineLength = 0;
  }

  private String ascii(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.US_ASCII);
  }

  /** RFC 9110 §5.6.2 tchar. */
  static boolean isTokenChar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
