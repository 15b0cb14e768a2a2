package dev.gatehouse.testbed.quic;

import java.io.Serial;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;

/**
 * Why one protocol could not fetch the page, as one word the probe prints
 * ({@code reason=handshake-timeout}) and a message for people.
 */
final class FetchException extends Exception {
  @Serial
  private static final long serialVersionUID = 1L;

  private final String reason;

  FetchException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  private FetchException(String reason, Throwable cause) {
    super(String.valueOf(cause), cause);
    this.reason = reason;
  }

  /** A failure of a Netty future or pipeline, named for its kind. */
  static FetchException of(Throwable cause) {
    if (cause instanceof FetchException known) {
      return known;
    }
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return new FetchException("tls-failed", cause);
      }
      if (c instanceof ConnectException) {
        return new FetchException("refused", cause);
      }
      if (c instanceof ClosedChannelException) {
        return new FetchException("closed", cause);
      }
    }
    return new FetchException("error", cause);
  }

  /** One word, no spaces: {@code handshake-timeout}, {@code tls-failed}, {@code refused}, ... */
  String reason() {
    return reason;
  }
}
