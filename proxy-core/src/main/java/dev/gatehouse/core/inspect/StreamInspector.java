package dev.gatehouse.core.inspect;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Inspects the first bytes a TCP client sends, as they arrive in order, possibly split
 * across many segments: a TLS ClientHello may span several TCP segments and several TLS
 * records (RFC 8446 §5.1 allows handshake messages to be fragmented over records).
 *
 * <p>Every recogniser runs on the bytes at once, and each gives up at the first byte its
 * protocol cannot have, so that a decision comes as soon as the facts can no longer change:
 * a complete ClientHello, the end of an HTTP request head (or its request line, when the
 * target names the host), a few fixed bytes for the others, or the first byte nothing
 * recognised starts with. When several could match, the first in this order wins: TLS,
 * the fixed-byte protocols (HTTP/2 preface, SSH, RDP, SMB, DNS), HTTP/1.x.
 *
 * <p>Memory is bounded by {@code maxBytes}: the inspector copies the first few hundred
 * bytes while a fixed-byte recogniser still wants them, the TLS handshake message (not the
 * record headers around it), and the HTTP line not yet complete. Work is linear in the
 * bytes offered. No input throws.
 *
 * <p>One instance per flow, confined to the flow's thread.
 */
public final class StreamInspector {
  /**
   * Chosen: 16 KiB. A client's first flight is sent before any answer and is bounded by its
   * initial window (RFC 6928: ten segments, about 14.6 KB), so bytes beyond it would not
   * arrive before the proxy acknowledged them; 16 KiB also holds one whole TLS plaintext
   * record (2^14, RFC 8446 §5.1), a ClientHello with post-quantum key shares many times
   * over, and the 8 KiB request heads common servers accept.
   */
  public static final int DEFAULT_MAX_BYTES = 16 * 1024;

  /** Chosen: the most an inspector may be asked to hold; far above any real first flight. */
  public static final int MAX_MAX_BYTES = 1024 * 1024;

  private final int maxBytes;
  private final TlsHandshakeReader tls;
  private final HttpRequestReader http;
  private byte[] head;
  private ByteBuf headView;
  private int headLength;
  private boolean sniffing = true;
  private DetectedProtocol sniffed;
  private boolean sniffPending;

  private int bytesSeen;
  private boolean decided;
  private DetectedProtocol protocol = DetectedProtocol.NONE;
  private String sniHost = "";
  private String httpHost = "";

