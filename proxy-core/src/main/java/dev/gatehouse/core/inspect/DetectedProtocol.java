package dev.gatehouse.core.inspect;

/**
 * Protocols recognised from a client's first bytes, named as policy expressions and the
 * activity log spell them ({@code net.detected_protocol == "tls"}).
 *
 * <p>A protocol is listed only when its opening bytes carry enough fixed structure that no
 * other protocol we know of starts the same way; each constant names the check that keeps
 * it apart.
 */
public enum DetectedProtocol {
  /** A TLS handshake record carrying a ClientHello (RFC 8446 §5.1, §4.1.2), over TCP. */
  TLS("tls"),
  /** An HTTP/1.0 or HTTP/1.1 request line (RFC 9112 §3). */
  HTTP("http"),
  /** The HTTP/2 prior-knowledge connection preface (RFC 9113 §3.4). */
  HTTP2("http2"),
  /** An SSH identification string, {@code SSH-2.0-...} (RFC 4253 §4.2). */
  SSH("ssh"),
  /** A DNS query whose header and first question parse (RFC 1035 §4.1), over TCP or UDP. */
  DNS("dns"),
  /** A client's QUIC Initial, version 1 or 2 (RFC 9000 §17.2.2, RFC 9369 §3.2). */
  QUIC("quic"),
  /**
   * An RDP X.224 Connection Request in a TPKT (RFC 1006 §6, MS-RDPBCGR §2.2.1.1); the
   * same TPDU from ISO-on-TCP (S7, port 102) carries TSAP parameters and is not taken.
   */
  RDP("rdp"),
  /** SMB2 or SMB1 over Direct TCP transport (MS-SMB2 §2.1, §2.2.1). */
  SMB("smb"),
  /** A DTLS 1.0/1.2/1.3 ClientHello record (RFC 6347 §4.1, RFC 9147 §5.1), over UDP. */
  DTLS("dtls"),
  /** A WireGuard handshake initiation (WireGuard paper §5.4.2): type 1, 148 bytes. */
  WIREGUARD("wireguard"),
  /** A STUN request or indication with the magic cookie (RFC 8489 §5), over UDP. */
  STUN("stun"),
  /** Nothing recognised. */
  NONE("");

  private final String logName;

  DetectedProtocol(String logName) {
    this.logName = logName;
  }

  /** The lowercase name policy expressions and logs use; the empty string for {@link #NONE}. */
  public String logName() {
    return logName;
  }
}
