package dev.gatehouse.appliance.explicit;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * The header rules of a forwarding intermediary, RFC 9110 §7.6: fields that describe one
 * connection are removed before a message is sent on, and a {@code Via} entry records
 * this hop.
 *
 * <p>{@code Transfer-Encoding} is left to the codecs: the decoder strips the chunked
 * framing it receives, and the encoder frames again with chunks when the forwarded
 * message still says {@code chunked}. The field therefore survives as the next hop's
 * framing, which is what RFC 9112 §6.1 asks of a recipient that forwards a chunked body.
 */
final class HopByHop {

  /** The Via pseudonym (RFC 9110 §7.6.3): names the product, not the host. */
  static final String VIA_PSEUDONYM = "gatehouse";

  // Neither is a current standard field, so Netty has no (undeprecated) constant for them.
  private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");

  // RFC 9110 §7.6.1 names Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and
  // Upgrade as fields an intermediary SHOULD remove or replace; Proxy-Authorization
  // (§11.7.2) and Proxy-Authenticate (§11.7.1) are meant for this proxy alone; Trailer
  // was on RFC 2616's hop-by-hop list (§13.5.1) and the trailers we send are the
  // encoder's, so the announcement is dropped with it.
  private static final List<AsciiString> ALWAYS_REMOVED = List.of(
      HttpHeaderNames.CONNECTION,
      PROXY_CONNECTION,
      KEEP_ALIVE,
      HttpHeaderNames.PROXY_AUTHORIZATION,
      HttpHeaderNames.PROXY_AUTHENTICATE,
      HttpHeaderNames.TE,
      HttpHeaderNames.TRAILER,
      HttpHeaderNames.UPGRADE);

  // Fields that frame or route the message: a Connection option naming one of them is
  // ignored, since removing them would change how the next hop reads the message
  // (a request smuggling vector).
  private static final List<AsciiString> NEVER_REMOVED_BY_OPTION = List.of(
      HttpHeaderNames.CONTENT_LENGTH,
      HttpHeaderNames.TRANSFER_ENCODING,
      HttpHeaderNames.HOST);

  private HopByHop() {}

  /**
   * Removes the connection-specific fields: each field named as a {@code Connection}
   * option (RFC 9110 §7.6.1), then {@code Connection} itself and the fixed list above.
   */
  static void strip(HttpHeaders headers) {
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String option : value.split(",")) {
        String name = option.trim();
        if (!name.isEmpty() && !isProtected(name)) {
          headers.remove(name);
        }
      }
    }
    for (AsciiString name : ALWAYS_REMOVED) {
      headers.remove(name);
    }
  }

  /** Appends this hop to {@code Via}: the protocol version it was received with, and us. */
  static void addVia(HttpHeaders headers, HttpVersion receivedVersion) {
    // RFC 9110 §7.6.3: received-protocol omits the name when it is HTTP.
    String protocol = receivedVersion.majorVersion() + "." + receivedVersion.minorVersion();
    headers.add(HttpHeaderNames.VIA, protocol + " " + VIA_PSEUDONYM);
  }

  private static boolean isProtected(String name) {
    for (AsciiString protectedName : NEVER_REMOVED_BY_OPTION) {
      if (protectedName.contentEqualsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }
}