  /**
   * An inspector that looks at no more than {@code maxBytes} of the client's bytes.
   *
   * @throws IllegalArgumentException unless {@code 1 <= maxBytes <= MAX_MAX_BYTES}
   */
  public StreamInspector(int maxBytes) {
    if (maxBytes < 1 || maxBytes > MAX_MAX_BYTES) {
      throw new IllegalArgumentException(
          "maxBytes must be between 1 and " + MAX_MAX_BYTES + ", got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.tls = new TlsHandshakeReader(maxBytes);
    this.http = new HttpRequestReader(maxBytes);
  }

  /**
   * Looks at the next in-order client bytes ({@code readerIndex..writerIndex}). Never takes
   * ownership of {@code bytes} and never changes its indices; copies only what it still
   * needs. Bytes offered after the decision, or beyond {@code maxBytes}, are not looked at.
   *
   * @return whether the inspector has decided: no more bytes will change the facts
   */
  public boolean offer(ByteBuf bytes) {
    if (decided) {
      return true;
    }
    int index = bytes.readerIndex();
    int length = Math.min(bytes.readableBytes(), maxBytes - bytesSeen);
    if (length <= 0) {
      return false;
    }
    bytesSeen += length;

    if (!tls.finished()) {
      tls.read(bytes, index, length);
    }
    if (http.state() == HttpRequestReader.State.REQUEST_LINE
        || http.state() == HttpRequestReader.State.HEADERS) {
      http.read(bytes, index, length);
    }
    DetectedProtocol fixed = sniffing ? sniff(bytes, index, length) : DetectedProtocol.NONE;

    decide(fixed);
    if (!decided && bytesSeen == maxBytes) {
      finish();
    }
    return decided;
  }

  /**
   * No more bytes will come before the decision (the inspection timeout ran out, the
   * client sent FIN, or its window is full): decides on what is known. A ClientHello cut
   * short is TLS without a server name; an HTTP request head cut short keeps the Host read
   * so far; an HTTP request line cut short is HTTP (without host) only when its method is
   * a standard one.
   */
  public void finish() {
    if (decided) {
      return;
    }
    if (tls.looksLikeTls()) {
      decide(DetectedProtocol.TLS, tls.serverName(), "");
    } else if (http.isHttp() || http.startsLikeHttp()) {
      decide(DetectedProtocol.HTTP, "", http.host());
    } else {
      decide(DetectedProtocol.NONE, "", "");
    }
  }

  /** Whether the inspector has decided. */
  public boolean decided() {
    return decided;
  }

  /** After {@link #decided()}: the protocol, {@link DetectedProtocol#NONE} when none was recognised. */
  public DetectedProtocol protocol() {
    return protocol;
  }

  /**
   * After {@link #decided()}: the SNI host lowercased without trailing dot, or "" when
   * absent, not TLS or malformed.
   */
  public String sniHost() {
    return sniHost;
  }

  /**
   * After {@link #decided()}: the HTTP request host (RFC 9110 §7.2) lowercased, without port,
   * an IPv6 literal without brackets; "" when not HTTP, absent or malformed.
   */
  public String httpHost() {
    return httpHost;
  }

  /** How many bytes were taken from offers before the decision; at most {@code maxBytes}. */
  public int bytesSeen() {
    return bytesSeen;
  }

  /**
   * Copies the first bytes for the fixed-byte recognisers and runs them; returns the
   * protocol one recognised, {@code null} while some still need more, NONE when none can.
   */
  private DetectedProtocol sniff(ByteBuf bytes, int index, int length) {
    if (head == null) {
      head = new byte[Math.min(maxBytes, FirstBytes.DECIDING_BYTES)];
      headView = Unpooled.wrappedBuffer(head);
    }
    int take = Math.min(length, head.length - headLength);
    bytes.getBytes(index, head, headLength, take);
    headLength += take;

    sniffed = null;
    sniffPending = false;
    judge(FirstBytes.http2Preface(headView, headLength), DetectedProtocol.HTTP2);
    judge(FirstBytes.ssh(headView, headLength), DetectedProtocol.SSH);
    judge(FirstBytes.rdp(headView, headLength), DetectedProtocol.RDP);
    judge(FirstBytes.smb(headView, headLength), DetectedProtocol.SMB);
    judge(FirstBytes.dnsOverTcp(headView, headLength), DetectedProtocol.DNS);
    if (sniffed != null) {
      stopSniffing();
      return sniffed;
    }
    if (!sniffPending || headLength == head.length) {
      stopSniffing();
      return DetectedProtocol.NONE;
    }
    return null;
  }

  /** Keeps the first recognised protocol in recogniser order, and notes any still unsure. */
  private void judge(Verdict verdict, DetectedProtocol candidate) {
    if (verdict == Verdict.RECOGNISED && sniffed == null) {
      sniffed = candidate;
    }
    sniffPending |= verdict == Verdict.NEED_MORE;
  }

  private void stopSniffing() {
    sniffing = false;
    head = null;
    headView = null;
  }

  /** Decides when some recogniser is sure, or when none can still be. */
  private void decide(DetectedProtocol fixed) {
    if (tls.finished() && tls.state() != TlsHandshakeReader.State.NOT_TLS) {
      decide(DetectedProtocol.TLS, tls.serverName(), "");
    } else if (fixed != null && fixed != DetectedProtocol.NONE) {
      decide(fixed, "", "");
    } else if (fixed != null && http.state() == HttpRequestReader.State.DONE) {
      decide(DetectedProtocol.HTTP, "", http.host());
    } else if (fixed == DetectedProtocol.NONE && tls.state() == TlsHandshakeReader.State.NOT_TLS
        && http.state() == HttpRequestReader.State.NOT_HTTP) {
      decide(DetectedProtocol.NONE, "", "");
    }
  }

  // TODO(#9): report why a host came out empty (absent, malformed, too large) as a reason
  // enum, so that the metrics can count damaged ClientHellos and request heads
  private void decide(DetectedProtocol decidedProtocol, String sni, String host) {
    decided = true;
    protocol = decidedProtocol;
    sniHost = sni;
    httpHost = host;
    stopSniffing();
  }
}
