package dev.gatehouse.testbed.quic;

import java.nio.charset.StandardCharsets;

/**
 * A response as one protocol fetched it: its {@code :status} and the start of its body.
 *
 * @param protocol the ALPN name of the protocol that carried it ({@code h3}, {@code h2})
 * @param status the {@code :status} pseudo-header, such as {@code 200}
 * @param bodyStart at most {@link PageBody#KEPT_BYTES} bytes from the body's start
 * @param bodyBytes how many bytes the whole body had
 */
record Page(String protocol, String status, byte[] bodyStart, long bodyBytes) {

  /** The kept start of the body, read as UTF-8. */
  String bodyText() {
    return new String(bodyStart, StandardCharsets.UTF_8);
  }
}
