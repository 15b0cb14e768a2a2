package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.CloseReason;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Why no connection to the origin was made, with the answer and log reason for each. */
enum DialFailure {
  /** Every address answered with a reset (RST or ICMP port unreachable). */
  REFUSED(HttpResponseStatus.BAD_GATEWAY, CloseReason.PROXY_CONN_REFUSED),
  /**
   * The connect timeout passed first. RFC 9110 §15.6.5: 504 is the answer when an
   * upstream server did not respond in time.
   */
  TIMED_OUT(HttpResponseStatus.GATEWAY_TIMEOUT, CloseReason.ORIGIN_UNREACHABLE),
  /** No route: the network or host is unreachable from here. */
  UNREACHABLE(HttpResponseStatus.BAD_GATEWAY, CloseReason.ORIGIN_UNREACHABLE),
  /** The host name did not resolve to any address. */
  UNRESOLVED(HttpResponseStatus.BAD_GATEWAY, CloseReason.ORIGIN_UNREACHABLE);

  private final HttpResponseStatus status;
  private final CloseReason closeReason;

  DialFailure(HttpResponseStatus status, CloseReason closeReason) {
    this.status = status;
    this.closeReason = closeReason;
  }

  /** The status the client is answered with. */
  HttpResponseStatus status() {
    return status;
  }

  /** The close reason of the flow's activity record. */
  CloseReason closeReason() {
    return closeReason;
  }

  /** A sentence for the error response body. */
  String explain(OriginAddress origin) {
    return switch (this) {
      case REFUSED -> "the origin " + origin + " refused the connection";
      case TIMED_OUT -> "the origin " + origin + " did not answer within the connect timeout";
      case UNREACHABLE -> "the origin " + origin + " is unreachable";
      case UNRESOLVED -> "the host " + origin.host() + " did not resolve";
    };
  }
}
